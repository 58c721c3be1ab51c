"""Foundation benchmark: a 3-step form, 200 concurrent users, 20,000 updates, one process.

Side by side in one run, on the same Redis and the same pre-built updates:
- stock: aiogram's RedisStorage + RedisEventIsolation (no dedupe, no i18n);
- ours: the full stack (update gate with dedupe, isolation and prefetch; i18n; metrics;
  state written to Redis before every reply) on the product's Redis client (`build_redis`:
  a blocking pool of 64 connections; stock gets a pool of up to 1,024 of its own).
Both reply through a null session (no network). Prints updates/s, Redis commands per update,
the ratio, and what the webhook's check of each body costs on top.
Usage: python bench/bench_updates.py (BOT_BENCH_REDIS_URL, default db 10, is flushed)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.base import BaseSession
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.methods import TelegramMethod
from aiogram.types import Chat, Message, Update, User
from redis.asyncio import Redis

from bot.clock import SystemClock
from bot.config import Settings
from bot.factory import (
    Outside,
    build_bank,
    build_bot,
    build_dispatcher,
    build_redis,
    build_storage,
)
from bot.runtime import tune_garbage_collector
from bot.webhook import check_update
from integrations.sms.outbound import RecordingSmsSender


class Form(StatesGroup):
    first = State()
    second = State()
    third = State()


NEXT_STEP = {
    None: Form.first,
    Form.first.state: Form.second,
    Form.second.state: Form.third,
    Form.third.state: Form.first,
}


def build_form_router() -> Router:
    router = Router(name="bench-form")

    @router.message()
    async def step(message: Message, state: FSMContext, raw_state: str | None) -> None:
        await state.set_state(NEXT_STEP[raw_state])
        await state.update_data({raw_state or "start": message.text})
        await message.answer(f"next question (after: {message.text})")  # the replicas bench
        # reads the text back: which update this answers and when it was posted

    return router


class NullSession(BaseSession):
    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        return True

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        yield b""

    async def close(self) -> None:
        return None


def build_updates(users: int, per_user: int, bot: Bot) -> list[list[Update]]:
    """Updates mounted on `bot`, as `feed_raw_update` makes them (an unmounted update would be
    dumped and validated again inside `feed_update`, for stock and ours alike)."""
    now = datetime.now(UTC)
    batches = []
    for index in range(users):
        user = User(id=10_000 + index, is_bot=False, first_name="u", language_code="en")
        chat = Chat(id=user.id, type="private")
        batches.append(
            [
                _mounted(
                    Update(
                        update_id=index * per_user + n + 1,
                        message=Message(
                            message_id=n + 1,
                            date=now,
                            chat=chat,
                            from_user=user,
                            text=f"answer {n}",
                        ),
                    ),
                    bot,
                )
                for n in range(per_user)
            ]
        )
    return batches


def _mounted(update: Update, bot: Bot) -> Update:
    return Update.model_validate(update.model_dump(), context={"bot": bot})


async def drive(dispatcher: Dispatcher, bot: Bot, batches: list[list[Update]]) -> float:
    async def one_user(updates: list[Update]) -> None:
        for update in updates:
            await dispatcher.feed_update(bot, update)

    started = time.perf_counter()
    await asyncio.gather(*(one_user(updates) for updates in batches))
    return time.perf_counter() - started


async def commands_processed(redis: Redis) -> int:
    stats = await redis.info("stats")
    return int(stats["total_commands_processed"])


async def measure(
    name: str, redis: Redis, dispatcher: Dispatcher, bot: Bot, batches: list[list[Update]]
) -> float:
    await redis.flushdb()
    before = await commands_processed(redis)
    elapsed = await drive(dispatcher, bot, batches)
    commands = await commands_processed(redis) - before
    total = sum(len(b) for b in batches)
    rate = total / elapsed
    print(
        f"{name:8s} {total} updates in {elapsed:6.2f}s = {rate:6.0f} updates/s, "
        f"{commands / total:4.1f} Redis commands per update (scripts count their inner calls)"
    )
    return rate


async def main(users: int, total: int) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    redis = Redis.from_url(url, max_connections=1024)
    product_redis = build_redis(url)

    stock_dp = Dispatcher(
        storage=RedisStorage(redis, key_builder=DefaultKeyBuilder(with_destiny=True)),
        events_isolation=RedisEventIsolation(
            redis, key_builder=DefaultKeyBuilder(with_destiny=True)
        ),
    )
    stock_dp.include_router(build_form_router())
    stock_bot = Bot("42:BENCH", session=NullSession())

    folder = tempfile.mkdtemp()
    settings = Settings(_env_file=None, redis_url=url, sandbox_db=Path(folder) / "bank.db")  # type: ignore[call-arg]
    storage = build_storage(product_redis, settings)
    clock = SystemClock()
    outside = Outside(build_bank(settings, clock, RecordingSmsSender()), clock)
    ours = build_dispatcher(
        settings, product_redis, storage, outside, extra_routers=(build_form_router(),)
    )
    our_bot = build_bot("42:BENCH", settings, storage, session=NullSession())

    stock_updates = build_updates(users, total // users, stock_bot)
    our_updates = build_updates(users, total // users, our_bot)
    await drive(stock_dp, stock_bot, build_updates(20, 5, stock_bot))  # warm-up
    stock_rate = await measure("stock", redis, stock_dp, stock_bot, stock_updates)
    tune_garbage_collector()  # what `python -m bot run` does at start-up
    await drive(ours.dispatcher, our_bot, build_updates(20, 5, our_bot))
    our_rate = await measure("ours", redis, ours.dispatcher, our_bot, our_updates)
    tuned_stock_rate = await measure("stock+gc", redis, stock_dp, stock_bot, stock_updates)
    print(
        f"ratio ours/stock = {our_rate / stock_rate:.2f}x "
        f"(ours/stock with the same GC tuning = {our_rate / tuned_stock_rate:.2f}x)"
    )
    print(f"webhook body check: {webhook_check_microseconds(our_updates[0][0]):.1f} us per update")
    await redis.flushdb()
    await redis.aclose()
    await product_redis.aclose()


def webhook_check_microseconds(update: Update, rounds: int = 20_000) -> float:
    body = update.model_dump_json(by_alias=True, exclude_none=True).encode()
    started = time.perf_counter()
    for _ in range(rounds):
        check_update(body)
    return (time.perf_counter() - started) / rounds * 1e6


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--updates", type=int, default=20_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.users, arguments.updates))
