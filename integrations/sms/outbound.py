"""Outbound SMS: the `SmsSender` Protocol and an in-memory sender for the demo and tests."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Protocol, runtime_checkable


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


def console_sms_sender(label_for: Callable[[str], str] = lambda phone: phone) -> RecordingSmsSender:
    """A recording sender that prints `sms -> USER: text`; `label_for` names the phone."""
    return RecordingSmsSender(echo=lambda phone, text: print(f"sms -> {label_for(phone)}: {text}"))
