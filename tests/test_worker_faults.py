"""The worker keeps going through faults: Redis away for 0.1 s and for 20 s, a merchant who
blocked the bot. The worker runs its supervised loops (`Background.serve`) against a real
redis-server the test stops and starts, and a stand-in Telegram Bot API over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.background import Background
from bot.clock import SystemClock
from bot.config import Settings
from bot.demo.driver import ChatDriver
from bot.factory import Outside, build_bot, build_delivery, build_services
from bot.reminder_config import ReminderSettings
from bot.services.outbound import OutgoingMessage
from bot.supervision import Heartbeats
from bot.telemetry import WorkerMetrics
from integrations.bank.protocol import BankAdapter
from integrations.sms.outbound import RecordingSmsSender
from tests.support.bot_api import TOKEN, StandInBotApi
from tests.support.redis_process import RedisProcess
from tests.test_application_journeys import CHEN, answer_all, reference_of, start_application

CHAT = 8101


@dataclass
class RunningWorker:
    telegram: StandInBotApi
    background: Background
    task: asyncio.Task[None]
    heartbeats: Heartbeats
    metrics: WorkerMetrics

    async def enqueue(self, message: OutgoingMessage) -> None:
        """As a producer in another process would: retried until Redis answers."""
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            try:
                await self.background.services.outbox.enqueue(message)
                return
            except RedisError:  # Redis is coming back
                assert asyncio.get_running_loop().time() < deadline
                await asyncio.sleep(0.2)


async def run_worker(
    telegram: StandInBotApi,
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    sms: RecordingSmsSender,
) -> AsyncIterator[RunningWorker]:
    quick = ReminderSettings(_env_file=None, chat_interval_ms=20)  # type: ignore[call-arg]
    services = build_services(settings, redis, Outside(bank, SystemClock()), quick)
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
    bot = build_bot(TOKEN, settings, None, session=session, answers_users=False)
    metrics = WorkerMetrics()
    background = Background(services, build_delivery(services, bot, sms, metrics))
    stop, heartbeats = asyncio.Event(), Heartbeats()
    task = asyncio.create_task(background.serve(stop, heartbeats))
    yield RunningWorker(telegram, background, task, heartbeats, metrics)
    stop.set()
    await asyncio.wait_for(task, 30)
    await bot.session.close()


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def worker(
    own_redis: RedisProcess, settings: Settings, bank: BankAdapter
) -> AsyncIterator[RunningWorker]:
    redis = Redis.from_url(own_redis.url())
    async with StandInBotApi() as telegram:
        async for running in run_worker(telegram, settings, redis, bank, RecordingSmsSender()):
            yield running
    await redis.aclose()


def note(key: str, text: str, **more: object) -> OutgoingMessage:
    return OutgoingMessage(key=key, chat_id=CHAT, text=text, **more)  # type: ignore[arg-type]


async def test_the_worker_delivers_again_after_redis_was_away(
    worker: RunningWorker, own_redis: RedisProcess
) -> None:
    telegram = worker.telegram
    await worker.enqueue(note("status:1", "before"))
    await telegram.wait_for(lambda: telegram.texts_to(CHAT) == ["before"])

    own_redis.stop()
    await asyncio.sleep(0.1)
    own_redis.start()
    await worker.enqueue(note("status:2", "after a blink"))
    await telegram.wait_for(lambda: "after a blink" in telegram.texts_to(CHAT), timeout=60)

    due_soon = SystemClock().now() + timedelta(seconds=1)
    await worker.enqueue(note("later:1:x:1", "due while Redis was away", not_before=due_soon))
    own_redis.stop()
    await asyncio.sleep(20)
    assert not worker.task.done()
    own_redis.start()
    await worker.enqueue(note("status:3", "after 20 s"))
    await telegram.wait_for(lambda: len(telegram.texts_to(CHAT)) == 4, timeout=60)
    assert sorted(telegram.texts_to(CHAT)) == sorted(
        ["before", "after a blink", "due while Redis was away", "after 20 s"]
    )
    assert not worker.task.done()
    await telegram.wait_for(lambda: not worker.heartbeats.problems(), timeout=60)


async def test_a_merchant_who_blocked_the_bot_hears_of_their_lead_by_sms_once(
    driver: ChatDriver, bank: BankAdapter, settings: Settings, redis: Redis
) -> None:
    await start_application(driver, CHEN)
    await answer_all(driver, CHEN)
    await driver.press(CHEN, "#7")
    lead = await bank.get_lead(reference_of(driver, CHEN))
    sms = RecordingSmsSender()
    async with StandInBotApi() as telegram:
        telegram.faults.blocked.add(CHEN.user_id)
        async for worker in run_worker(telegram, settings, redis, bank, sms):
            await bank.claim_lead(lead.id, lead.officer_id or "")
            await telegram.wait_for(lambda: sms.messages_to(CHEN.phone))
            await worker.enqueue(note("status:next", "the worker carries on"))
            await telegram.wait_for(lambda: telegram.texts_to(CHAT))
            assert not worker.task.done()
        async for restarted in run_worker(telegram, settings, redis, bank, sms):
            await restarted.enqueue(note("status:after-restart", "and after a restart"))
            await telegram.wait_for(lambda: len(telegram.texts_to(CHAT)) == 2)
    [text] = sms.messages_to(CHEN.phone)
    assert "李经理 正在处理您的申请" in text
    assert telegram.texts_to(CHEN.user_id) == []
