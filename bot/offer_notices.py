"""What the committee's decision and the offer mean for the merchant who applied: the offer
with its buttons, its expiry, a decline in plain words, and the payout notice of a loan
paid to a newcomer (a bound customer hears of it from `BankNotices`). A subscriber of the
bank's event feed; it only queues outgoing messages, once per event."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot.container import Services
from bot.pipeline.sender import BankPhones
from bot.services.accounts import CustomerDirectory
from bot.services.lead_outbox import LeadMessenger, Recipient
from bot.services.offers import OfferService
from bot.services.outbound import Outbox, OutgoingMessage, PhoneBook, Priority
from bot.views import offers as views
from integrations.bank.models import LeadStatus, LeadStatusChanged, LoanDisbursed
from integrations.bank.offer_models import OfferExpired, OfferOpened

Render = Callable[[str], str]  # locale -> text


class OfferNotices:
    def __init__(
        self,
        offers: OfferService,
        outbox: Outbox,
        phones: PhoneBook,
        directory: CustomerDirectory,
        messenger: LeadMessenger,
        i18n: I18n,
        zone: ZoneInfo,
        currency: str,
    ) -> None:
        self.offers = offers
        self.outbox = outbox
        self.phones = phones
        self.directory = directory
        self.messenger = messenger
        self.i18n = i18n
        self.zone = zone
        self.currency = currency

    async def on_event(self, event: Any, now: datetime) -> None:
        if isinstance(event, OfferOpened | OfferExpired):
            await self._offer_news(event)
        elif isinstance(event, LeadStatusChanged) and event.status is LeadStatus.DECLINED:
            decline = await self.offers.decline(event.lead_id)
            await self._tell(
                event.lead_id, event.id, lambda _locale: views.declined(event.lead_id, decline)
            )
        elif isinstance(event, LoanDisbursed) and event.lead_id is not None:
            recipient = await self.offers.owner(event.lead_id)
            if recipient is not None and await self.directory.reader(event.customer_id) is None:
                await self.messenger.lead_changed(recipient, event, None)

    async def _offer_news(self, event: OfferOpened | OfferExpired) -> None:
        offer = await self.offers.offer(event.offer_id)
        if isinstance(event, OfferOpened):
            await self._tell(
                event.lead_id,
                event.id,
                lambda locale: views.offer_text(offer, self.zone, self.currency, locale),
                lambda: views.offer_keyboard(offer.id),
            )
        else:
            await self._tell(
                event.lead_id, event.id, lambda locale: views.expired(offer, self.zone, locale)
            )

    async def _tell(
        self,
        lead_id: str,
        event_id: str,
        render: Render,
        markup: Callable[[], InlineKeyboardMarkup] | None = None,
    ) -> None:
        recipient: Recipient | None = await self.offers.owner(lead_id)
        if recipient is None:
            return
        with self.i18n.context(), self.i18n.use_locale(recipient.locale):
            text = render(recipient.locale)
            keyboard = markup() if markup is not None else None
        await self.outbox.enqueue(
            OutgoingMessage(
                key=f"offer:{lead_id}:{event_id}",
                chat_id=recipient.user_id,
                text=text,
                markup=keyboard,
                sms_text=text,
                phone=await self.phones.phone_of_lead(lead_id),
                priority=Priority.NORMAL,
            )
        )


def offer_notices(services: Services) -> OfferNotices:
    return OfferNotices(
        services.offers,
        services.outbox,
        BankPhones(services.outside.bank),
        services.reminders.directory,
        services.lead_messenger,
        services.i18n,
        services.settings.zone,
        services.settings.currency,
    )
