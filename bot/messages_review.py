"""Every catalog entry rendered in every language with sample values, and what reads wrong.

`make messages-review` writes the review file (build/messages-review.md);
tests/test_messages_review.py fails on any problem found here. Samples come from the
product's own formatters (`bot.i18n`, `integrations.bank.masking`), so a helper that shows
seconds or money without Babel fails here too.
"""

from __future__ import annotations

import argparse
import gettext
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_currency

from bot.config import SUPPORTED_LOCALES
from bot.i18n import LOCALES_DIR, day, moment, money, number
from integrations.bank.masking import mask_account, mask_phone

CURRENCY = "CNY"
SAMPLE_MONEY = Decimal("12345.60")

# The samples are made by the product's helpers; money found in a text is checked against
# Babel's own output, so a helper that formats money by hand shows up as a problem.
# Placeholders that carry an amount of money, a plain number, a date, a date and time.
MONEY_NAMES = frozenset({
    "amount", "balance", "budget", "first", "installment", "interest", "largest", "last",
    "limit", "paid", "payment", "principal", "remaining", "used",
})  # fmt: skip
NUMBER_NAMES = frozenset({
    "count", "days", "digits", "expected", "given", "high", "hours", "low", "maximum",
    "minimum", "minutes", "months", "multiple", "number", "page", "pages", "position",
    "score", "step", "steps", "total",
})  # fmt: skip
DATE_NAMES = frozenset({"date", "day", "start", "earliest", "latest", "first_due"})
MOMENT_NAMES = frozenset({"when"})
# Words a sentence may carry in any language: command words, codes, brands, units.
ALLOWED_LATIN = frozenset({
    "YE", "MX", "JG", "SQ", "ZZ", "JF", "HK", "CZ", "DK", "QR", "QX", "ALL", "BAL", "TRF", "ELEC",
    "WATER", "GAS", "PHONE", "Telegram", "SMS", "APR", "CSV", "PNG", "ID", "LPR", "IPC", "OK",
    "EXIF", "PDF",
})  # fmt: skip
# Samples for words that the code puts in, one per language: (zh_Hans, en, ru).
WORD_SAMPLES: dict[str, tuple[str, str, str]] = {
    "name": ("李经理", "Li", "Ли"),
    "officer": ("李经理", "Li", "Ли"),
    "method": ("等额本息", "equal installments", "аннуитетные платежи"),
    "plan": ("等额本息", "equal installments", "аннуитетные платежи"),
    "status": ("已认领", "claimed", "взята в работу"),
    "kind": ("贷后检查", "post-loan visit", "проверка после выдачи"),
    "classification": ("关注", "special mention", "под наблюдением"),
    "reason": ("无人认领", "nobody claimed it", "никто не взял"),
    "summary": (
        "转账给张三（****2233）",
        "transfer to Zhang (****2233)",
        "перевод Чжану (****2233)",
    ),
    "sentence": ("月销售额不稳定。", "Monthly sales vary.", "Продажи колеблются."),
    "items": ("客户档案", "the customer record", "карточка клиента"),
    "factors": ("现金流覆盖 +150", "cash-flow cover +150", "покрытие +150"),
    "flags": ("手机号归属地不符", "phone from elsewhere", "телефон из другого региона"),
    "role": ("客户经理", "loan officer", "кредитный специалист"),
    "territory": ("成都北区", "Chengdu North", "Чэнду-Север"),
    "team": ("零售组", "retail team", "розничная группа"),
    "industry": ("零售", "retail", "розничная торговля"),
    "district": ("金牛区", "Jinniu", "Цзиньню"),
    "purpose": ("进货", "buying stock", "закупка товара"),
    "type": ("活期账户", "Current account", "Текущий счёт"),
    "biller": ("电费", "electricity", "электричество"),
    "option": ("--months", "--months", "--months"),
    "choices": ("365, 360", "365, 360", "365, 360"),
    "text": ("5x", "5x", "5x"),
    "value": ("-3", "-3", "-3"),
    "token": ("5x", "5x", "5x"),
    "example": ("ZZ 张三 100", "ZZ 张三 100", "ZZ 张三 100"),
    "referral": ("A7", "A7", "A7"),
    "left": ("1 小时 5 分钟", "1 h 5 min", "1 ч 5 мин"),
    "week": ("3", "3", "3"),
    "month": ("12", "12", "12"),
    "share": ("35%", "35%", "35%"),
    "rate": ("12", "12", "12"),
    "apr": ("12.68", "12.68", "12,68"),
    "nominal": ("12", "12", "12"),
    "command": ("ZZ", "ZZ", "ZZ"),
}
REFERENCES = {"reference": "LN000001", "loan": "LN000001", "lead": "LD000001", "task": "TK01"}
GENERIC = ("示例", "sample", "пример")

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
FULL_WIDTH_PUNCTUATION = "。！？；：，、）】」』"
CHECKS_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(f"[{FULL_WIDTH_PUNCTUATION}] +(?=\\S)"),
        "ASCII space after Chinese punctuation",
    ),
    (re.compile(f"[{CJK}{FULL_WIDTH_PUNCTUATION}] *:"), "ASCII colon after Chinese text (use ：)"),
    (
        re.compile(f"[{CJK}][,;!?]|[{CJK}]\\.(?!\\d)"),
        "ASCII punctuation after Chinese text (use ，；！？。)",
    ),
    (re.compile(f"\\((?=[^)]*[{CJK}])|(?<=[{CJK}])\\)"), "ASCII brackets around Chinese text"),
    (
        re.compile(f"(?<=\\S) +[（{FULL_WIDTH_PUNCTUATION}]"),
        "ASCII space before Chinese punctuation",
    ),
    (re.compile(f'"(?=[{CJK}])|(?<=[{CJK}])"'), "ASCII quotes around Chinese text (use “”)"),
)
SECONDS = re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b")
RAW_PLACEHOLDER = re.compile(r"\{[^{}]*\}|[{}]|%\(\w+\)[sd]|%[sd]")
LATIN_WORD = re.compile(r"(?<![\w/.@-])[A-Za-z][A-Za-z'’-]*[A-Za-z](?![\w.@-])")
MONEY_BY_HAND = re.compile(r"[¥￥$€₽]\s?\d|\d[\d,. ]*\s?(?:元|руб|₽|CNY|CN¥|¥)|\bCNY\s?\d|\bRMB\b")


@dataclass(frozen=True)
class Rendering:
    """One catalog entry in one language (a plural entry: one per form)."""

    msgid: str
    locale: str
    text: str
    form: int | None = None


@dataclass(frozen=True)
class Problem:
    rendering: Rendering
    reason: str

    def __str__(self) -> str:
        form = "" if self.rendering.form is None else f" [plural form {self.rendering.form}]"
        return (
            f"{self.rendering.locale}{form} | msgid {self.rendering.msgid!r}\n"
            f"    {self.reason}\n    rendered: {self.rendering.text!r}"
        )


def catalog(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=locale)


def samples(locale: str, count: int | None = None) -> Callable[[str], str]:
    """The sample value of placeholder `name` in `locale` (numbers: `count` when given)."""
    column = {"zh_Hans": 0, "en": 1, "ru": 2}[locale]

    def value(name: str) -> str:
        if name in MONEY_NAMES:
            return money(SAMPLE_MONEY, CURRENCY, locale)
        if name in NUMBER_NAMES:
            return number(count if count is not None else 3, locale)
        if name in DATE_NAMES:
            return day(date(2026, 12, 3), locale)
        if name in MOMENT_NAMES:
            return moment(datetime(2026, 12, 3, 10, 0), locale)
        if name == "phone":
            return mask_phone("+8613800000001")
        if name == "account":
            return mask_account("6222020200112233")
        if name in REFERENCES:
            return REFERENCES[name]
        return WORD_SAMPLES.get(name, GENERIC)[column]

    return value


def fill(text: str, value: Callable[[str], str], known: frozenset[str]) -> str:
    """`text` with each {name} of the msgid (`known`) replaced; any other brace is left as it
    is, as the code's .format() would never fill it."""
    parts = []
    for literal, field, _spec, _conversion in _fields(text):
        parts.append(literal)
        if field is not None:
            parts.append(value(field) if field in known else "{" + field + "}")
    return "".join(parts)


def placeholders(*texts: str) -> frozenset[str]:
    return frozenset(field for text in texts for _, field, _, _ in _fields(text) if field)


def _fields(text: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(text))
    except ValueError:  # an unmatched brace: shown as it is, and reported as raw
        return [(text, None, None, None)]


def renderings(entries: Catalog, locale: str) -> Iterator[Rendering]:
    """Every entry of a catalog, plural entries once per form, with samples."""
    for message in entries:
        if not message.id:
            continue
        if isinstance(message.id, str):
            known = placeholders(message.id)
            text = fill(str(message.string), samples(locale), known)
            yield Rendering(message.id, locale, text)
            continue
        known = placeholders(*message.id)
        for form, text in enumerate(message.string or ()):
            count = _count_for_form(entries, form)
            yield Rendering(message.id[0], locale, fill(text, samples(locale, count), known), form)


def _count_for_form(entries: Catalog, form: int) -> int:
    """A number that selects plural form `form` under the catalog's Plural-Forms rule."""
    index = gettext.c2py(entries.plural_expr)
    return next((n for n in (1, 2, 5, 21, 0) if index(n) == form), 5)


def problems(rendering: Rendering, money_samples: frozenset[str]) -> list[Problem]:
    text = rendering.text
    found = []
    raw = RAW_PLACEHOLDER.search(text)
    if raw:
        found.append(f"raw placeholder {raw.group(0)!r}: not in the msgid, the code never fills it")
    if SECONDS.search(text):
        found.append("a time with seconds")
    by_hand = MONEY_BY_HAND.search(_without(text, money_samples))
    if by_hand:
        found.append(f"money not formatted by Babel: {by_hand.group(0)!r}")
    if rendering.locale == "zh_Hans":
        found += [reason for pattern, reason in CHECKS_ZH if pattern.search(text)]
    if rendering.locale in ("zh_Hans", "ru"):
        plain = _without_options_and_links(_without(text, money_samples))
        words = sorted({word for word in LATIN_WORD.findall(plain) if _foreign(word)})
        if words:
            found.append("English words: " + ", ".join(words))
    return [Problem(rendering, reason) for reason in found]


def _without(text: str, parts: frozenset[str]) -> str:
    for part in parts:
        text = text.replace(part, " ")
    return text


def _without_options_and_links(text: str) -> str:
    return re.sub(r"--\w+|https?://\S+", " ", text)


def _foreign(word: str) -> bool:
    return word not in ALLOWED_LATIN


def review() -> tuple[dict[str, dict[str, list[Rendering]]], list[Problem]]:
    """Renderings by msgid and locale, and every problem found."""
    money_samples = frozenset(
        format_currency(SAMPLE_MONEY, CURRENCY, locale=locale) for locale in SUPPORTED_LOCALES
    )
    table: dict[str, dict[str, list[Rendering]]] = {}
    found: list[Problem] = []
    for locale in SUPPORTED_LOCALES:
        for rendering in renderings(catalog(locale), locale):
            table.setdefault(rendering.msgid, {}).setdefault(locale, []).append(rendering)
            found += problems(rendering, money_samples)
    return table, found


def markdown(table: dict[str, dict[str, list[Rendering]]], found: list[Problem]) -> str:
    lines = ["# Messages review", "", f"{len(table)} entries, {len(found)} problems.", ""]
    if found:
        lines += ["## Problems", "", "```", *(str(problem) for problem in found), "```", ""]
    lines += ["## Entries", ""]
    for msgid, by_locale in table.items():
        lines += [f"### {_one_line(msgid)}", ""]
        for locale in SUPPORTED_LOCALES:
            for rendering in by_locale.get(locale, []):
                form = "" if rendering.form is None else f" ({rendering.form})"
                lines.append(f"- **{locale}{form}**: {_one_line(rendering.text)}")
        lines.append("")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return text.replace("\n", " ⏎ ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/messages-review.md"))
    args = parser.parse_args(argv)
    table, found = review()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(markdown(table, found), encoding="utf-8")
    print(f"{args.out}: {len(table)} entries, {len(found)} problems")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
