"""Whole numbers written in Chinese characters: "五万", "一万五" (15,000), "三千", "两万五千",
"一千零五十", "十八". A digit right after a unit, with no 零 between, counts in the next
smaller unit, as people say it: 一万五 is 15,000, 三千五 3,500, 一百五 150.
"""

from __future__ import annotations

DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
          "七": 7, "八": 8, "九": 9}  # fmt: skip
_SMALL = {"十": 10, "百": 100, "千": 1000}
_LARGE = {"万": 10_000, "亿": 100_000_000}
CHARACTERS = frozenset((*DIGITS, *_SMALL, *_LARGE))
_WRITTEN = "零一二三四五六七八九"


def parse_chinese_number(text: str) -> int | None:
    """The number, or None when `text` is not one written this way."""
    if not text or not set(text) <= CHARACTERS:
        return None
    total, section = 0, 0
    digit: int | None = None
    small: int | None = None  # the section's last unit: they come in falling order
    large: int | None = None
    unit = 1  # the last unit written
    after_unit = False  # a digit now counts in the next smaller unit (no 零 since the unit)
    for position, char in enumerate(text):
        if char in DIGITS:
            if digit is not None:
                return None  # two digits in a row
            digit = DIGITS[char] or None
            after_unit = after_unit and digit is not None
        elif char in _SMALL:
            unit = _SMALL[char]
            if (digit is None and not (char == "十" and position == 0)) or (
                small is not None and unit >= small
            ):
                return None
            section += (digit or 1) * unit
            digit, small, after_unit = None, unit, True
        else:
            unit = _LARGE[char]
            section += digit or 0
            if section == 0 or (large is not None and unit >= large):
                return None
            total += section * unit
            section, digit, small, large, after_unit = 0, None, None, unit, True
    if digit is not None:
        section += digit * (unit // 10 if after_unit else 1)
    return total + section


def chinese_number(value: int) -> str:
    """1 to 99,999,999 written out: 十五, 一万零五, 二千零五十 (the form `parse` reads back)."""
    if not 0 < value < 100_000_000:
        raise ValueError(value)
    high, low = divmod(value, 10_000)
    if not high:
        return _section(low, first=True)
    written = _section(high, first=True) + "万"
    if low:
        written += ("零" if low < 1000 else "") + _section(low, first=False)
    return written


def _section(value: int, *, first: bool) -> str:
    """0 < value < 10,000."""
    if first and 10 <= value < 20:
        return "十" + (_WRITTEN[value - 10] if value > 10 else "")
    written, gap = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = value // unit % 10
        if digit:
            written += ("零" if gap else "") + _WRITTEN[digit] + name
            gap = False
        elif written:
            gap = True
    return written
