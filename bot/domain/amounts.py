"""Money amounts typed by people: "50000", "5万", "5.5万", "5w", "50k", "50,000", "¥50,000.50".

Full-width characters (５０，０００) are read like their ASCII forms. Commas and spaces group
thousands (groups of exactly three digits); the point is the decimal separator. The amount may
have at most two decimals (fen) once a 万/w (10,000) or k/千 (1,000) multiplier is applied.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from enum import StrEnum

MAX_AMOUNT = Decimal(10) ** 12
MAX_TEXT_LENGTH = 40
FEN = Decimal("0.01")
UNIT = Decimal(1)

_MULTIPLIERS = {"": 1, "万": 10_000, "w": 10_000, "k": 1_000, "千": 1_000}
_CURRENCY_MARKS = re.compile(r"^(?:¥|rmb|cny)\s*|\s*(?:元|块|rmb|cny)$")
_AMOUNT = re.compile(
    r"(?P<whole>\d{1,3}(?:[, ]\d{3})+|\d+)(?:\.(?P<fraction>\d+))?\s*(?P<unit>万|w|k|千)?"
)
_EXPONENT = re.compile(r"[\d.,]*\d[\d.,]*e[+-]?\d+")
_MINUS_SIGNS = ("-", "\u2212", "\u2013")


class AmountErrorCode(StrEnum):
    EMPTY = "empty"
    NEGATIVE = "negative"
    EXPONENT = "exponent"
    TOO_MANY_DECIMALS = "too_many_decimals"
    TOO_LARGE = "too_large"  # params: maximum
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
    if len(cleaned) > MAX_TEXT_LENGTH:
        raise AmountError(AmountErrorCode.NOT_A_NUMBER, text)
    if cleaned.startswith(_MINUS_SIGNS):
        raise AmountError(AmountErrorCode.NEGATIVE, text)
    if _EXPONENT.fullmatch(cleaned):
        raise AmountError(AmountErrorCode.EXPONENT, text)
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise AmountError(AmountErrorCode.NOT_A_NUMBER, text)
    return _checked_amount(_amount_of(match), text)


def _normalized(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    return _CURRENCY_MARKS.sub("", folded).strip()


def _amount_of(match: re.Match[str]) -> Decimal:
    whole = match["whole"].replace(",", "").replace(" ", "")
    number = Decimal(f"{whole}.{match['fraction']}" if match["fraction"] else whole)
    return number * _MULTIPLIERS[match["unit"] or ""]


def _checked_amount(amount: Decimal, text: str) -> Decimal:
    if amount > MAX_AMOUNT:
        raise AmountError(AmountErrorCode.TOO_LARGE, text, maximum=MAX_AMOUNT)
    if amount == amount.to_integral_value():
        return amount.quantize(UNIT)
    if amount != amount.quantize(FEN):
        raise AmountError(AmountErrorCode.TOO_MANY_DECIMALS, text)
    return amount.quantize(FEN)
