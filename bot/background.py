"""Everything that happens without a user's message, in one place.

Reminders and bank notices (with the merchant's lead news), officers' lead cards and SLA
timers, and the retries of leads the bank did not take yet. `python -m bot worker` keeps
them running; the demo runs one pass after each line and after moving its clock, as if a
worker had been running all along.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import datetime

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import I18n

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.factory import (
    Outside,
    build_bank,
    build_bot,
    build_dispatcher,
    build_redis,
    build_storage,
)
from bot.runtime import stop_on_signals, tune_garbage_collector
from bot.services.applications import ApplicationService
from bot.services.bank_feed import BankFeedReader
from bot.services.later import LaterMessage
from bot.services.lead_outbox import LeadDelivery
from bot.services.officers import OfficerServices
from bot.sms_channel import outbound_sms
from bot.views import application as application_views
from bot.views.application import ChatLeadMessenger
from bot.worker import ReminderWorker, parts_of
from integrations.bank.models import LeadStatusChanged
from integrations.sms.outbound import SmsSender

log = logging.getLogger(__name__)
OFFICER_TICK_SECONDS = 0.5  # how soon a new lead reaches the officer


class Background:
    def __init__(self, dispatcher: Dispatcher, bot: Bot, sms: SmsSender, consumer: str) -> None:
        data = dispatcher.workflow_data
        settings = data["settings"]
        self.bot = bot
        self.officers: OfficerServices = data["officers"]
        self.feed = BankFeedReader(data["reminders"].redis, self.officers.bank, data["clock"])
        self.feed.subscribe("officers", self.officers.feed(bot))
        self.applications: ApplicationService = data["applications"]
        self.i18n: I18n = data["i18n"]
        self.zone = settings.zone
        self.delivery: LeadDelivery = data["delivery"]
        self.messenger = ChatLeadMessenger(bot, data["i18n"], settings.zone, settings.currency)
        parts = parts_of(dispatcher)
        parts.lead_news = self._relay
        self.reminders = ReminderWorker(parts, bot, sms, consumer)

    async def run_once(self, now: datetime) -> None:
        """One pass as if the worker had run until `now` (the demo and tests)."""
        await self.reminders.run_once(now)
        await self.feed.read()
        await self.officers.sla.run_checks(self.bot, now)
        await self.delivery.retry_due(self.messenger)
        await self.send_later_messages(now)

    async def send_later_messages(self, now: datetime) -> None:
        """What merchants are owed now: "remind me later", the day before a visit."""
        for later in await self.applications.later.take_due(now):
            with self.i18n.context(), self.i18n.use_locale(later.locale):
                text = self._later_text(later)
            try:
                await self.bot.send_message(later.user_id, text)
            except TelegramAPIError:
                log.warning("could not deliver a %s message", later.kind)

    def _later_text(self, later: LaterMessage) -> str:
        if later.kind == "visit":
            details = later.details
            at = datetime.fromisoformat(details["at"])
            return application_views.visit_tomorrow(
                details["lead"], details.get("officer"), at, self.zone, later.locale
            )
        return application_views.reapply_invitation()

    async def serve(self, clock: Clock, stop: asyncio.Event) -> None:
        await asyncio.gather(
            self.reminders.serve(clock, stop),
            self.delivery.run(self.messenger, stop),
            self._periodic(clock, stop),
            self.feed.serve(stop),
        )

    async def _periodic(self, clock: Clock, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.officers.sla.run_checks(self.bot, clock.now())
                await self.send_later_messages(clock.now())
            except Exception:
                log.exception("officer cards or SLA checks failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), OFFICER_TICK_SECONDS)

    async def _relay(self, event: LeadStatusChanged) -> None:
        await self.delivery.relay(event, self.messenger)


async def run_worker(settings: Settings) -> None:
    """`python -m bot worker`: any number of these share the work through Redis."""
    token = settings.require_token()
    redis = build_redis(settings.redis_url)
    clock = SystemClock()
    sms = outbound_sms(settings)
    bank = build_bank(settings, clock, sms)
    storage = build_storage(redis, settings)
    bot = build_bot(token, settings, storage)
    app = build_dispatcher(settings, redis, storage, Outside(bank, clock))
    consumer = f"{socket.gethostname()}-{os.getpid()}"
    background = Background(app.dispatcher, bot, sms, consumer)
    tune_garbage_collector()
    try:
        await background.serve(clock, stop_on_signals())
    finally:
        await storage.drain()
        await bank.aclose()
        await bot.session.close()
        await redis.aclose()
