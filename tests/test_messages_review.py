"""`make messages-review`: every catalog entry rendered in zh_Hans, en and ru with sample
values, and nothing in them that reads wrong (see bot/messages_review.py for the checks)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.numbers import format_currency

from bot.messages_review import Problem, Rendering, main, problems, renderings, review

MONEY = frozenset(
    format_currency(Decimal("12345.60"), "CNY", locale=locale) for locale in ("zh_Hans", "en", "ru")
)


def test_every_entry_reads_right_in_every_language() -> None:
    _table, found = review()
    assert found == [], "\n" + "\n".join(str(problem) for problem in found)


@pytest.mark.parametrize(
    ("locale", "text", "reason"),
    [
        ("zh_Hans", "超过单笔限额。 当前最多可付 ¥12,345.60。", "ASCII space after Chinese"),
        ("zh_Hans", "最新余额: ¥12,345.60", "ASCII colon after Chinese"),
        ("zh_Hans", "请稍后再试.", "ASCII punctuation after Chinese"),
        ("zh_Hans", "线索 LD1 (双人调查)", "ASCII brackets around Chinese"),
        ("zh_Hans", "月供 ¥12,345.60 （占月现金流 35%）", "ASCII space before Chinese punctuation"),
        ("zh_Hans", '请点击"完成"', "ASCII quotes around Chinese"),
        ("en", "Send {amount} now", "raw placeholder '{amount}'"),
        ("ru", "Отправьте %s", "raw placeholder '%s'"),
        ("en", "Visit on Dec 3, 2026, 10:00:00 AM", "a time with seconds"),
        ("zh_Hans", "将于 2026年12月3日 10:00:00 上门", "a time with seconds"),
        ("zh_Hans", "短信里写的是 ¥3000.00", "money not formatted by Babel: '¥3'"),
        ("ru", "Можно 3000 руб.", "money not formatted by Babel"),
        ("zh_Hans", "评分因素：coverage +150", "English words: coverage"),
        ("ru", "Например: 3 years", "English words: years"),
    ],
)
def test_each_kind_of_mistake_is_found(locale: str, text: str, reason: str) -> None:
    found = problems(Rendering("msgid", locale, text), MONEY)
    assert any(problem.reason.startswith(reason) for problem in found), found


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("zh_Hans", "请在 ZZ 后面写上收款人和金额。\n示例：ZZ 张三 100"),
        ("zh_Hans", "发送 /apply 开始申请，短信验证码 6 位，时间 10:00。"),
        ("ru", "Отправьте QR и код из SMS: 12\xa0345,60\xa0CN¥, Telegram, --months."),
        ("en", "Reply QR 123456 (e.g. 10:00) for ¥12,345.60 or CN¥12,345.60."),
    ],
)
def test_what_is_right_is_not_reported(locale: str, text: str) -> None:
    assert problems(Rendering("msgid", locale, text), MONEY) == []


def test_a_plural_entry_is_shown_in_each_form_with_a_number_that_selects_it() -> None:
    entries = Catalog(locale="ru")
    entries.add(
        ("Remind me in {months} month", "Remind me in {months} months"),
        (
            "Напомнить через {months} месяц",
            "Напомнить через {months} месяца",
            "Напомнить через {months} месяцев",
        ),
    )
    shown = [(r.form, r.text) for r in renderings(entries, "ru") if r.form is not None]
    assert shown == [
        (0, "Напомнить через 1 месяц"),
        (1, "Напомнить через 2 месяца"),
        (2, "Напомнить через 5 месяцев"),
    ]


def test_a_problem_names_the_entry_and_the_reason() -> None:
    problem = Problem(Rendering("Balance: {amount}", "zh_Hans", "余额: ¥1.00", 0), "why")
    assert str(problem) == (
        "zh_Hans [plural form 0] | msgid 'Balance: {amount}'\n    why\n    rendered: '余额: ¥1.00'"
    )


def test_the_review_file_shows_each_entry_in_three_languages(tmp_path: Path) -> None:
    out = tmp_path / "review.md"
    assert main(["--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    entry = text.split("### Sales on an ordinary day\n", 1)[1].split("###", 1)[0]
    assert entry.strip().splitlines() == [
        "- **zh_Hans**: 平日营业额",
        "- **en**: Sales on an ordinary day",
        "- **ru**: Выручка в обычный день",
    ]
    assert "### Outstanding principal: {amount}\n\n- **zh_Hans**: 剩余本金：¥12,345.60\n" in text
