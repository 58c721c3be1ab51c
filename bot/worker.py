"""Reminders of due installments and the bank's news, queued on the outbound pipeline.

A tick lists what fell due in the reminder index (overdue first, nothing in quiet hours),
checks each with the bank and queues its message; the Sender delivers it through the
shared rate limit, once per key. The bank's news reaches `BankNotices` as a subscriber of
the one reader of the bank's event feed (`bot.services.bank_feed`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from aiogram.utils.i18n import I18n

from bot.domain.reminders import in_quiet_hours
from bot.services.outbound import Outbox, OutgoingMessage, Priority
from bot.services.reminders import ReminderKey, ReminderService
from bot.views import reminders as views

log = logging.getLogger(__name__)


class ReminderWorker:
    def __init__(
        self,
        reminders: ReminderService,
        outbox: Outbox,
        i18n: I18n,
        currency: str,
        budget: int,
    ) -> None:
        """`budget`: reminders checked and queued per tick at most."""
        self.reminders = reminders
        self.outbox = outbox
        self.i18n = i18n
        self.currency = currency
        self.budget = budget

    async def tick(self, now: datetime) -> int:
        """Queue what fell due (none in quiet hours); the number of reminders looked at."""
        if in_quiet_hours(now, self.reminders.policy):
            return 0
        due = await self.reminders.index.due(now, self.budget)
        await asyncio.gather(*(self._queue(key, now) for key in due))
        return len(due)

    async def _queue(self, key: ReminderKey, now: datetime) -> None:
        """Queued first, unlisted after: a crash in between queues the key again next tick,
        which the pipeline's record makes one delivery."""
        due = await self.reminders.due_now(key, now)
        if due is None:
            if not in_quiet_hours(now, self.reminders.policy):
                await self.reminders.index.remove(key)
            return
        locale = due.reader.locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            message = OutgoingMessage(
                key=key.message_key,
                chat_id=due.reader.chat_id,
                text=views.reminder(due, self.currency, locale),
                markup=views.reminder_buttons(due),
                sms_text=views.sms_reminder(due, self.currency, locale),
                customer_id=key.customer_id,
                priority=Priority.BULK,
            )
        await self.outbox.enqueue(message)
        await self.reminders.index.remove(key)
        await self.reminders.index_loan(due.loan, now)
