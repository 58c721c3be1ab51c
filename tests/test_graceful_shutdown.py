"""SIGTERM in the middle of a burst (a real `python -m bot run --webhook` process, a real
redis-server, a stand-in Bot API whose replies take a while): the bot stops taking updates,
finishes those in hand within BOT_SHUTDOWN_TIMEOUT_SECONDS, hands back what it could not
finish, and after a restart every update is answered exactly once."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis

from bot.redis_keys import UPDATES
from tests.support.bot_api import StandInBotApi
from tests.support.bot_process import BotProcess, bot_process
from tests.support.redis_process import RedisProcess

HELP_ANSWER = "/calc: what a loan costs"
STEPS = 3  # updates per chat, answered one after the other (the per-user lock)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def telegram() -> AsyncIterator[StandInBotApi]:
    async with StandInBotApi() as api:
        yield api


def help_update(update_id: int, chat_id: int) -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Bob", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Bob"},
            "from": user,
            "text": "/help",
        },
    }


def burst(chats: range) -> list[dict[str, Any]]:
    return [help_update(chat * 10 + step, chat) for step in range(STEPS) for chat in chats]


def answers(telegram: StandInBotApi) -> Counter[int]:
    """Answers per chat that reached Telegram."""
    return Counter(
        call.chat_id
        for call in telegram.calls_of("sendMessage")
        if call.refused is None
        and call.chat_id is not None
        and HELP_ANSWER in str(call.params.get("text"))
    )


async def offer(bot: BotProcess, updates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One delivery attempt each, as Telegram makes it; the updates not accepted (200)."""

    async def accepted(update: dict[str, Any]) -> bool:
        try:
            return await bot.post_update(update) == 200
        except aiohttp.ClientError:  # the port is closed: the process is going away
            return False

    results = await asyncio.gather(*(accepted(update) for update in updates))
    return [update for update, ok in zip(updates, results, strict=True) if not ok]


async def terminate(bot: BotProcess) -> float:
    """SIGTERM; seconds until the process exited, which it must do by itself, cleanly."""
    started = time.monotonic()
    bot.process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(bot.process.wait(), 60)
    assert code == 0, bot.log.read_text()[-3000:]
    return time.monotonic() - started


def held_by_consumers(redis_url: str) -> int:
    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.xpending(UPDATES.stream, UPDATES.group)["pending"])
    finally:
        client.close()


async def test_sigterm_mid_burst_drains_in_hand_and_restart_answers_each_once(
    redis_server: RedisProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    telegram.faults.slow = 0.3  # each reply takes a while: updates are in hand at SIGTERM
    first, late = burst(range(1000, 1060)), burst(range(2000, 2020))
    env = {"BOT_SHUTDOWN_TIMEOUT_SECONDS": "20"}
    async with bot_process(telegram, redis_server.url(), tmp_path, webhook=True, **env) as bot:
        assert await offer(bot, first) == []
        await telegram.wait_for(lambda: sum(answers(telegram).values()) >= 10)
        stopping = asyncio.create_task(terminate(bot))
        await asyncio.sleep(0.05)
        refused = await offer(bot, late)  # during the shutdown: accepted ones are queued
        took = await stopping
        log = bot.log.read_text()
    assert took < 20
    assert "shutdown: everything in hand finished" in log
    assert held_by_consumers(redis_server.url()) == 0  # nothing left taken and unfinished
    answered_before = sum(answers(telegram).values())
    assert answered_before >= 10

    async with bot_process(telegram, redis_server.url(), tmp_path, webhook=True) as bot:
        assert await offer(bot, refused) == []  # Telegram delivers the refused ones again
        everyone = {chat: STEPS for chat in [*range(1000, 1060), *range(2000, 2020)]}
        await telegram.wait_for(lambda: answers(telegram) == everyone, timeout=60)
        await asyncio.sleep(1.0)  # nothing more arrives: each update answered exactly once
        assert answers(telegram) == everyone


async def test_work_still_running_at_the_timeout_is_handed_back_and_answered_once(
    redis_server: RedisProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    telegram.faults.slow = 15.0  # Telegram hangs: nothing finishes within the timeout
    updates = burst(range(3000, 3010))
    env = {"BOT_SHUTDOWN_TIMEOUT_SECONDS": "1"}
    async with bot_process(telegram, redis_server.url(), tmp_path, webhook=True, **env) as bot:
        assert await offer(bot, updates) == []
        await telegram.wait_for(lambda: held_by_consumers(redis_server.url()) > 0)
        took = await terminate(bot)
        log = bot.log.read_text()
    assert took < 10  # the timeout, the web server's grace and closing down
    assert "unfinished updates handed back" in log
    assert held_by_consumers(redis_server.url()) == 0
    assert answers(telegram) == Counter()  # every cut request failed on the way

    telegram.faults.slow = 0.0
    async with bot_process(telegram, redis_server.url(), tmp_path, webhook=True):
        everyone = {chat: STEPS for chat in range(3000, 3010)}
        # at once, not after the 60 s a dead consumer's entries wait to be reclaimed
        await telegram.wait_for(lambda: answers(telegram) == everyone, timeout=20)
        await asyncio.sleep(1.0)
        assert answers(telegram) == everyone
