"""Outbound SMS: the `SmsSender` Protocol, an in-memory sender for the demo and tests, and a
development printer that never shows a one-time code."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from typing import Protocol, runtime_checkable

# A one-time code is a run of digits on its own; amounts have separators and phone numbers
# are masked before printing. Longer and shorter runs are masked too: better one too many.
DIGIT_RUN = re.compile(r"(?<!\d)\d{4,10}(?!\d)")
CODE_MASK = "******"


@runtime_checkable
class SmsSender(Protocol):
    async def send(self, phone: str, text: str) -> None: ...


class RecordingSmsSender:
    """Keeps every message by phone; `echo` (e.g. the demo's printer) sees each one too."""

    def __init__(self, echo: Callable[[str, str], None] | None = None) -> None:
        self._messages: defaultdict[str, list[str]] = defaultdict(list)
        self._echo = echo

    async def send(self, phone: str, text: str) -> None:
        self._messages[phone].append(text)
        if self._echo is not None:
            self._echo(phone, text)

    def messages_to(self, phone: str) -> list[str]:
        return list(self._messages.get(phone, ()))

    def last_to(self, phone: str) -> str | None:
        sent = self._messages.get(phone)
        return sent[-1] if sent else None


def mask_codes(text: str) -> str:
    return DIGIT_RUN.sub(CODE_MASK, text)


class ConsoleSmsSender:
    """Development only (no SMS gateway): prints `sms -> PHONE: text` with `label_for(phone)`
    for the phone and every one-time code masked; nothing is delivered."""

    def __init__(self, label_for: Callable[[str], str]) -> None:
        self._label_for = label_for

    async def send(self, phone: str, text: str) -> None:
        print(f"sms -> {self._label_for(phone)}: {mask_codes(text)}", flush=True)
