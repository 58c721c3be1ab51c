"""Redis goes away under a running bot (a real `python -m bot run` process and a real
redis-server the test stops): the bot answers again by itself, nothing it accepted is lost,
and /healthz tells the truth throughout. Telegram failing a reply (502) loses no answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.bot_api import StandInBotApi
from tests.support.bot_process import bot_process
from tests.support.redis_process import RedisProcess

HELP_ANSWER = "/calc: what a loan costs"
APOLOGY = "Sorry, something went wrong"


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
        # wakes the long poll a stopped bot left open, or the stand-in waits it out (25 s)
        await api.feed(help_update(0, 0))


def help_update(update_id: int, chat_id: int, text: str = "/help") -> dict[str, Any]:
    user = {"id": chat_id, "is_bot": False, "first_name": "Bob", "language_code": "en"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_790_000_000,
            "chat": {"id": chat_id, "type": "private", "first_name": "Bob"},
            "from": user,
            "text": text,
        },
    }


def answered(telegram: StandInBotApi, chat_id: int) -> int:
    return sum(HELP_ANSWER in text for text in telegram.texts_to(chat_id))


async def wait_answered(telegram: StandInBotApi, chats: list[int], timeout: float = 60) -> None:
    await telegram.wait_for(lambda: all(answered(telegram, c) for c in chats), timeout)


@pytest.mark.parametrize("outage", [0.1, 20.0])
async def test_webhook_mode_survives_redis_going_away(
    outage: float, redis_server: RedisProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    async with bot_process(telegram, redis_server.url(), tmp_path, webhook=True) as bot:
        await bot.deliver(help_update(1, 1))
        await wait_answered(telegram, [1])
        burst = list(range(100, 120))
        statuses = await asyncio.gather(*(bot.post_update(help_update(c, c)) for c in burst))
        assert statuses == [200] * len(burst)  # accepted: Redis holds them

        redis_server.stop()
        if outage > 1:
            body = await bot.wait_healthy(False)
            assert body["redis"] == "down" and body["problems"][0].startswith("redis: ")
            assert await bot.post_update(help_update(2, 2)) == 503  # Telegram will retry
            await asyncio.sleep(outage)
        else:
            await asyncio.sleep(outage)
        redis_server.start()

        await bot.wait_healthy(True)
        await bot.deliver(help_update(2, 2))  # Telegram's retry of what got 503
        await wait_answered(telegram, [1, 2, *burst])
        assert {answered(telegram, chat) for chat in [1, 2, *burst]} == {1}
        # an update Redis dropped under is handled again, not apologised for
        assert not any(APOLOGY in text for chat in burst for text in telegram.texts_to(chat))


@pytest.mark.parametrize("outage", [0.1, 20.0])
async def test_polling_mode_keeps_updates_at_telegram_while_redis_is_away(
    outage: float, redis_server: RedisProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    async with bot_process(telegram, redis_server.url(), tmp_path, webhook=False) as bot:
        await telegram.feed(help_update(1, 1))
        await wait_answered(telegram, [1])

        redis_server.stop()
        polls_before = len(telegram.calls_of("getUpdates"))
        await telegram.feed(help_update(2, 2))
        if outage > 1:
            body = await bot.wait_healthy(False)
            assert body["redis"] == "down"
            # the bot keeps asking without confirming: Telegram still holds the update
            await telegram.wait_for(lambda: len(telegram.calls_of("getUpdates")) > polls_before + 1)
            await asyncio.sleep(outage)
            assert telegram.unconfirmed() == [2]
            assert answered(telegram, 2) == 0
        else:
            await asyncio.sleep(outage)
        redis_server.start()

        await wait_answered(telegram, [2])
        await bot.wait_healthy(True)
        await telegram.feed(help_update(3, 3))
        await wait_answered(telegram, [3])
        assert [answered(telegram, chat) for chat in (1, 2, 3)] == [1, 1, 1]


async def test_a_burst_waits_for_redis_connections_instead_of_failing(
    redis_server: RedisProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    """1,000 updates on 100 connections against a pool of 8: callers wait for a connection
    (a pool that raises when it is exhausted answered 503 here)."""
    async with bot_process(
        telegram, redis_server.url(), tmp_path, webhook=True, BOT_REDIS_MAX_CONNECTIONS="8"
    ) as bot:
        chats = list(range(1, 1001))
        statuses = await asyncio.gather(*(bot.post_update(help_update(c, c)) for c in chats))
        assert statuses.count(503) == 0 and statuses == [200] * len(chats)
        await wait_answered(telegram, chats)
        assert {answered(telegram, chat) for chat in chats} == {1}


async def test_a_reply_telegram_fails_with_502_is_sent_when_the_update_runs_again(
    redis_server: RedisProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    async with bot_process(telegram, redis_server.url(), tmp_path, webhook=False):
        await telegram.feed(help_update(1, 7, "/calc"))
        await telegram.wait_for(lambda: telegram.texts_to(7))
        telegram.faults.server_errors[7] = 1
        await telegram.feed(help_update(2, 7, "50k"))
        await telegram.wait_for(lambda: len(telegram.texts_to(7)) > 1)
        await telegram.feed(help_update(3, 7, "/help"))  # and the chat goes on as usual
        await telegram.wait_for(lambda: answered(telegram, 7))

    first, second, third = telegram.texts_to(7)
    assert first.startswith("Step 1 of 3") and HELP_ANSWER in third
    # the state the lost reply had written was undone: "50k" is the amount again, not a term
    assert second.startswith("Step 2 of 3\nFor how many months?"), second
    assert [call.refused for call in telegram.calls_of("sendMessage")].count(502) == 1


async def test_an_update_without_a_user_is_run_again_when_its_reply_is_lost(
    redis_server: RedisProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    """A post in a group on behalf of a channel has no `from`: it, too, is marked done only
    once handled, so the queue's retry answers it."""
    group = -1001
    post = help_update(1, group)
    del post["message"]["from"]
    post["message"]["chat"] = {"id": group, "type": "supergroup", "title": "Market street"}
    post["message"]["sender_chat"] = {"id": -1002, "type": "channel", "title": "Stalls"}
    telegram.faults.server_errors[group] = 1
    async with bot_process(telegram, redis_server.url(), tmp_path, webhook=False):
        await telegram.feed(post)
        await telegram.wait_for(lambda: telegram.texts_to(group))
        await telegram.feed(help_update(2, 7))  # handled after it: the retry came first
        await telegram.wait_for(lambda: answered(telegram, 7))

    [answer] = telegram.texts_to(group)  # the help, in the default language; no apology
    assert "/calc" in answer and "/forget" in answer, answer
    assert [call.refused for call in telegram.calls_of("sendMessage")].count(502) == 1


async def test_an_update_already_answered_when_redis_dropped_is_not_answered_again(
    redis_server: RedisProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    """Redis stops the moment the first answer to a press reaches Telegram, before the
    handler's own writes: the update is done, and its retry answers nothing more."""
    async with bot_process(telegram, redis_server.url(), tmp_path, webhook=False):
        await telegram.feed(help_update(1, 7, "/forget"))
        await telegram.wait_for(lambda: telegram.texts_to(7))
        [question] = telegram.calls_of("sendMessage")
        press = {
            "update_id": 2,
            "callback_query": {
                "id": "press-1",
                "from": help_update(0, 7)["message"]["from"],
                "chat_instance": "7",
                "data": "fg:1",
                "message": {
                    "message_id": 1,
                    "date": 1_790_000_000,
                    "chat": {"id": 7, "type": "private", "first_name": "Bob"},
                    "text": question.params["text"],
                },
            },
        }
        telegram.when_called["answerCallbackQuery"] = redis_server.stop
        await telegram.feed(press)
        await telegram.wait_for(lambda: telegram.calls_of("answerCallbackQuery"))
        await asyncio.sleep(1)  # the handler meets the outage; the queue keeps the update
        redis_server.start()
        await telegram.feed(help_update(3, 7))
        await telegram.wait_for(lambda: answered(telegram, 7))

    assert len(telegram.calls_of("answerCallbackQuery")) == 1  # no second answer to the press
    assert not any(APOLOGY in text for text in telegram.texts_to(7))
