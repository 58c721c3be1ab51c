"""The shared send schedule: a busy chat must not hold back messages to other chats."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.services.sender import SendRateLimiter


async def test_a_busy_chat_does_not_take_a_global_slot(redis: Redis) -> None:
    waits: dict[str, list[float]] = {"a": [], "b": []}

    def recorder(chat: str):  # type: ignore[no-untyped-def]
        async def sleep(seconds: float) -> None:
            waits[chat].append(seconds)
            await asyncio.sleep(seconds)

        return sleep

    def limiter(chat: str) -> SendRateLimiter:
        return SendRateLimiter(redis, 30, 1000, prefix="test:rate", sleep=recorder(chat))

    await limiter("a").wait_for_slot(1)  # chat 1 is now busy for a second
    second_to_chat_1 = asyncio.create_task(limiter("a").wait_for_slot(1))
    await asyncio.sleep(0.01)
    await limiter("b").wait_for_slot(2)
    await second_to_chat_1

    assert waits["b"] and waits["b"][0] < 0.1  # the next global slot, about 1/30 s away
    assert sum(waits["a"]) > 0.9  # chat 1's second message waited for its chat
