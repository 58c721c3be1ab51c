"""`python -m bot worker`: reminders of due installments and bank notices, sent within limits.

Jobs run on a Redis Stream with a consumer group (`bot.update_queue.UpdateQueue`): a tick
moves what fell due from the time index onto the stream (overdue first, nothing in quiet
hours) and reads the bank's event feed; consumers in any number of processes send each
job through the shared rate limiter, once per idempotency key.

`run_due_reminders(dispatcher, bot, sms, now)` does one whole pass in-process: the demo
calls it after moving its simulated clock, the tests call it to let time pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.clock import Clock
from bot.config import Settings
from bot.domain.reminders import in_quiet_hours
from bot.reminder_config import ReminderSettings
from bot.services.accounts import CustomerDirectory
from bot.services.reminders import JOBS_STREAM, ReminderService
from bot.services.sender import Outgoing, Sender, SendRateLimiter
from bot.update_queue import UpdateQueue
from bot.views import reminders as views
from integrations.bank.errors import BankError
from integrations.bank.models import (
    LeadStatusChanged,
    LoanDisbursed,
    PaymentPosted,
    TransactionKind,
)
from integrations.sms.outbound import SmsSender

log = logging.getLogger(__name__)

EVENTS_CURSOR_KEY = "reminders:events:cursor"
EVENTS_LOCK_KEY = "reminders:events:lock"
EVENTS_LOCK_MS = 30_000
EVENTS_PAGE = 100
DRAIN_ROUNDS = 50


@dataclass
class WorkerParts:
    settings: Settings
    reminder_settings: ReminderSettings
    redis: Redis
    i18n: I18n
    reminders: ReminderService
    directory: CustomerDirectory
    lead_news: Callable[[LeadStatusChanged], Awaitable[None]] | None = None


class ReminderWorker:
    def __init__(self, parts: WorkerParts, bot: Bot, sms: SmsSender, consumer: str) -> None:
        self.parts = parts
        self.reminders = parts.reminders
        self.redis = parts.redis
        config = parts.reminder_settings
        self.queue = UpdateQueue(
            parts.redis, consumer, stream=JOBS_STREAM, group="reminder-senders", concurrency=64
        )
        limiter = SendRateLimiter(parts.redis, config.messages_per_second, config.chat_interval_ms)
        self.sender = Sender(
            parts.redis,
            bot,
            sms,
            limiter,
            max_retries=config.max_retries,
            paid_broadcast=config.paid_broadcast,
        )
        self.budget = max(100, int(config.messages_per_second * config.tick_seconds * 2))

    async def tick(self, now: datetime) -> int:
        """Read the bank's news, then queue what fell due (none in quiet hours)."""
        await self.read_bank_events(now)
        if in_quiet_hours(now, self.reminders.policy):
            return 0
        return await self.reminders.index.move_due(now, self.budget)

    async def send_job(self, raw: bytes, now: datetime) -> None:
        due = await self.reminders.due_now(raw.decode(), now)
        if due is None:
            return
        currency = self.parts.settings.currency
        with self.parts.i18n.context(), self.parts.i18n.use_locale(due.reader.locale):
            message = Outgoing(
                key=f"reminder:{due.key.member}",
                chat_id=due.reader.chat_id,
                text=views.reminder(due, currency, due.reader.locale),
                markup=views.reminder_buttons(due),
                sms_text=views.sms_reminder(due, currency, due.reader.locale),
            )
        await self.sender.deliver(message, lambda: self._phone(due.key.customer_id))
        await self.reminders.index_loan(due.loan, now)

    async def read_bank_events(self, now: datetime) -> None:
        """One process at a time follows the feed; each notice has its own idempotency key."""
        token = os.urandom(8).hex()
        if not await self.redis.set(EVENTS_LOCK_KEY, token, nx=True, px=EVENTS_LOCK_MS):
            return
        try:
            cursor_raw = await self.redis.get(EVENTS_CURSOR_KEY)
            cursor = cursor_raw.decode() if isinstance(cursor_raw, bytes) else cursor_raw
            while True:
                page = await self.reminders.bank.list_events(after=cursor, limit=EVENTS_PAGE)
                for event in page.events:
                    await self._notify(event, now)
                if page.next_cursor is not None and page.next_cursor != cursor:
                    cursor = page.next_cursor
                    await self.redis.set(EVENTS_CURSOR_KEY, cursor)
                if len(page.events) < EVENTS_PAGE:
                    return
        except BankError:
            log.warning("the bank's event feed is not available; trying again next tick")
        finally:
            if await self.redis.get(EVENTS_LOCK_KEY) == token.encode():
                await self.redis.delete(EVENTS_LOCK_KEY)

    async def _notify(self, event: Any, now: datetime) -> None:
        if isinstance(event, LoanDisbursed):
            await self.reminders.index_customer(event.customer_id, now)
            await self._tell(
                event.id,
                event.customer_id,
                lambda currency, locale: views.payout_notice(event.notice, currency, locale),
            )
        elif isinstance(event, LeadStatusChanged) and self.parts.lead_news is not None:
            await self.parts.lead_news(event)
        elif isinstance(event, PaymentPosted) and event.receipt.kind is TransactionKind.REPAYMENT:
            await self.reminders.index_customer(event.customer_id, now)
            await self._tell(
                event.id,
                event.customer_id,
                lambda currency, locale: views.repayment_receipt(event.receipt, currency, locale),
            )

    async def _tell(self, event_id: str, customer_id: str, render: Any) -> None:
        reader = await self.parts.directory.reader(customer_id)
        if reader is None:
            return
        with self.parts.i18n.context(), self.parts.i18n.use_locale(reader.locale):
            text = render(self.parts.settings.currency, reader.locale)
        message = Outgoing(
            key=f"event:{event_id}", chat_id=reader.chat_id, text=text, sms_text=text
        )
        await self.sender.deliver(message, lambda: self._phone(customer_id))

    async def _phone(self, customer_id: str) -> str | None:
        try:
            return (await self.reminders.bank.get_customer(customer_id)).phone
        except BankError:
            return None

    async def run_once(self, now: datetime) -> int:
        """Tick, then send everything queued; the number of jobs handled."""
        await self.queue.prepare()
        await self.tick(now)
        handled = 0

        async def handle(raw: bytes) -> None:
            nonlocal handled
            await self.send_job(raw, now)
            handled += 1

        await self.queue.reclaim(handle)
        for _ in range(DRAIN_ROUNDS):
            if not await self.redis.xlen(JOBS_STREAM):
                break
            await self.queue.read_new(handle, block_ms=1)
            await self.queue.drain()
        return handled

    async def serve(self, clock: Clock, stop: asyncio.Event) -> None:
        async def handle(raw: bytes) -> None:
            await self.send_job(raw, clock.now())

        consumers = asyncio.create_task(self.queue.serve(handle, stop))
        interval = self.parts.reminder_settings.tick_seconds
        try:
            while not stop.is_set():
                try:
                    await self.tick(clock.now())
                except Exception:
                    log.exception("reminder tick failed; trying again")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
        finally:
            stop.set()
            await consumers


def parts_of(dispatcher: Dispatcher) -> WorkerParts:
    data = dispatcher.workflow_data
    reminders: ReminderService = data["reminders"]
    return WorkerParts(
        settings=data["settings"],
        reminder_settings=data["reminder_settings"],
        redis=reminders.redis,
        i18n=data["i18n"],
        reminders=reminders,
        directory=reminders.directory,
    )


async def run_due_reminders(dispatcher: Dispatcher, bot: Bot, sms: SmsSender, now: datetime) -> int:
    """One pass as if the worker had been running until `now`: the demo's `@clock` and tests."""
    worker = ReminderWorker(parts_of(dispatcher), bot, sms, consumer="in-process")
    return await worker.run_once(now)
