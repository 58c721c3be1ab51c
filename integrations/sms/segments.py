"""Split a reply into SMS-sized messages: 160 characters when the whole text fits the GSM-7
alphabet (extension characters count twice), 70 for anything else (UCS-2, e.g. Chinese).

Each part is sent as its own SMS, so no concatenation header is reserved. Parts break at a
line end or a space when one is close, never inside a surrogate pair.
"""

from __future__ import annotations

from collections.abc import Callable

GSM7_LIMIT = 160
UCS2_LIMIT = 70
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def split_segments(text: str) -> list[str]:
    text = text.strip()
    if not text:
        return []
    if is_gsm7(text):
        return _split(text, GSM7_LIMIT, lambda char: 2 if char in GSM7_EXTENSION else 1)
    return _split(text, UCS2_LIMIT, lambda char: 2 if ord(char) > 0xFFFF else 1)


def _split(text: str, limit: int, width: Callable[[str], int]) -> list[str]:
    parts: list[str] = []
    start = 0
    while start < len(text):
        end, used = start, 0
        while end < len(text) and used + width(text[end]) <= limit:
            used += width(text[end])
            end += 1
        if end < len(text):
            end = _break_point(text, start, end)
        part = text[start:end].strip()
        if part:
            parts.append(part)
        start = end
    return parts


def _break_point(text: str, start: int, end: int) -> int:
    """A line end or space in the last third of the part, else a hard cut."""
    floor = start + (end - start) * 2 // 3
    for separator in ("\n", " "):
        found = text.rfind(separator, floor, end)
        if found > start:
            return found + 1
    return end
