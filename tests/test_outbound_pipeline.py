"""The one outbound pipeline against a stand-in Bot API over HTTP: once per key, edits that
fall back to a new message, SMS once for a blocked chat, flood control honoured by every
process without waiting in-process, dead letters with a reason, and the simulated clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from saq.job import Status

from bot.clock import SimulatedClock
from bot.config import Settings
from bot.factory import Outside, Services, build_bot, build_delivery, build_services
from bot.pipeline.delivery import OutboundDelivery, RetryPolicy, sweep_abandoned
from bot.pipeline.health_server import health_app
from bot.reminder_config import ReminderSettings
from bot.services.outbound import OutgoingMessage, Priority
from bot.services.sender import DeadLetters
from bot.supervision import Backoff, Heartbeats
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender
from tests.support.bot_api import TOKEN, StandInBotApi

CHAT = 7001
OTHER_CHAT = 7002


@dataclass
class World:
    telegram: StandInBotApi
    services: Services
    delivery: OutboundDelivery
    sms: RecordingSmsSender
    clock: SimulatedClock

    async def enqueue(self, message: OutgoingMessage) -> bool:
        return await self.services.outbox.enqueue(message)

    async def run_due(self) -> int:
        return await self.delivery.run_due(self.clock.now())

    async def run_until(self, condition: object, timeout: float = 20.0) -> None:
        """Let time pass (saq's retries are in real time) until `condition()` holds."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not condition():  # type: ignore[operator]
            assert asyncio.get_running_loop().time() < deadline, "not delivered in time"
            await self.run_due()
            await asyncio.sleep(0.1)


def another_sender(world: World, settings: Settings) -> OutboundDelivery:
    """A second process's Sender: its own Bot and its own connection to the same Redis."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(world.telegram.base_url))
    bot = build_bot(TOKEN, settings, None, session=session, answers_users=False)
    return build_delivery(world.services, bot, world.sms)


@pytest.fixture
async def world(
    settings: Settings, redis: Redis, bank: BankAdapter, clock: SimulatedClock
) -> AsyncIterator[World]:
    async with StandInBotApi() as telegram:
        quick = ReminderSettings(_env_file=None, chat_interval_ms=20)  # type: ignore[call-arg]
        services = build_services(settings, redis, Outside(bank, clock), quick)
        session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
        bot = build_bot(TOKEN, settings, None, session=session, answers_users=False)
        sms = RecordingSmsSender()
        delivery = build_delivery(services, bot, sms)
        yield World(telegram, services, delivery, sms, clock)
        await bot.session.close()


def message(key: str, text: str, chat: int = CHAT, **more: object) -> OutgoingMessage:
    return OutgoingMessage(key=key, chat_id=chat, text=text, **more)  # type: ignore[arg-type]


async def test_a_key_queued_twice_is_delivered_once(world: World) -> None:
    assert await world.enqueue(message("news:1", "Hello"))
    assert not await world.enqueue(message("news:1", "Hello"))
    await world.run_due()
    assert not await world.enqueue(message("news:1", "Hello"))  # after delivery too
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == ["Hello"]
    assert await world.services.outbox.record.was_sent("news:1")


async def test_a_batch_is_queued_like_its_messages_one_by_one(world: World, redis: Redis) -> None:
    outbox = world.services.outbox
    assert await world.enqueue(message("news:1", "first"))
    await redis.script_flush()  # Redis lost its scripts (a restart): the batch loads them again
    batch = [
        message("news:1", "first"),  # queued before
        message("reminder:2", "bulk", priority=Priority.BULK),
        message("reminder:5", "bulk after", priority=Priority.BULK),  # in the batch's order
        message("card:3", "urgent", priority=Priority.URGENT),
        message("news:4", "later", not_before=world.clock.now() + timedelta(hours=1)),
        message("card:3", "urgent", priority=Priority.URGENT),  # twice in the batch
    ]
    assert await outbox.enqueue_all(batch) == [False, True, True, True, True, False]
    assert await outbox.enqueue_all(batch) == [False] * len(batch)
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == ["urgent", "first", "bulk", "bulk after"]
    world.clock.advance(timedelta(hours=1))
    await world.run_due()
    assert world.telegram.texts_to(CHAT)[-1] == "later"


async def test_urgent_messages_go_before_bulk_ones(world: World) -> None:
    await world.enqueue(message("reminder:1", "bulk", priority=Priority.BULK))
    await world.enqueue(message("status:1", "normal", priority=Priority.NORMAL))
    await world.enqueue(message("card:1", "urgent", priority=Priority.URGENT))
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == ["urgent", "normal", "bulk"]


async def test_an_edit_changes_the_earlier_message_or_sends_a_new_one_if_it_is_gone(
    world: World,
) -> None:
    buttons = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Claim", callback_data="c:1")]]
    )
    await world.enqueue(message("card:LD1", "New lead", markup=buttons))
    await world.run_due()
    first = await world.services.outbox.record.message_of("card:LD1")
    assert first is not None
    await world.enqueue(message("card:LD1:claimed", "Claimed", replaces="card:LD1"))
    await world.run_due()
    edits = world.telegram.calls_of("editMessageText")
    assert [int(call.params["message_id"]) for call in edits] == [first.message_id]

    world.telegram.faults.gone.add(first.message_id)  # the officer deleted the card
    await world.enqueue(message("card:LD1:visit", "Visit booked", replaces="card:LD1"))
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == ["New lead", "Claimed", "Visit booked"]
    assert len(world.telegram.calls_of("sendMessage")) == 2
    moved = await world.services.outbox.record.message_of("card:LD1")
    assert moved is not None and moved.message_id != first.message_id  # later edits go there


async def test_a_blocked_chat_gets_the_sms_once_and_the_job_ends(world: World) -> None:
    world.telegram.faults.blocked.add(CHAT)
    news = message("lead:LD1:e1", "Your visit is booked", sms_text="Visit booked (SMS)")
    await world.enqueue(OutgoingMessage(**{**news.__dict__, "phone": "+8613900000077"}))
    await world.enqueue(
        message(
            "event:e2",
            "Payout",
            chat=CHAT,
            sms_text="Payout (SMS)",
            customer_id=await _merchant_id(world),
        )
    )
    await world.run_due()
    await world.run_due()
    assert world.sms.messages_to("+8613900000077") == ["Visit booked (SMS)"]
    assert world.sms.messages_to(seed.MERCHANT_PHONE) == ["Payout (SMS)"]  # from the bank
    assert await world.services.outbox.waiting() == 0
    assert await world.services.outbox.record.was_sent("lead:LD1:e1")


async def test_flood_control_pauses_every_process_and_the_message_goes_once(
    world: World, settings: Settings
) -> None:
    world.telegram.faults.retry_after[CHAT] = [2]
    second = another_sender(world, settings)
    await world.enqueue(message("status:1", "To the throttled chat"))
    await world.run_due()  # 429: the job is put off, nobody sleeps on it here
    assert world.telegram.texts_to(CHAT) == []
    refused = world.telegram.calls[-1]
    assert refused.refused == 429

    await world.enqueue(message("status:2", "To another chat", chat=OTHER_CHAT))
    await second.run_due(world.clock.now())  # the other process waits for the pause
    other = world.telegram.calls_of("sendMessage")[-1]
    assert other.chat_id == OTHER_CHAT and other.refused is None
    assert other.at - refused.at >= 1.9  # it went after the pause, not during it

    await world.run_until(lambda: world.telegram.texts_to(CHAT))
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == ["To the throttled chat"]
    tries = [c for c in world.telegram.calls_of("sendMessage") if c.chat_id == CHAT]
    assert [c.refused for c in tries] == [429, None]
    await second.sender.bot.session.close()


async def test_a_message_that_keeps_failing_becomes_a_dead_letter_with_a_reason(
    world: World, redis: Redis
) -> None:
    world.delivery.policy = RetryPolicy(max_attempts=2, backoff=Backoff(first_delay=0.05))
    world.telegram.faults.down = True
    await world.enqueue(message("status:LD9", "The secret text", sms_text="x"))
    letters = DeadLetters(redis)

    async def dead() -> bool:
        return bool(await letters.latest())

    deadline = asyncio.get_running_loop().time() + 20
    while not await dead():
        assert asyncio.get_running_loop().time() < deadline
        await world.run_due()
        await asyncio.sleep(0.1)
    [letter] = await letters.latest()
    assert (letter.key, letter.kind, letter.attempts) == ("status:LD9", "status", 2)
    assert "secret" not in letter.reason and letter.reason
    world.telegram.faults.down = False
    assert not await world.enqueue(message("status:LD9", "The secret text"))
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == []


async def test_a_message_for_later_waits_for_the_simulated_clock(world: World) -> None:
    later = world.clock.now() + timedelta(days=3)
    await world.enqueue(message("later:1:reapply:1", "Shall we try again?", not_before=later))
    await world.run_due()
    world.clock.advance(timedelta(days=2, hours=23))
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == []
    world.clock.advance(timedelta(hours=1))
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == ["Shall we try again?"]


async def test_a_message_for_later_can_be_withdrawn(world: World) -> None:
    later = world.clock.now() + timedelta(days=1)
    await world.enqueue(message("later:5:visit:LD1:1", "Visit tomorrow", not_before=later))
    assert await world.services.outbox.withdraw("later:5:") == 1
    world.clock.advance(timedelta(days=2))
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == []


async def _merchant_id(world: World) -> str:
    binding = await world.services.outside.bank.get_binding(seed.MERCHANT_CHAT_USER_ID)
    assert binding.customer_id is not None
    return binding.customer_id


async def test_the_worker_metrics_count_by_kind(world: World) -> None:
    world.telegram.faults.retry_after[CHAT] = [1]
    await world.enqueue(message("reminder:1", "Due soon", priority=Priority.BULK))
    await world.run_until(lambda: world.telegram.texts_to(CHAT))
    app = health_app(world.services.redis, Heartbeats(), world.delivery.metrics)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/metrics")
        body = await response.text()
    assert 'bot_outbound_sent_total{how="sent",kind="reminder"} 1.0' in body
    assert 'bot_outbound_retried_total{kind="reminder"} 1.0' in body
    assert "bot_outbound_429_total 1.0" in body
    assert "bot_outbound_send_seconds_count 2.0" in body


async def test_flood_control_that_never_ends_gives_up_after_a_bounded_number_of_tries(
    world: World, redis: Redis
) -> None:
    world.delivery.policy = RetryPolicy(max_throttled=2)
    world.telegram.faults.retry_after[CHAT] = [1] * 10
    await world.enqueue(message("status:LD7", "Throttled for ever"))
    letters = DeadLetters(redis)
    deadline = asyncio.get_running_loop().time() + 30
    while not await letters.latest():
        assert asyncio.get_running_loop().time() < deadline
        await world.run_due()
        await asyncio.sleep(0.1)
    tries = [call for call in world.telegram.calls if call.chat_id == CHAT]
    assert [call.refused for call in tries] == [429, 429, 429]
    [letter] = await letters.latest()
    assert (letter.reason, letter.attempts) == ("retry_after", 3)


async def test_an_edit_taken_before_its_message_went_out_waits_for_it(world: World) -> None:
    await world.enqueue(message("card:LD2", "New lead", priority=Priority.BULK))
    await world.enqueue(message("card:LD2:claimed", "Claimed", replaces="card:LD2"))
    await world.run_due()  # the edit (more urgent) came first: it waits, the card goes out
    await world.run_until(lambda: world.telegram.calls_of("editMessageText"))
    assert world.telegram.texts_to(CHAT) == ["New lead", "Claimed"]
    assert len(world.telegram.calls_of("sendMessage")) == 1


async def test_a_next_revision_taken_before_its_message_went_out_waits_for_it(
    world: World,
) -> None:
    await world.enqueue(message("card:LD3", "New lead", priority=Priority.BULK))
    await world.enqueue(message("card:LD3:1", "Claimed", replaces="card:LD3", revision=1))
    await world.run_due()  # the edit (more urgent) came first: it waits, the card goes out
    await world.run_until(lambda: world.telegram.calls_of("editMessageText"))
    assert world.telegram.texts_to(CHAT) == ["New lead", "Claimed"]
    assert len(world.telegram.calls_of("sendMessage")) == 1
    await world.enqueue(message("card:LD3:2", "Visited", replaces="card:LD3", revision=2))
    await world.run_due()  # the turn of the first edit was let go with its record
    assert world.telegram.texts_to(CHAT) == ["New lead", "Claimed", "Visited"]
    assert len(world.telegram.calls_of("sendMessage")) == 1


async def test_an_older_edit_that_arrives_late_does_not_undo_a_newer_one(world: World) -> None:
    await world.enqueue(message("card:1", "first"))
    await world.run_due()
    await world.enqueue(message("card:1:2", "newer", replaces="card:1", revision=2))
    await world.run_due()
    await world.enqueue(message("card:1:1", "older", replaces="card:1", revision=1))
    await world.enqueue(message("card:1:3", "newest", replaces="card:1", revision=3))
    await world.run_due()
    assert world.telegram.texts_to(CHAT) == ["first", "newer", "newest"]
    assert await world.services.outbox.record.was_sent("card:1:1")  # settled, not retried


async def test_a_job_left_active_by_a_process_that_died_is_swept_back_and_sent_once(
    world: World,
) -> None:
    await world.enqueue(message("status:LD9", "Approved"))
    outbox = world.services.outbox
    job = await outbox.take(wait_seconds=0)
    assert job is not None
    await job.update(status=Status.ACTIVE, started=1)  # taken long ago, then the process died
    assert await sweep_abandoned(outbox) == 1
    await world.run_until(lambda: world.telegram.texts_to(CHAT))
    assert world.telegram.texts_to(CHAT) == ["Approved"]
    for queue in outbox.queues.values():  # settled: nothing left active or incomplete
        assert await queue.count("active") == 0
        assert await queue.count("incomplete") == 0
