"""Officers under load: lead cards from the bank's event feed, Submit -> card, the claim race.

50 officers (in the two seeded territories and teams) use the bot. As in the worker, one
reader of the bank's event feed (`BankFeedReader.serve`) hands events to the officers'
subscriber, which queues the cards; the outbound pipeline's Sender (`OutboundDelivery.serve`,
16 consumers, the shared rate limit) sends them. A card counts when the Sender's
sendMessage reaches Telegram (an in-process stand-in, `LocalSession`). `--paid` lifts the
global rate from Telegram's free 30 messages/s to paid broadcasts' 1,000.

1. Lead in the bank -> card: leads enter the bank's queues (2,000 over a minute by default)
   and the bank pushes each event to the bot's real `/bank/events` endpoint (signed, over
   HTTP on loopback) after it commits; the push wakes the reader. Timed from `submit_lead`
   returning to the card's sendMessage. The same again with pushes off (the reader's poll
   interval, `bank_feed.POLL_SECONDS`, is then what an event waits).
2. Submit -> card on the officer's phone: 200 merchants go through the whole application
   at once (`bench_application.JOURNEY`, 24 updates each, real Dispatcher), the lead
   delivery worker runs alongside; timed from feeding Submit to the officer's card. The
   baselines in the same run: the same burst (other merchants) with the feed's reader woken
   only by the bank's push (before the lead delivery rang it itself), and only by its poll
   (a bank that does not push); after one burst not counted (warm-up), `--rounds` repeats
   the three, rotating which goes first.
3. 100 presses of Claim on one lead at once, from the officers of its territory, through the
   real Dispatcher: how long until all are answered, and that the bank has one owner.

Usage: .venv/bin/python bench/bench_officers.py [--leads 2000 --seconds 60 --merchants 200]
       [--paid] [--rounds 1]
Redis: BOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/10, flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.types import CallbackQuery, Update
from aiohttp import web
from bench_application import JOURNEY, journey_updates
from redis.asyncio import Redis

from bot.clock import SystemClock
from bot.config import Settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import (
    App,
    Outside,
    build_bank,
    build_bot,
    build_delivery,
    build_dispatcher,
    build_services,
    build_storage,
)
from bot.local_session import LocalSession
from bot.reminder_config import ReminderSettings
from bot.runtime import tune_garbage_collector
from bot.services.bank_feed import POLL_SECONDS, BankFeedReader
from bot.services.bank_pushes import BankPushes, RedisDeliveryLog
from bot.services.outbound import Outbox, OutgoingMessage
from bot.supervision import Heartbeats
from bot.update_queue import UpdateQueue
from bot.views.officers import LeadAction, LeadVerb
from bot.webhook import build_web_app
from integrations.bank.models import Lead, LeadSubmission, RepaymentMethod, StaffRole
from integrations.bank.sandbox import admin, seed
from integrations.bank.sandbox.core import SandboxBank
from integrations.bank.webhook_signing import WebhookVerifier, signed_headers
from integrations.sms.outbound import RecordingSmsSender

OFFICERS = 50
LEAD_ID = re.compile(r"\bLD\d+\b")
SECRET = b"bench-bank-secret"
QUEUED_KEY, SENT_KEY = "bench:queued", "bench:sent"  # lead -> when (the worker writes)
READY_KEY, STOP_KEY = "bench:ready", "bench:stop"


class CardClock:
    """In the worker: when each lead's first card was queued and when the Sender sent it,
    written to Redis (wall-clock seconds) for the bench's own process to read."""

    def __init__(self, redis: Redis, outbox: Outbox, officer_chats: set[int]) -> None:
        self.redis = redis
        self.outbox = outbox
        self.officer_chats = officer_chats
        self.unsaved: dict[str, float] = {}

    def __call__(self, method: TelegramMethod[Any], _result: Any) -> None:
        """LocalSession's observer: the Sender's requests as they are made."""
        if isinstance(method, SendMessage) and method.chat_id in self.officer_chats:
            found = LEAD_ID.search(method.text)
            if found:
                self.unsaved.setdefault(found.group(0), time.time())

    async def enqueue(self, message: OutgoingMessage) -> bool:
        if message.key.startswith("card:"):
            await self.redis.hsetnx(QUEUED_KEY, message.key.split(":")[1], time.time())  # type: ignore[misc]  # redis-py 7 types
        return await self.outbox.enqueue(message)

    async def save(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            unsaved, self.unsaved = self.unsaved, {}
            for lead, at in unsaved.items():
                await self.redis.hsetnx(SENT_KEY, lead, at)  # type: ignore[misc]  # redis-py 7 types
            await asyncio.sleep(0.005)


async def times(redis: Redis, key: str, leads: list[str]) -> dict[str, float]:
    values = await redis.hmget(key, leads) if leads else []  # type: ignore[misc]  # redis-py 7 types
    return {lead: float(value) for lead, value in zip(leads, values, strict=True) if value}


class PushingBank:
    """The sandbox bank that, like a bank with webhooks, pushes after each lead it takes."""

    def __init__(self, bank: SandboxBank) -> None:
        self.bank = bank
        self.push: Callable[[], Awaitable[None]] | None = None
        self.entered: dict[str, float] = {}  # lead -> when submit_lead returned (wall clock)
        self._pushes: set[asyncio.Task[None]] = set()

    async def submit_lead(self, submission: LeadSubmission, *, idempotency_key: str) -> Lead:
        lead = await self.bank.submit_lead(submission, idempotency_key=idempotency_key)
        self.entered.setdefault(lead.id, time.time())
        if self.push is not None:
            task = asyncio.create_task(self.push())  # the bank does not wait for the bot
            self._pushes.add(task)
            task.add_done_callback(self._pushes.discard)
        return lead

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bank, name)


class PushEndpoint:
    """The bot's real webhook app, serving /bank/events on a loopback port."""

    def __init__(self, app: App, redis: Redis) -> None:
        verifier = WebhookVerifier([SECRET], RedisDeliveryLog(redis), clock=SystemClock().now)
        self.web_app = build_web_app(
            queue=UpdateQueue(redis, "bench"), redis=redis, metrics=app.metrics,
            path="/webhook", secret="unused", bank_pushes=BankPushes(redis, verifier),
        )  # fmt: skip
        self.runner = web.AppRunner(self.web_app)
        self.deliveries = 0
        self.client: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/bank/events"
        self.client = aiohttp.ClientSession()

    async def push(self) -> None:
        assert self.client is not None
        self.deliveries += 1
        body = b'{"type": "lead_status_changed"}'
        headers = signed_headers(SECRET, body, f"d-{self.deliveries}", datetime.now(UTC))
        async with self.client.post(self.url, data=body, headers=headers) as answer:
            assert answer.status == 200, answer.status

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()
        await self.runner.cleanup()


def add_officers(bank: SandboxBank) -> list[tuple[str, str]]:
    """(staff code, phone) of all 50 officers: 48 more, on duty in both territories and teams."""
    added = [
        (f"B{index:03d}", f"+86139{index:08d}", seed.NORTH if index % 2 else seed.SOUTH,
         seed.RETAIL_TEAM if index % 4 < 2 else seed.FOOD_TEAM)
        for index in range(OFFICERS - 2)
    ]  # fmt: skip

    def add_all(connection: Any, _context: Any) -> None:
        for code, phone, territory, team in added:
            admin.add_officer(
                connection, staff_code=code, name=f"经理{code}", phone=phone,
                territory_code=territory, team_code=team, role=StaffRole.OFFICER,
            )  # fmt: skip

    bank.run_blocking(add_all)
    seeded = [(seed.OFFICER_STAFF_CODE, seed.OFFICER_PHONE),
              (seed.OFFICER2_STAFF_CODE, seed.OFFICER2_PHONE)]  # fmt: skip
    return seeded + [(code, phone) for code, phone, _territory, _team in added]


async def bind_all(
    driver: ChatDriver, sms: RecordingSmsSender, staff: list[tuple[str, str]]
) -> list[ChatUser]:
    users = []
    for index, (code, phone) in enumerate(staff):
        user = ChatUser(f"o{index}", 30_000 + index, f"O{index}", "zh-hans", phone)
        await driver.send(user, "/officer")
        await driver.send(user, code)
        found = re.search(r"\b(\d{6})\b", sms.last_to(phone) or "")
        assert found is not None, code
        await driver.send(user, found.group(1))
        users.append(user)
    return users


def submission(index: int) -> LeadSubmission:
    return LeadSubmission(
        applicant_name=f"商户{index}", phone=f"+86138{index:08d}",
        district_code="JINNIU" if index % 2 else "WUHOU", industry_code="retail",
        amount=Decimal("50000"), term_months=12, method=RepaymentMethod.EQUAL_INSTALLMENT,
        purpose="进货", score=700, details={},
    )  # fmt: skip


def summary(latencies: list[float], what: str = "cards") -> str:
    cuts = statistics.quantiles(latencies, n=100)
    return (f"{len(latencies)} {what}, p50 {cuts[49] * 1000:.0f} ms, "
            f"p99 {cuts[98] * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")  # fmt: skip


async def split(redis: Redis, since: dict[str, float], leads: list[str]) -> str:
    """Where the time went: `since` -> card queued (the worker's reader) -> card sent."""
    queued, sent = await times(redis, QUEUED_KEY, leads), await times(redis, SENT_KEY, leads)
    to_queue = [queued[lead] - since[lead] for lead in leads]
    to_send = [sent[lead] - queued[lead] for lead in leads]
    return (f"  of which -> card queued: {summary(to_queue, 'leads')}\n"
            f"  and queued -> sent by the Sender: {summary(to_send, 'cards')}")  # fmt: skip


async def wait_for_cards(redis: Redis, leads: list[str], seconds: float) -> dict[str, float]:
    deadline = time.time() + seconds
    while time.time() < deadline:
        sent = await times(redis, SENT_KEY, leads)
        if len(sent) == len(leads):
            return sent
        await asyncio.sleep(0.01)
    raise AssertionError(f"{len(leads) - len(sent)} leads without a card")


async def lead_cards(
    bank: PushingBank, redis: Redis, leads: int, seconds: float, first: int
) -> list[float]:
    ids = []
    for index in range(first, first + leads):
        lead = await bank.submit_lead(submission(index), idempotency_key=f"b-{index}")
        ids.append(lead.id)
        await asyncio.sleep(seconds / leads)
    sent = await wait_for_cards(redis, ids, 60)
    print(await split(redis, bank.entered, ids))
    return [sent[lead] - bank.entered[lead] for lead in ids]


class PushOnly:
    """A baseline's lead delivery: it does not wake the feed's reader itself."""

    async def ring(self) -> None:
        return None


async def submit_to_card(app: App, driver: ChatDriver, bank: PushingBank, redis: Redis,
                         merchants: int, first: int) -> list[float]:  # fmt: skip
    """All merchants through the application at once; Submit fed -> the officer's card."""
    services = app.services
    stop = asyncio.Event()
    delivery = asyncio.create_task(services.delivery.run(services.lead_messenger, stop))
    indexes = range(first, first + merchants)
    journeys = {index: journey_updates(index, driver.bot) for index in indexes}
    submitted: dict[int, float] = {}
    known = set(bank.entered)

    async def merchant(index: int) -> None:
        for update in journeys[index][:-1]:
            await app.dispatcher.feed_update(driver.bot, update)
        submitted[index] = time.time()
        await app.dispatcher.feed_update(driver.bot, journeys[index][-1])

    await asyncio.gather(*(merchant(index) for index in indexes))
    while len(set(bank.entered) - known) < merchants:
        await asyncio.sleep(0.01)
    leads = sorted(set(bank.entered) - known)
    sent = await wait_for_cards(redis, leads, 60)
    stop.set()
    await delivery
    by_phone = {(await bank.get_lead(lead)).phone: lead for lead in leads}
    of_lead = {by_phone[f"+86138800{index:05d}"]: index for index in indexes}
    submit_times = {lead: submitted[index] for lead, index in of_lead.items()}
    to_bank = [bank.entered[lead] - submit_times[lead] for lead in leads]
    print(f"  of which Submit -> lead in the bank: {summary(to_bank, 'leads')}")
    print(await split(redis, bank.entered, leads))
    return [sent[lead] - submit_times[lead] for lead in leads]


async def claim_race(driver: ChatDriver, bank: PushingBank, officers: list[ChatUser]) -> None:
    lead = await bank.submit_lead(submission(99_999), idempotency_key="race")  # north
    data = LeadAction(action=LeadVerb.CLAIM, lead=lead.id).pack()

    def press(user: ChatUser, n: int) -> Update:
        query = CallbackQuery(id=f"race{n}", from_user=user.as_telegram_user(),
                              chat_instance=str(user.user_id), data=data)  # fmt: skip
        return Update(update_id=900_000 + n, callback_query=query)

    # K001 and the added officers with an odd index work the north, where the lead is
    north = [officers[0]] + [u for i, u in enumerate(officers[2:]) if i % 2 == 1]
    presses = [press(north[n % len(north)], n) for n in range(100)]
    alerts_before = len(driver.session.alerts)
    started = time.perf_counter()
    await asyncio.gather(*(driver.deliver(update) for update in presses))
    elapsed = time.perf_counter() - started
    answers = driver.session.alerts[alerts_before:]
    told_who = sum("已经认领" in answer or "已认领" in answer for answer in answers)
    final = await bank.get_lead(lead.id)
    print(f"claim race: 100 presses from {len(north)} officers answered in "
          f"{elapsed * 1000:.0f} ms; {len(answers)} answers ({told_who} 'claimed' or "
          f"'already claimed by ...'); one owner at the bank: {final.officer_id}")  # fmt: skip


def bench_settings(url: str, sandbox_db: Path) -> Settings:
    return Settings(_env_file=None, redis_url=url, sandbox_db=sandbox_db)  # type: ignore[call-arg]


async def worker(url: str, sandbox_db: Path, paid: bool) -> None:
    """The worker process: the feed reader and the Sender, as `python -m bot worker` runs
    them, with a stand-in Telegram that notes when each card goes out."""
    redis = Redis.from_url(url, max_connections=512)
    settings, clock, sms = bench_settings(url, sandbox_db), SystemClock(), RecordingSmsSender()
    bank = build_bank(settings, clock, sms)
    services = build_services(
        settings, redis, Outside(bank, clock), ReminderSettings(paid_broadcast=paid)
    )
    chats = {30_000 + index for index in range(OFFICERS)}
    cards = CardClock(redis, services.outbox, chats)
    services.officers.cards.outbox = cards
    session = LocalSession(observer=cards)
    outbound = build_delivery(
        services, build_bot("42:BENCH", settings, None, session, answers_users=False), sms
    )
    reader = BankFeedReader(redis, bank, clock)
    reader.subscribe("officers", services.officers.feed)
    await reader.read()  # the seeded history, and the officers' welcome cards
    await outbound.run_due(clock.now())
    await redis.delete(QUEUED_KEY, SENT_KEY)
    tune_garbage_collector()
    stop = asyncio.Event()

    async def until_told() -> None:
        await redis.set(READY_KEY, 1)
        while not await redis.exists(STOP_KEY):
            await asyncio.sleep(0.05)
        stop.set()

    await asyncio.gather(
        reader.serve(stop), outbound.serve(stop, Heartbeats(), consumers=16),
        cards.save(stop), until_told(),
    )  # fmt: skip
    await bank.aclose()
    await redis.aclose()


# The ways a card can learn of a submitted lead: ours, then the two before it.
WAYS = {
    "ours (the delivery rings the reader, the bank pushes too)": (True, True),
    "the bank's push only": (False, True),
    "polled every 0.5 s (no push, no ring)": (False, False),
    "the delivery's ring only (a bank that does not push)": (True, False),
}


async def submit_bursts(
    app: App, driver: ChatDriver, bank: PushingBank, endpoint: PushEndpoint, merchants: int,
    rounds: int,
) -> None:  # fmt: skip
    """The same burst each way, side by side (other merchants each time), order rotated."""
    delivery, redis = app.services.delivery, app.redis
    rings, first = delivery.feed, 0
    results: dict[str, list[float]] = {way: [] for way in WAYS}
    print("Submit burst, warm-up (not counted):")
    await submit_to_card(app, driver, bank, redis, merchants, first)
    first += merchants
    for round_ in range(rounds):
        names = list(WAYS)[round_ % len(WAYS) :] + list(WAYS)[: round_ % len(WAYS)]
        for name in names:
            ring, push = WAYS[name]
            delivery.feed = rings if ring else PushOnly()  # type: ignore[assignment]
            bank.push = endpoint.push if push else None
            print(f"Submit burst, {name}:")
            handed = await submit_to_card(app, driver, bank, redis, merchants, first)
            first += merchants
            results[name] += handed
            print(f"Submit -> card sent to the officer, {merchants} merchants at once "
                  f"({len(JOURNEY)} updates each): {summary(handed)}")  # fmt: skip
    delivery.feed, bank.push = rings, endpoint.push
    ours_name = next(iter(WAYS))
    ours = statistics.quantiles(results[ours_name], n=100)
    print(f"Submit -> card over {rounds} round(s), {ours_name}: {summary(results[ours_name])}")
    for name in list(WAYS)[1:]:
        other = statistics.quantiles(results[name], n=100)
        print(f"  {name}: {summary(results[name])}; "
              f"p50 {other[49] / ours[49]:.2f}x, p99 {other[98] / ours[98]:.2f}x ours")  # fmt: skip


async def main(leads: int, seconds: float, merchants: int, paid: bool, rounds: int) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    redis = Redis.from_url(url, max_connections=1024)
    await redis.flushdb()
    sandbox_db = Path(tempfile.mkdtemp()) / "bank.db"
    settings = bench_settings(url, sandbox_db)
    clock, sms = SystemClock(), RecordingSmsSender()
    sandbox = build_bank(settings, clock, sms)
    assert isinstance(sandbox, SandboxBank)
    bank = PushingBank(sandbox)
    staff = add_officers(sandbox)
    session = LocalSession()
    storage = build_storage(redis, settings)
    config = ReminderSettings(paid_broadcast=paid)
    outside = Outside(bank, clock)  # type: ignore[arg-type]
    app = build_dispatcher(settings, redis, storage, outside, reminder_settings=config)
    driver = ChatDriver(app.dispatcher, build_bot("42:BENCH", settings, storage, session), session)
    officers = await bind_all(driver, sms, staff)
    process = subprocess.Popen(
        [sys.executable, __file__, "--worker", str(sandbox_db)] + (["--paid"] if paid else [])
    )
    while not await redis.exists(READY_KEY):
        await asyncio.sleep(0.05)
    endpoint = PushEndpoint(app, redis)
    await endpoint.start()
    tune_garbage_collector()
    print(f"{len(officers)} officers bound; {leads} leads over {seconds:.0f} s; sending at "
          f"{config.messages_per_second:.0f} messages/s; the worker in its own process "
          f"(started {datetime.now(UTC):%H:%M:%S} UTC)")  # fmt: skip

    bank.push = endpoint.push
    pushed = await lead_cards(bank, redis, leads, seconds, first=0)
    print(f"lead in the bank -> card sent, the bank pushing: {summary(pushed)}")
    bank.push = None
    polled = await lead_cards(bank, redis, leads, seconds, first=leads)
    print(f"lead in the bank -> card sent, no pushes (poll every {POLL_SECONDS * 1000:.0f} ms): "
          f"{summary(polled)}")  # fmt: skip
    await submit_bursts(app, driver, bank, endpoint, merchants, rounds)
    await claim_race(driver, bank, officers)

    await redis.set(STOP_KEY, 1)
    process.wait(30)
    await endpoint.close()
    await sandbox.aclose()
    await redis.flushdb()
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--paid", action="store_true", help="paid broadcasts: 1,000 messages/s")
    parser.add_argument("--rounds", type=int, default=1, help="Submit bursts of each way")
    parser.add_argument("--worker", metavar="SANDBOX_DB", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        redis_url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
        asyncio.run(worker(redis_url, Path(arguments.worker), arguments.paid))
    else:
        asyncio.run(
            main(
                arguments.leads, arguments.seconds, arguments.merchants, arguments.paid,
                arguments.rounds,
            )
        )  # fmt: skip
