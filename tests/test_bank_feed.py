"""One reader of the bank's event feed: every subscriber gets every event at least once, a
failing subscriber holds up nobody else, a bank push is read at once, and the reader lives
through Redis going away."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from test_application_journeys import BEN, answer_all, reference_of, start_application
from test_officer_journeys import APPLICANT_PHONE, OFFICER_EN, bind, submit

from bot.background import Background
from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.local_session import LocalSession
from bot.redis_keys import BANK_FEED
from bot.services.bank_feed import MAX_ATTEMPTS, BankFeedReader
from bot.services.bank_pushes import BankPushes, RedisDeliveryLog
from bot.services.officers import OfficerServices
from bot.supervision import Heartbeats
from bot.update_queue import UpdateQueue
from bot.webhook import build_web_app
from integrations.bank.models import BankEvent, LeadStatusChanged
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxBank, admin, seed
from integrations.bank.webhook_signing import WebhookVerifier, signed_headers
from integrations.sms.outbound import RecordingSmsSender
from tests.support.redis_process import RedisProcess

SECRET = b"bank-push-secret"


class Recorder:
    """A subscriber that remembers the events it was given, and the leads they were about;
    it fails `failures` times on the first event about `failing_lead` (on every event if
    None)."""

    def __init__(self, failures: int = 0, failing_lead: str | None = None) -> None:
        self.seen: list[str] = []
        self.leads: set[str] = set()
        self.failures = failures
        self.failing_lead = failing_lead
        self.failing_event: str | None = None

    async def on_event(self, event: BankEvent, now: datetime) -> None:
        lead = event.lead_id if isinstance(event, LeadStatusChanged) else None
        if self.failing_event is None and lead is not None and lead == self.failing_lead:
            self.failing_event = event.id
        if (
            self.failures
            and self.failing_lead in (None, lead)
            and (self.failing_lead is None or event.id == self.failing_event)
        ):
            self.failures -= 1
            raise RuntimeError(APPLICANT_PHONE)  # a message that must not reach the log
        self.seen.append(event.id)
        if lead is not None:
            self.leads.add(lead)


@pytest.fixture
def officers(app: App) -> OfficerServices:
    return app.services.officers


def reader_for(redis: Redis, bank: BankAdapter, clock: SimulatedClock) -> BankFeedReader:
    return BankFeedReader(redis, bank, clock, poll_seconds=60)  # pushes or nothing


def cards_of(driver: ChatDriver, lead_id: str) -> list[str]:
    return [shown.text for shown in driver.seen(OFFICER_EN) if lead_id in shown.text]


async def sent_cards(background: Background, driver: ChatDriver, lead_id: str) -> list[str]:
    """The officer's cards of the lead, once the Sender delivered what was queued."""
    await background.outbound.run_due(background.clock.now())
    return cards_of(driver, lead_id)


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 15) -> None:
    async with asyncio.timeout(seconds):
        while not await condition():
            await asyncio.sleep(0.01)


async def test_a_failing_subscriber_loses_nothing_and_holds_up_nobody(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    redis: Redis,
    clock: SimulatedClock,
    officers: OfficerServices,
    background: Background,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    await reader_for(redis, bank, clock).read()  # the bank's history before this test
    reader = reader_for(redis, bank, clock)
    flaky, steady = Recorder(failures=2), Recorder()
    reader.subscribe("flaky", flaky)
    reader.subscribe("officers", officers.feed)
    reader.subscribe("steady", steady)
    lead_id = await submit(bank)
    flaky.failing_lead = lead_id

    with caplog.at_level(logging.WARNING):
        await reader.read()
        cards = await sent_cards(background, driver, lead_id)
        assert len(cards) == 1  # the officer is not held up by "flaky"
        failed = flaky.failing_event
        assert failed in steady.seen and failed not in flaky.seen
        await reader.read()  # not due for another try yet
        clock.advance(timedelta(seconds=1))
        await reader.read()  # the second try fails too
        assert failed not in flaky.seen
        clock.advance(timedelta(seconds=2))
        await reader.read()
    assert failed in flaky.seen
    assert sorted(flaky.seen) == sorted(steady.seen)  # each event once for each subscriber
    assert len(steady.seen) == len(set(steady.seen))
    assert len(await sent_cards(background, driver, lead_id)) == 1
    assert "RuntimeError" in caplog.text and APPLICANT_PHONE not in caplog.text


async def test_an_event_a_subscriber_keeps_failing_on_is_dead_lettered_with_the_reason(
    bank: BankAdapter, redis: Redis, clock: SimulatedClock
) -> None:
    reader = reader_for(redis, bank, clock)
    broken = Recorder(failures=1_000)
    reader.subscribe("broken", broken)
    await submit(bank)
    for _ in range(MAX_ATTEMPTS):
        await reader.read()
        clock.advance(timedelta(minutes=10))
    dead = await reader.parked.dead("broken")
    assert dead and all(reason == f"RuntimeError after {MAX_ATTEMPTS}" for reason in dead.values())
    assert await reader.parked.due("broken", clock.now() + timedelta(days=1)) == []


async def test_a_read_stopped_midway_is_read_again_and_the_card_is_not_sent_twice(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    redis: Redis,
    clock: SimulatedClock,
    officers: OfficerServices,
    background: Background,
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    lead_id = await submit(bank)

    entered = asyncio.Event()

    class StuckOnTheLead:
        async def on_event(self, event: BankEvent, now: datetime) -> None:
            if isinstance(event, LeadStatusChanged) and event.lead_id == lead_id:
                entered.set()
                await asyncio.Event().wait()  # until the process is stopped

    first = reader_for(redis, bank, clock)
    first.subscribe("officers", officers.feed)
    first.subscribe("stuck", StuckOnTheLead())
    reading = asyncio.create_task(first.read())
    await entered.wait()
    reading.cancel()  # the process stops in the middle of a page
    with pytest.raises(asyncio.CancelledError):
        await reading
    assert len(await sent_cards(background, driver, lead_id)) == 1

    again = reader_for(redis, bank, clock)
    recorder = Recorder()
    again.subscribe("officers", officers.feed)
    again.subscribe("stuck", recorder)
    await again.read()
    assert lead_id in recorder.leads  # the page whose cursor had not moved, again
    assert len(await sent_cards(background, driver, lead_id)) == 1  # and still one card


async def test_the_whole_feed_read_again_sends_no_card_twice_and_edits_nothing(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    redis: Redis,
    clock: SimulatedClock,
    officers: OfficerServices,
    background: Background,
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    lead_id = await submit(bank)
    reader = reader_for(redis, bank, clock)
    reader.subscribe("officers", officers.feed)
    await reader.read()
    await background.outbound.run_due(clock.now())
    (card,) = [s for s in driver.seen(OFFICER_EN) if lead_id in s.text]
    edits = card.edits

    await redis.delete(BANK_FEED.cursor)  # as if every event were delivered again
    await reader.read()
    await background.outbound.run_due(clock.now())
    (again,) = [s for s in driver.seen(OFFICER_EN) if lead_id in s.text]
    assert again.message_id == card.message_id and again.edits == edits


async def test_two_readers_at_once_hand_each_event_out_once(
    bank: BankAdapter, redis: Redis, clock: SimulatedClock
) -> None:
    for amount in ("30000", "40000", "50000"):
        await submit(bank, amount=amount)
    recorder = Recorder()
    readers = [reader_for(redis, bank, clock) for _ in range(4)]
    for reader in readers:
        reader.subscribe("recorder", recorder)
    await asyncio.gather(*(reader.read() for reader in readers))
    await readers[0].read()
    assert recorder.seen and len(recorder.seen) == len(set(recorder.seen))


async def test_a_bank_push_is_read_at_once_not_at_the_next_poll(
    app: App,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    redis: Redis,
    clock: SimulatedClock,
    officers: OfficerServices,
    background: Background,
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    reader = reader_for(redis, bank, clock)
    reader.subscribe("officers", officers.feed)
    stop = asyncio.Event()
    serving = asyncio.create_task(reader.serve(stop))
    await asyncio.sleep(0.2)  # it has read the (empty) feed and waits up to 60 s
    lead_id = await submit(bank)
    await asyncio.sleep(0.2)
    assert await sent_cards(background, driver, lead_id) == []  # no push yet: nothing read

    verifier = WebhookVerifier([SECRET], RedisDeliveryLog(redis), clock=clock.now)
    web_app = build_web_app(
        queue=UpdateQueue(redis, "test"),
        redis=redis,
        metrics=app.metrics,
        path="/webhook",
        secret="telegram-secret",
        bank_pushes=BankPushes(redis, verifier),
    )
    body = b'{"type": "lead_status_changed"}'
    async with TestClient(TestServer(web_app)) as client:
        pushed = await client.post(
            "/bank/events", data=body, headers=signed_headers(SECRET, body, "d-1", clock.now())
        )
        assert pushed.status == 200

    async def card_arrived() -> bool:
        return len(await sent_cards(background, driver, lead_id)) == 1

    await until(card_arrived)
    stop.set()
    await serving


async def test_a_lead_the_bot_hands_to_the_bank_is_read_without_waiting_for_a_push(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    redis: Redis,
    clock: SimulatedClock,
    officers: OfficerServices,
    background: Background,
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    reader = reader_for(redis, bank, clock)
    reader.subscribe("officers", officers.feed)
    stop = asyncio.Event()
    serving = asyncio.create_task(reader.serve(stop))
    await asyncio.sleep(0.2)  # it has read the feed and waits up to 60 s for a push
    await start_application(driver, BEN)
    await answer_all(driver, BEN)
    await driver.press(BEN, "#7")  # submit: the bank takes the lead, and pushes nothing
    lead_id = reference_of(driver, BEN)

    async def card_arrived() -> bool:
        return len(await sent_cards(background, driver, lead_id)) == 1

    await until(card_arrived, seconds=5)
    assert "Claim" in cards_of(driver, lead_id)[0]
    stop.set()
    await serving


class StopsRedisOnce(Recorder):
    """Stops Redis on the first event it is given: while the reader holds the feed's lock,
    which Redis keeps (AOF) across its restart."""

    def __init__(self, server: RedisProcess) -> None:
        super().__init__()
        self.server: RedisProcess | None = server

    async def on_event(self, event: BankEvent, now: datetime) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        await super().on_event(event, now)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_the_reader_survives_redis_going_away_and_reads_again(
    bank: BankAdapter, clock: SimulatedClock, own_redis: RedisProcess
) -> None:
    redis = Redis.from_url(own_redis.url())
    reader = BankFeedReader(redis, bank, clock, poll_seconds=0.05)
    recorder = StopsRedisOnce(own_redis)
    reader.subscribe("recorder", recorder)
    beats = Heartbeats()
    beats.register("bank-feed", allowance=60)
    stop = asyncio.Event()
    serving = asyncio.create_task(reader.serve(stop, heartbeats=beats))
    first = await submit(bank, amount="30000")

    async def seen(lead_id: str) -> bool:
        return lead_id in recorder.leads

    async def healthy() -> bool:
        return not beats.problems()

    async def failing() -> bool:
        return bool(beats.problems())

    await until(lambda: seen(first))  # Redis went away while the reader held the lock
    await until(failing)
    second = await submit(bank, amount="40000")
    own_redis.start()
    await until(lambda: seen(second))
    await until(healthy)
    stop.set()
    await serving
    await redis.aclose()


async def test_an_officer_who_blocked_the_bot_holds_up_no_other_officer(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: SandboxBank,
    redis: Redis,
    clock: SimulatedClock,
    officers: OfficerServices,
    background: Background,
    session: LocalSession,
) -> None:
    await bank.run(
        lambda connection, context: admin.add_officer(
            connection, staff_code="K003", name="孙经理", phone="+8613800000103",
            territory_code=seed.NORTH, team_code=seed.RETAIL_TEAM,
        )
    )  # fmt: skip
    colleague = ChatUser("colleague", 20004, "孙经理", "en", "+8613800000103")
    await bind(driver, sms, OFFICER_EN, "K001")
    await bind(driver, sms, colleague, "K003")
    await reader_for(redis, bank, clock).read()  # the bank's history before this test
    lead_id = await submit(bank, amount="150000")  # two officers: above the joint threshold
    reader = reader_for(redis, bank, clock)
    reader.subscribe("officers", officers.feed)
    await reader.read()

    blocked = TelegramForbiddenError(SendMessage(chat_id=0, text=""), "Forbidden: bot was blocked")
    session.fail_next(blocked)  # whichever card goes first finds its chat blocked
    await background.outbound.run_due(clock.now())
    got = [user for user in (OFFICER_EN, colleague)
           if any(lead_id in shown.text for shown in driver.seen(user))]  # fmt: skip
    assert len(got) == 1  # the other officer's card went out all the same
