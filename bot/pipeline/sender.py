"""The one Sender: the only holder of a Bot for messages nobody asked for.

It sends through the shared rate limit, edits the earlier message a message replaces (a new
message when that one is gone), texts the SMS instead once when the chat blocked the bot
(a message with no chat only by SMS, split into segments as the SMS channel answers),
and answers how it went: `Done`, `Later` (retry after a while: flood control, a claim held
elsewhere, a passing error) or `Dead` (Telegram refused it for good). On a 429 it moves the
shared schedule for every process and asks for a retry after `retry_after`; it never
sleeps on it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import StrEnum

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)

from bot.services.outbound import OutgoingMessage, PhoneBook, Priority
from bot.services.sender import (
    DeliveryRecord,
    EditStart,
    Outcome,
    SendRateLimiter,
    SentMessage,
    Start,
)
from bot.telemetry import WorkerMetrics
from integrations.bank.errors import NotFound
from integrations.bank.protocol import BankAdapter
from integrations.sms.gateway import SegmentingSender
from integrations.sms.outbound import SmsSender

log = logging.getLogger(__name__)

GONE = ("message to edit not found", "message can't be edited")
NOT_MODIFIED = "message is not modified"
BUSY_RETRY_SECONDS = 30.0  # another process holds the claim: look again after this
EDIT_WAIT_SECONDS = 1.0
WAITING_FOR_IT = "the message it edits is not sent yet"


class BankPhones:
    """Implements `PhoneBook` from what the bank knows."""

    def __init__(self, bank: BankAdapter) -> None:
        self.bank = bank

    async def phone_of(self, customer_id: str) -> str | None:
        try:
            return (await self.bank.get_customer(customer_id)).phone
        except NotFound:
            return None

    async def phone_of_lead(self, lead_id: str) -> str | None:
        try:
            return (await self.bank.get_lead(lead_id)).phone
        except NotFound:
            return None


class Why(StrEnum):
    FAILED = "failed"  # counts towards the attempts
    THROTTLED = "throttled"  # Telegram's flood control
    BUSY = "busy"  # being sent by another process right now


@dataclass(frozen=True)
class Done:
    how: Outcome


@dataclass(frozen=True)
class Later:
    why: Why
    reason: str
    seconds: float | None = None  # None: the delivery policy's backoff


@dataclass(frozen=True)
class Dead:
    reason: str


Verdict = Done | Later | Dead


class Sender:
    def __init__(
        self,
        bot: Bot,
        sms: SmsSender,
        limiter: SendRateLimiter,
        record: DeliveryRecord,
        phones: PhoneBook,
        metrics: WorkerMetrics,
        *,
        paid_broadcast: bool = False,
    ) -> None:
        self.bot = bot
        self.sms = sms
        self.replies_by_sms = SegmentingSender(sms)  # split as the SMS channel's own answers
        self.limiter = limiter
        self.record = record
        self.phones = phones
        self.metrics = metrics
        self.paid_broadcast = paid_broadcast

    async def deliver(self, message: OutgoingMessage) -> Verdict:
        start = await self.record.begin(message.key)
        if start is Start.DONE:
            return Done(Outcome.SENT)
        if start is Start.BUSY:
            return Later(Why.BUSY, "claimed", BUSY_RETRY_SECONDS)
        try:
            verdict = await self._deliver_claimed(message)
        except Exception as error:
            await self.record.release(message.key)
            return Later(Why.FAILED, type(error).__name__)
        if not isinstance(verdict, Done):
            await self.record.release(message.key)
        return verdict

    async def _deliver_claimed(self, message: OutgoingMessage) -> Verdict:
        if message.chat_id is None:
            return await self._by_sms(message)
        if message.replaces is not None and message.revision:
            return await self._edit_in_turn(message, message.replaces, message.chat_id)
        earlier = None
        if message.replaces is not None:
            if await self._still_on_its_way(message.replaces):
                return Later(Why.BUSY, WAITING_FOR_IT, EDIT_WAIT_SECONDS)
            earlier = await self.record.message_of(message.replaces)
        return await self._to_telegram(message, message.chat_id, earlier)

    async def _edit_in_turn(self, message: OutgoingMessage, replaces: str, chat_id: int) -> Verdict:
        """Edits of one message go one at a time, and never back to an older revision."""
        turn = f"edit:{replaces}"
        start, earlier = await self.record.begin_edit(message.key, replaces, turn, message.revision)
        if start is EditStart.WAITING:
            return Later(Why.BUSY, WAITING_FOR_IT, EDIT_WAIT_SECONDS)
        if start is EditStart.BUSY:
            return Later(Why.BUSY, "another edit of it is on its way", EDIT_WAIT_SECONDS)
        if start is EditStart.SUPERSEDED:
            return Done(Outcome.SUPERSEDED)
        verdict: Verdict = Later(Why.FAILED, "not sent")
        try:
            verdict = await self._to_telegram(message, chat_id, earlier, releasing=turn)
        finally:
            if verdict != Done(Outcome.SENT):  # a sent one let go of the turn with its record
                await self.record.release(turn)
        return verdict

    async def _to_telegram(
        self,
        message: OutgoingMessage,
        chat_id: int,
        earlier: SentMessage | None,
        *,
        releasing: str | None = None,
    ) -> Verdict:
        try:
            sent = await self._to_chat(message, chat_id, earlier)
        except TelegramRetryAfter as error:
            self.metrics.throttled.inc()
            await self.limiter.pause_everyone(error.retry_after)
            return Later(Why.THROTTLED, "retry_after", float(error.retry_after))
        except TelegramForbiddenError:
            log.info("a chat blocked the bot; the %s message goes by SMS if it can", message.kind)
            return await self._by_sms(message)
        except (TelegramBadRequest, TelegramNotFound) as error:
            return Dead(f"{type(error).__name__}: {_first_words(error.message)}")
        await self.record.sent(message.key, sent, releasing=releasing)
        return Done(Outcome.SENT)

    async def _still_on_its_way(self, key: str) -> bool:
        """An edit taken by another consumer before its message went out waits for it."""
        return await self.record.was_queued(key) and not await self.record.was_sent(key)

    async def _to_chat(
        self, message: OutgoingMessage, chat_id: int, earlier: SentMessage | None
    ) -> SentMessage:
        if earlier is not None and message.replaces is not None:
            try:
                return await self._edit(earlier, message)
            except TelegramBadRequest as error:
                if NOT_MODIFIED in error.message:
                    return earlier
                if not any(gone in error.message for gone in GONE):
                    raise
            sent = await self._send(message, chat_id)
            await self.record.sent(message.replaces, sent)  # later edits find the new one
            return sent
        return await self._send(message, chat_id)

    async def _send(self, message: OutgoingMessage, chat_id: int) -> SentMessage:
        await self._slot(message, chat_id)
        started = time.perf_counter()
        try:
            result = await self.bot.send_message(
                chat_id,
                message.text,
                reply_markup=message.markup,
                allow_paid_broadcast=self.paid_broadcast or None,
            )
        finally:
            self.metrics.send_seconds.observe(time.perf_counter() - started)
        return SentMessage(chat_id, result.message_id)

    async def _edit(self, earlier: SentMessage, message: OutgoingMessage) -> SentMessage:
        await self._slot(message, earlier.chat_id)
        started = time.perf_counter()
        try:
            await self.bot.edit_message_text(
                text=message.text,
                chat_id=earlier.chat_id,
                message_id=earlier.message_id,
                reply_markup=message.markup,
            )
        finally:
            self.metrics.send_seconds.observe(time.perf_counter() - started)
        return earlier

    async def _slot(self, message: OutgoingMessage, chat_id: int) -> None:
        await self.limiter.wait_for_slot(chat_id, spaced=message.priority is not Priority.URGENT)

    async def _by_sms(self, message: OutgoingMessage) -> Verdict:
        """Once: the record is settled right after the text went out (the claim keeps a
        second process from texting it meanwhile)."""
        phone = message.phone
        if phone is None and message.customer_id is not None:
            phone = await self.phones.phone_of(message.customer_id)
        if phone is None or message.sms_text is None:
            log.info("the %s message has no SMS to go by", message.kind)
            await self.record.settled(message.key, Outcome.BLOCKED)
            return Done(Outcome.BLOCKED)
        sms = self.replies_by_sms if message.chat_id is None else self.sms
        await sms.send(phone, message.sms_text)
        await self.record.settled(message.key, Outcome.BY_SMS)
        return Done(Outcome.BY_SMS)


def _first_words(description: str) -> str:
    """Telegram's description names the problem; keep it short for the dead letter."""
    return description.removeprefix("Bad Request: ")[:80]
