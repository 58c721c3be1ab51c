"""The shared send schedule: a busy chat must not hold back messages to other chats; flood
control on a reply pauses every sender and the reply is tried once more, not three times."""

from __future__ import annotations

import asyncio

from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import SendMessage
from redis.asyncio import Redis

from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import build_limiter
from bot.local_session import LocalSession
from bot.reminder_config import ReminderSettings
from bot.services.sender import SendRateLimiter


async def test_a_busy_chat_does_not_take_a_global_slot(redis: Redis) -> None:
    waits: dict[str, list[float]] = {"a": [], "b": []}

    def recorder(chat: str):  # type: ignore[no-untyped-def]
        async def sleep(seconds: float) -> None:
            waits[chat].append(seconds)
            await asyncio.sleep(seconds)

        return sleep

    def limiter(chat: str) -> SendRateLimiter:
        return SendRateLimiter(redis, 30, 1000, sleep=recorder(chat))

    await limiter("a").wait_for_slot(1)  # chat 1 is now busy for a second
    second_to_chat_1 = asyncio.create_task(limiter("a").wait_for_slot(1))
    await asyncio.sleep(0.01)
    await limiter("b").wait_for_slot(2)
    await second_to_chat_1

    assert waits["b"] and waits["b"][0] < 0.1  # the next global slot, about 1/30 s away
    assert sum(waits["a"]) > 0.9  # chat 1's second message waited for its chat


def flood(seconds: int) -> TelegramRetryAfter:
    return TelegramRetryAfter(SendMessage(chat_id=0, text=""), "Too Many Requests", seconds)


async def test_a_429_on_a_reply_pauses_every_sender_and_the_reply_is_tried_once_more(
    driver: ChatDriver, session: LocalSession, redis: Redis, bob: ChatUser
) -> None:
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)

    sender_side = build_limiter(redis, ReminderSettings(_env_file=None))  # type: ignore[call-arg]
    sender_side.sleep = sleep
    session.fail_next(flood(2))
    reply = asyncio.create_task(driver.send(bob, "/help"))
    while session.failures:  # until the reply met its 429
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    await sender_side.wait_for_slot(99)
    assert sum(waited) > 1  # the pause the reply's 429 set holds back the Sender too
    await reply
    assert len(driver.seen(bob)) == 1 and "/apply" in driver.last(bob).text


async def test_a_second_429_on_the_same_reply_is_not_waited_out_again(
    driver: ChatDriver, session: LocalSession, bob: ChatUser
) -> None:
    session.fail_next(flood(1))
    session.fail_next(flood(1))
    await driver.send(bob, "/help")
    [apology] = [shown.text for shown in driver.seen(bob)]  # no third try of the reply
    assert apology.startswith("Sorry, something went wrong")
