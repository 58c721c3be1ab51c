"""Reminders of due installments and the bank's news, queued on the outbound pipeline.

A tick lists what fell due in the reminder index (overdue first, nothing in quiet hours),
checks them with the bank and queues their messages in one batch; the Sender delivers it through the
shared rate limit, once per key. The bank's news reaches `BankNotices` as a subscriber of
the one reader of the bank's event feed (`bot.services.bank_feed`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from aiogram.utils.i18n import I18n

from bot.domain.reminders import in_quiet_hours
from bot.services.outbound import BatchOutbox, OutgoingMessage, Priority
from bot.services.reminders import DueReminder, ReminderService
from bot.views import reminders as views

log = logging.getLogger(__name__)


class ReminderWorker:
    def __init__(
        self,
        reminders: ReminderService,
        outbox: BatchOutbox,
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
        """Queue what fell due (none in quiet hours); the number of reminders looked at.

        Queued first, unlisted after, and the loans indexed again last: a crash anywhere
        in between lists the keys again next tick, and the pipeline's record queues each
        key once. A few round trips a tick whatever its size, and the bank once per loan."""
        if in_quiet_hours(now, self.reminders.policy):
            return 0
        keys = await self.reminders.index.due(now, self.budget)
        if not keys:
            return 0
        checked = await self.reminders.check(keys, now)
        await self.outbox.enqueue_all([self._message(due) for due in checked.due])
        await self.reminders.index.remove_all(keys)
        await self.reminders.index_loans(checked.loans, now)
        return len(keys)

    def _message(self, due: DueReminder) -> OutgoingMessage:
        locale = due.reader.locale
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = views.reminder(due, self.currency, locale)
            return OutgoingMessage(
                key=due.key.message_key,
                chat_id=due.reader.chat_id,
                text=text,
                markup=views.reminder_buttons(due),
                sms_text=views.sms_reminder(due, text),
                customer_id=due.key.customer_id,
                priority=Priority.BULK,
            )
