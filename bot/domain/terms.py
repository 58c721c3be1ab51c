"""Lengths of time typed by people, in whole months: a loan's term ("12", "12 months", "12个月",
"一年", "1 год", "12 мес") or how long a business has run ("3 years", "3年", "8 months").

One grammar for both: a number (digits with a decimal point or comma, or Chinese numerals
up to 九十九) and an optional unit in English, Chinese or Russian; also 半年 and 一年半. A
bare number is read in the unit the caller says (months for a term, years for a business's
age). Bounds (the product's terms) are the caller's to check.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from bot.domain.chinese_numerals import parse_chinese_number

TERM_CHOICES = (3, 6, 12, 18, 24)  # the terms offered as buttons, where the product allows
MAX_MONTHS = 1200
MAX_TEXT_LENGTH = 30


class Unit(StrEnum):
    MONTHS = "months"
    YEARS = "years"


_UNITS = {
    Unit.MONTHS: ("months", "month", "mos", "mo", "m", "个月", "個月", "月",
                  "месяцев", "месяца", "месяц", "мес", "м"),
    Unit.YEARS: ("years", "year", "yrs", "yr", "y", "年", "лет", "года", "год", "г"),
}  # fmt: skip
_UNIT_OF = {word: unit for unit, words in _UNITS.items() for word in words}
_DURATION = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)?|[零〇一二两三四五六七八九十]+)\s*"
    r"(?P<unit>" + "|".join(sorted(map(re.escape, _UNIT_OF), key=len, reverse=True)) + r")?"
    r"(?P<half>半)?\.?"
)
_HALF_YEAR = re.compile(r"半年|полгода|half a year")


class TermError(ValueError):
    """Text that is not a whole number of months."""


def parse_term(text: str) -> int:
    """A loan's term in months: "12", "12 months", "12个月", "一年", "1 год" -> 12."""
    return parse_months(text, bare=Unit.MONTHS)


def parse_months(text: str, *, bare: Unit) -> int:
    """The whole number of months in `text`; a number without a unit is in `bare`."""
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()
    if len(cleaned) > MAX_TEXT_LENGTH or any(unicodedata.category(ch) == "No" for ch in text):
        raise TermError(text)
    if _HALF_YEAR.fullmatch(cleaned):
        return 6
    match = _DURATION.fullmatch(cleaned)
    if match is None:
        raise TermError(text)
    number = _number(match["number"], text)
    unit = _UNIT_OF[match["unit"]] if match["unit"] else bare
    if match["half"]:  # 一年半, 2年半
        if unit is not Unit.YEARS or not match["unit"]:
            raise TermError(text)
        number += Decimal("0.5")
    months = number if unit is Unit.MONTHS else number * 12
    if months > MAX_MONTHS or months != months.to_integral_value():
        raise TermError(text)
    return int(months)


def _number(written: str, text: str) -> Decimal:
    if written[0].isdigit():
        try:
            return Decimal(written.replace(",", "."))
        except InvalidOperation:  # digits Decimal does not read, e.g. "²"
            raise TermError(text) from None
    return _chinese_number(written, text)


def _chinese_number(written: str, text: str) -> Decimal:
    value = parse_chinese_number(written)
    if value is None:
        raise TermError(text)
    return Decimal(value)
