"""Money amounts typed by people: "50000", "5万", "5.5万", "5w", "50k", "1.5m", "80к",
"50 тыс.", "1,5 млн", "50,000", "1 234,56", "¥50,000.50", "1 234,56 CN¥".

Full-width characters (５０，０００) are read like their ASCII forms. Commas and spaces group
thousands (groups of exactly three digits); the point is the decimal separator, and so is a
comma followed by one or two digits ("5,5 тыс", "1 234,56"), as Russian writes it. The
multipliers: 千, k, к, тыс (1,000), 万, w (10,000), m, млн (1,000,000), 亿 (100,000,000).
Whole amounts in Chinese numerals too: "五万", "一万五", "两万五千" (chinese_numerals). The
amount may have at most two decimals (fen) once the multiplier is applied. Every amount a
person types goes through `parse_amount`, so the calculator, the application and the money
commands give the same answer for the same text.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from enum import StrEnum

from bot.domain.chinese_numerals import CHARACTERS, parse_chinese_number

MAX_AMOUNT = Decimal(10) ** 12
MAX_TEXT_LENGTH = 40
FEN = Decimal("0.01")
UNIT = Decimal(1)

_MULTIPLIERS = {
    "": 1,
    **dict.fromkeys(("千", "k", "к", "тыс", "тыс.", "тысяч", "тысячи", "тысяча"), 1_000),
    **dict.fromkeys(("万", "w"), 10_000),
    **dict.fromkeys(("m", "млн", "млн."), 1_000_000),
    "亿": 100_000_000,
}
_UNIT = "|".join(re.escape(unit) for unit in sorted(_MULTIPLIERS, key=len, reverse=True) if unit)
_SYMBOL = r"(?:cn|us|hk)?[¥$€£₽]"
_CURRENCY_MARKS = re.compile(rf"^(?:{_SYMBOL}|rmb|cny)\s*|\s*(?:{_SYMBOL}|元|块|rmb|cny|yuan)$")
_AMOUNT = re.compile(
    r"(?P<whole>\d{1,3}(?:[, ]\d{3})+|\d+)"
    r"(?:\.(?P<fraction>\d+)|,(?P<comma_fraction>\d{1,2}))?"
    rf"\s*(?P<unit>{_UNIT})?"
)
_EXPONENT = re.compile(r"[\d.,]*\d[\d.,]*e[+-]?\d+")
_DIGITS_AND_MARKS = re.compile(r"[\d., ]*\d[\d., ]*")
_MINUS_SIGNS = ("-", "\u2212", "\u2013")


class AmountErrorCode(StrEnum):
    EMPTY = "empty"
    NEGATIVE = "negative"
    EXPONENT = "exponent"
    TOO_MANY_DECIMALS = "too_many_decimals"
    TOO_LARGE = "too_large"  # params: maximum
    BAD_GROUPING = "bad_grouping"  # digits with commas or points that group nothing
    NOT_A_NUMBER = "not_a_number"


class AmountError(ValueError):
    """Text that is not an amount; ``code`` and ``params`` (always ``text``) for the message."""

    def __init__(self, code: AmountErrorCode, text: str, **params: str | Decimal) -> None:
        super().__init__(f"{code}: {text!r}")
        self.code = code
        self.params: dict[str, str | Decimal] = {"text": text, **params}


def parse_amount(text: str) -> Decimal:
    """The amount in ``text``, e.g. ``Decimal("55000")`` for "5.5万"; raises ``AmountError``."""
    cleaned = _normalized(text)
    if not cleaned:
        raise AmountError(AmountErrorCode.EMPTY, text)
    if cleaned.startswith(_MINUS_SIGNS):
        raise AmountError(AmountErrorCode.NEGATIVE, text)
    if len(cleaned) > MAX_TEXT_LENGTH:
        too_long = AmountErrorCode.TOO_LARGE if cleaned.isdigit() else AmountErrorCode.NOT_A_NUMBER
        raise AmountError(too_long, text, maximum=MAX_AMOUNT)
    if set(cleaned) <= CHARACTERS:
        written = parse_chinese_number(cleaned)
        if written is None:
            raise AmountError(AmountErrorCode.NOT_A_NUMBER, text)
        return _checked_amount(Decimal(written), text)
    if _EXPONENT.fullmatch(cleaned):
        raise AmountError(AmountErrorCode.EXPONENT, text)
    match = _AMOUNT.fullmatch(cleaned)
    if match is None or (match["comma_fraction"] and "," in match["whole"]):
        grouping = "," in cleaned and _DIGITS_AND_MARKS.fullmatch(cleaned)
        raise AmountError(
            AmountErrorCode.BAD_GROUPING if grouping else AmountErrorCode.NOT_A_NUMBER, text
        )
    return _checked_amount(_amount_of(match), text)


def is_amount_suffix(word: str) -> bool:
    """A multiplier or currency word typed apart from its number ("80 к", "50 тыс.", "100 元")."""
    folded = _folded(word)
    return bool(folded) and (folded in _MULTIPLIERS or not _CURRENCY_MARKS.sub("", folded))


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower()


def _normalized(text: str) -> str:
    return _CURRENCY_MARKS.sub("", _folded(text)).strip()


def _amount_of(match: re.Match[str]) -> Decimal:
    whole = match["whole"].replace(",", "").replace(" ", "")
    fraction = match["fraction"] or match["comma_fraction"]
    number = Decimal(f"{whole}.{fraction}" if fraction else whole)
    return number * _MULTIPLIERS[match["unit"] or ""]


def _checked_amount(amount: Decimal, text: str) -> Decimal:
    if amount > MAX_AMOUNT:
        raise AmountError(AmountErrorCode.TOO_LARGE, text, maximum=MAX_AMOUNT)
    if amount == amount.to_integral_value():
        return amount.quantize(UNIT)
    if amount != amount.quantize(FEN):
        raise AmountError(AmountErrorCode.TOO_MANY_DECIMALS, text)
    return amount.quantize(FEN)
