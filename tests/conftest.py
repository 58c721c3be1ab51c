"""Shared fixtures: a real Redis database per test, the real Dispatcher, a recording session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from money_world import MoneyWorld, money_world
from redis.asyncio import Redis

from bot.background import Background, local_background
from bot.clock import SimulatedClock
from bot.config import Settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import (
    App,
    Outside,
    build_bank,
    build_bot,
    build_cluster_redis,
    build_dispatcher,
    build_storage,
)
from bot.local_session import LocalSession
from bot.redis_keys import use_cluster_layout
from integrations.bank.protocol import BankAdapter
from integrations.sms.outbound import RecordingSmsSender

REDIS_URL = os.environ.get("BOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
# host:port,... of a Redis Cluster (make test-cluster): the `redis` fixture and the settings
# use it instead of REDIS_URL, and the keys are in the cluster layout
CLUSTER_NODES = tuple(filter(None, os.environ.get("BOT_TEST_REDIS_CLUSTER_NODES", "").split(",")))
use_cluster_layout(bool(CLUSTER_NODES))

ALICE_ZH = ChatUser("alice", 5001, "小李", "zh-hans", "+8613900000011")
BOB_EN = ChatUser("bob", 5002, "Bob", "en", "+8613900000012")


@pytest.fixture(autouse=True)
def _no_bot_settings_from_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the documented defaults whatever the caller exported (BOT_TEST_* stay)."""
    for name in list(os.environ):
        if name.startswith("BOT_") and not name.startswith("BOT_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        redis_url=REDIS_URL,
        redis_cluster_nodes=CLUSTER_NODES,
        sandbox_db=tmp_path / "sandbox.db",
    )


def new_client() -> Redis:
    return build_cluster_redis(CLUSTER_NODES) if CLUSTER_NODES else Redis.from_url(REDIS_URL)


@pytest.fixture
def redis_client() -> Callable[[], Redis]:
    """Makes another client of the tests' Redis (or cluster), as a second process has."""
    return new_client


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = new_client()
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def session() -> LocalSession:
    return LocalSession()


@pytest.fixture
def clock() -> SimulatedClock:
    """Sunday 22 November 2026, 10:00 in Shanghai."""
    return SimulatedClock(datetime(2026, 11, 22, 2, 0, tzinfo=UTC))


@pytest.fixture
def sms() -> RecordingSmsSender:
    return RecordingSmsSender()


@pytest.fixture
async def bank(
    settings: Settings, clock: SimulatedClock, sms: RecordingSmsSender
) -> AsyncIterator[BankAdapter]:
    adapter = build_bank(settings, clock, sms)
    yield adapter
    await adapter.aclose()


@pytest.fixture
def app(settings: Settings, redis: Redis, bank: BankAdapter, clock: SimulatedClock) -> App:
    return build_dispatcher(settings, redis, build_storage(redis, settings), Outside(bank, clock))


@pytest.fixture
def background(app: App, session: LocalSession, sms: RecordingSmsSender) -> Background:
    """What a worker does, one pass at a time; the Sender talks to the same chats."""
    return local_background(app.services, session, sms, "42:TEST")


@pytest.fixture
async def driver(
    app: App, session: LocalSession, settings: Settings, background: Background
) -> AsyncIterator[ChatDriver]:
    """After each update, what the handlers queued is delivered, as a worker would."""
    bot = build_bot("42:TEST", settings, app.storage, session=session)
    clock = app.services.clock
    yield ChatDriver(
        app.dispatcher, bot, session, settle=lambda: background.outbound.run_due(clock.now())
    )
    await bot.session.close()


@pytest.fixture
def alice() -> ChatUser:
    """A merchant whose Telegram app is in Chinese."""
    return ALICE_ZH


@pytest.fixture
def bob() -> ChatUser:
    """A merchant whose Telegram app is in English."""
    return BOB_EN


@pytest.fixture
async def world(
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    clock: SimulatedClock,
    session: LocalSession,
) -> AsyncIterator[MoneyWorld]:
    """The money-in-doubt tests' world: the bank over HTTP behind a lossy proxy."""
    async with money_world(settings, redis, bank, clock, session) as built:
        yield built
