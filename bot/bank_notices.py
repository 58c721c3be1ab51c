"""What the bank's news means for a borrower: a payout notice, a repayment receipt, news of
their lead. A subscriber of the bank's event feed; it only queues outgoing messages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiogram.utils.i18n import I18n

from bot.services.outbound import Outbox, OutgoingMessage, Priority
from bot.services.reminders import ReminderService
from bot.views import reminders as views
from integrations.bank.models import (
    LeadStatusChanged,
    LoanDisbursed,
    PaymentPosted,
    TransactionKind,
)

LeadNews = Callable[[LeadStatusChanged], Awaitable[object]]
Render = Callable[[str, str], str]  # (currency, locale) -> text


class BankNotices:
    def __init__(
        self,
        reminders: ReminderService,
        outbox: Outbox,
        i18n: I18n,
        currency: str,
        lead_news: LeadNews,
    ) -> None:
        self.reminders = reminders
        self.outbox = outbox
        self.i18n = i18n
        self.currency = currency
        self.lead_news = lead_news

    async def on_event(self, event: Any, now: datetime) -> None:
        if isinstance(event, LoanDisbursed):
            notice = event.notice
            await self.reminders.index_customer(event.customer_id, now)
            await self._tell(
                event.id,
                event.customer_id,
                lambda currency, locale: views.payout_notice(notice, currency, locale),
            )
        elif isinstance(event, LeadStatusChanged):
            await self.lead_news(event)
        elif isinstance(event, PaymentPosted) and event.receipt.kind is TransactionKind.REPAYMENT:
            receipt = event.receipt
            await self.reminders.index_customer(event.customer_id, now)
            await self._tell(
                event.id,
                event.customer_id,
                lambda currency, locale: views.repayment_receipt(receipt, currency, locale),
            )

    async def _tell(self, event_id: str, customer_id: str, render: Render) -> None:
        reader = await self.reminders.directory.reader(customer_id)
        if reader is None:
            return
        with self.i18n.context(), self.i18n.use_locale(reader.locale):
            text = render(self.currency, reader.locale)
        await self.outbox.enqueue(
            OutgoingMessage(
                key=f"event:{event_id}",
                chat_id=reader.chat_id,
                text=text,
                sms_text=text,
                customer_id=customer_id,
                priority=Priority.NORMAL,
            )
        )
