"""What services hand to the outbound pipeline: a message to send (or an edit), never a Bot.

Producers (reminders, lead news, officers' cards and escalations, payout notices, receipts,
"remind me later") build an `OutgoingMessage` and `enqueue` it on an `Outbox`; one Sender
delivers it later, once per idempotency key, through the shared rate limit, with the SMS
fallback when the chat blocked the bot. A message with no chat goes by SMS only (the answer
to a command given by SMS). The implementation lives with the job engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Protocol

from aiogram.types import InlineKeyboardMarkup


class Priority(IntEnum):
    """Lower goes first: what a person is waiting for before what is merely due."""

    URGENT = 0  # lead cards, escalations, answers to something the user just did
    NORMAL = 1  # status news, receipts, payout notices
    BULK = 2  # reminders, "remind me later"


@dataclass(frozen=True)
class OutgoingMessage:
    key: str  # idempotency key, "kind:...": one delivery per key, ever
    chat_id: int | None  # None: by SMS only, `sms_text` to `phone` (see `by_sms`)
    text: str
    markup: InlineKeyboardMarkup | None = None
    replaces: str | None = None  # key of an earlier message to edit in place, if still there
    revision: int = 0  # edits of one message: one with a lower revision than applied is dropped
    sms_text: str | None = None  # what to text instead when the chat blocked the bot
    phone: str | None = None  # where that SMS goes; None: look it up from `customer_id`
    customer_id: str | None = None
    priority: Priority = Priority.NORMAL
    not_before: datetime | None = None

    def __post_init__(self) -> None:
        if self.chat_id is None and (
            self.phone is None or self.sms_text is None or self.replaces is not None
        ):
            raise ValueError("a message with no chat needs a phone and a text and edits nothing")

    @classmethod
    def by_sms(
        cls, key: str, phone: str, text: str, priority: Priority = Priority.NORMAL
    ) -> OutgoingMessage:
        """A text message only, to someone who talks to the bank by SMS."""
        return cls(key=key, chat_id=None, text=text, sms_text=text, phone=phone, priority=priority)

    @property
    def kind(self) -> str:
        """What sort of message it is (metrics, dead letters): the key up to its first ':'."""
        return self.key.partition(":")[0]


class Outbox(Protocol):
    async def enqueue(self, message: OutgoingMessage) -> bool:
        """Queue the message durably; False when its key was queued before."""
        ...


class BatchOutbox(Outbox, Protocol):
    async def enqueue_all(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        """`enqueue` for many messages, in their order, in a few round trips for all."""
        ...


class PhoneBook(Protocol):
    """Where the SMS goes instead, when a chat blocked the bot."""

    async def phone_of(self, customer_id: str) -> str | None: ...

    async def phone_of_lead(self, lead_id: str) -> str | None:
        """The phone the merchant applied with."""
        ...
