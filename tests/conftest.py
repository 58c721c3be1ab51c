"""Shared fixtures: a real Redis database per test, the real Dispatcher, a recording session."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App, build_bot, build_dispatcher, build_storage
from bot.local_session import LocalSession

REDIS_URL = os.environ.get("BOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")

ALICE_ZH = ChatUser("alice", 5001, "小李", "zh-hans", "+8613900000011")
BOB_EN = ChatUser("bob", 5002, "Bob", "en", "+8613900000012")


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL


@pytest.fixture
def settings() -> Settings:
    return Settings(_env_file=None, redis_url=REDIS_URL)  # type: ignore[call-arg]


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = Redis.from_url(REDIS_URL)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def session() -> LocalSession:
    return LocalSession()


@pytest.fixture
def app(settings: Settings, redis: Redis) -> App:
    return build_dispatcher(settings, redis, build_storage(redis, settings))


@pytest.fixture
async def driver(app: App, session: LocalSession, settings: Settings) -> AsyncIterator[ChatDriver]:
    bot = build_bot("42:TEST", settings, app.storage, session=session)
    yield ChatDriver(app.dispatcher, bot, session)
    await bot.session.close()


@pytest.fixture
def alice() -> ChatUser:
    """A merchant whose Telegram app is in Chinese."""
    return ALICE_ZH


@pytest.fixture
def bob() -> ChatUser:
    """A merchant whose Telegram app is in English."""
    return BOB_EN
