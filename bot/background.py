"""Everything that happens without a user's message, in one place.

Reminders and bank notices (with the merchant's lead news), officers' lead cards, SLA
timers and morning digests of their tasks, the retries of leads the bank did not take yet,
and the outbound pipeline that delivers what they all queued. `python -m bot worker` keeps
them running, each loop supervised; the demo and the tests run one pass (`run_once`) after
each line and after moving the clock, as if a worker had been running all along.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from bot.bank_notices import BankNotices
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.factory import Services, build_bot, build_delivery, open_process
from bot.local_session import LocalSession
from bot.money_notices import build_in_doubt_resolver
from bot.offer_notices import offer_notices
from bot.pipeline.delivery import OutboundDelivery
from bot.pipeline.health_server import serve_health
from bot.runtime import finish_within, stop_on_signals, tune_garbage_collector
from bot.services.bank_feed import BankFeedReader
from bot.sms_channel import outbound_sms
from bot.supervision import Heartbeats, sleep_unless_stopped, supervise
from bot.telemetry import WorkerMetrics
from bot.worker import ReminderWorker
from integrations.bank.models import LeadStatusChanged
from integrations.sms.outbound import SmsSender

log = logging.getLogger(__name__)
OFFICER_TICK_SECONDS = 0.5  # how soon a due SLA reminder or escalation is queued
LEAD_WAIT_MS = 1_000
SENDING_CONSUMERS = 16
DIGEST_CHECK_SECONDS = 30  # how soon after opening time the officers' digests are queued
IN_DOUBT_CHECK_SECONDS = 5  # how often the bank is asked about payments whose answer was lost
ADOPT_SECONDS = 60
FIRST = asyncio.FIRST_COMPLETED


class Background:
    def __init__(self, services: Services, outbound: OutboundDelivery) -> None:
        self.services = services
        self.outbound = outbound
        self.officers = services.officers
        self.delivery = services.delivery
        self.messenger = services.lead_messenger
        self.clock = services.clock
        config = services.reminder_settings
        self.reminders = ReminderWorker(
            services.reminders,
            services.outbox,
            services.i18n,
            services.settings.currency,
            budget=max(100, int(config.messages_per_second * config.tick_seconds * 2)),
        )
        notices = BankNotices(
            services.reminders,
            services.outbox,
            services.i18n,
            services.settings.currency,
            lead_news=self._relay,
        )
        self.feed = BankFeedReader(services.redis, services.outside.bank, services.clock)
        self.feed.subscribe("notices", notices)
        self.feed.subscribe("officers", services.officers.feed)
        self.feed.subscribe("offers", offer_notices(services))
        self.money = build_in_doubt_resolver(
            services.money_commands, services.outbox, services.i18n, services.settings
        )

    async def run_once(self, now: datetime) -> None:
        """One pass as if the worker had run until `now`, delivering what is due."""
        await self.feed.read()
        await self.reminders.tick(now)
        await self.officers.sla.run_checks(now)
        await self.services.committee.sla.run_checks(now)
        await self.officers.news.run_once(now)
        await self.delivery.retry_due(self.messenger)
        await self.money.run_once(now)
        await self.outbound.run_due(now)

    async def serve(self, stop: asyncio.Event, heartbeats: Heartbeats) -> None:
        tick = self.services.reminder_settings.tick_seconds

        async def reminders() -> None:
            await self.reminders.tick(self.clock.now())
            await sleep_unless_stopped(stop, tick)

        async def sla() -> None:
            await self.officers.sla.run_checks(self.clock.now())
            await sleep_unless_stopped(stop, OFFICER_TICK_SECONDS)

        async def committee_sla() -> None:
            await self.services.committee.sla.run_checks(self.clock.now())
            await sleep_unless_stopped(stop, OFFICER_TICK_SECONDS)

        async def digest() -> None:
            await self.officers.news.run_once(self.clock.now())
            await sleep_unless_stopped(stop, DIGEST_CHECK_SECONDS)

        async def leads() -> None:
            await self.delivery.retry_due(self.messenger)
            await self.delivery.deliver_new(self.messenger, block_ms=LEAD_WAIT_MS)

        async def money_in_doubt() -> None:
            await self.money.run_once(self.clock.now())
            await sleep_unless_stopped(stop, IN_DOUBT_CHECK_SECONDS)

        async def adopt() -> None:  # also what a replica not yet upgraded still writes
            await self.adopt_earlier_stores(self.clock.now())
            await sleep_unless_stopped(stop, ADOPT_SECONDS)

        loops = {
            "reminders": reminders,
            "officer-sla": sla,
            "committee-sla": committee_sla,
            "officer-digest": digest,
            "leads": leads,
            "money-in-doubt": money_in_doubt,
            "adopt-earlier-stores": adopt,
        }
        for name in (*loops, "bank-feed"):
            heartbeats.register(name, allowance=120)
        await asyncio.gather(
            *(supervise(name, body, stop, heartbeats=heartbeats) for name, body in loops.items()),
            self.feed.serve(stop, heartbeats),
            self.outbound.serve(stop, heartbeats, consumers=SENDING_CONSUMERS),
        )

    async def adopt_earlier_stores(self, now: datetime) -> None:
        """What the stores before the pipeline still held, so an upgrade loses nothing."""
        await self.services.reminders.index.adopt_earlier_jobs(now)
        await self.services.applications.later.adopt_earlier_store(self.services.redis)
        await self.services.officers.feed.history.adopt_feed(self.services.outside.bank)

    async def _relay(self, event: LeadStatusChanged) -> None:
        await self.delivery.relay(event, self.messenger)


def local_background(
    services: Services, session: LocalSession, sms: SmsSender, token: str
) -> Background:
    """The demo's and the tests' background: the Sender talks to the in-process Telegram."""
    bot = build_bot(token, services.settings, None, session=session.twin(), answers_users=False)
    return Background(services, build_delivery(services, bot, sms))


async def run_worker(settings: Settings, clock: Clock | None = None) -> None:
    """`python -m bot worker`: any number of these share the work through Redis."""
    token = settings.require_token()
    sms = outbound_sms(settings)
    process = open_process(settings, clock or SystemClock(), sms)
    bot = build_bot(token, settings, None, answers_users=False)
    metrics = WorkerMetrics()
    services = process.services
    background = Background(services, build_delivery(services, bot, sms, metrics))
    heartbeats = Heartbeats()
    stop = stop_on_signals()
    tune_garbage_collector()
    serving: asyncio.Future[Any] = asyncio.gather(
        background.serve(stop, heartbeats),
        serve_health(process.redis, heartbeats, metrics, settings.worker_metrics_port, stop),
    )
    stopped: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait([serving, stopped], return_when=FIRST)
        # each loop finishes the job in hand; a job cut after the timeout stays active until
        # the outbox's sweep queues it again, and the delivery record keeps it to one send
        if await finish_within(serving, settings.shutdown_timeout_seconds):
            log.info("shutdown: every job in hand finished")
    finally:
        stopped.cancel()
        await bot.session.close()
        await process.aclose()
