"""The loan pre-application end to end: 200 concurrent merchants, consent to Submit.

Each merchant sends the 24 updates of a whole application (consent, contact, twenty
answers, summary, Submit) through the real Dispatcher, the sandbox bank and Redis; replies
go to a null session. Printed: steps/s, against stock aiogram's Redis stack (RedisStorage +
RedisEventIsolation) running the same number of steps of a bare 3-step form, and the p50 and
p99 time from Submit to the lead being in an officer's queue.
Usage: python bench/bench_application.py (BOT_BENCH_REDIS_URL, default db 10, is flushed)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import CallbackQuery, Chat, Contact, Message, TelegramObject, Update, User
from bench_updates import NullSession, build_form_router, build_updates, drive
from redis.asyncio import Redis

from bot.clock import SystemClock
from bot.config import Settings
from bot.factory import Outside, build_bank, build_bot, build_dispatcher, build_storage
from bot.i18n import LocaleMiddleware, choose_locale
from bot.runtime import tune_garbage_collector
from bot.services.lead_outbox import OWNER_PREFIX, user_key
from handlers import application, common
from handlers.application import ApplyStep
from integrations.bank.protocol import BankAdapter
from integrations.sms.outbound import RecordingSmsSender

TEXT, PRESS, CONTACT = "text", "press", "contact"
JOURNEY: list[tuple[str, str | ApplyStep]] = [
    (TEXT, "/apply"),
    (PRESS, ApplyStep(action="agree")),
    (CONTACT, ""),
    (TEXT, "Chen Xiaomei"),
    (PRESS, ApplyStep(action="pick", key="industry", value="retail")),
    (PRESS, ApplyStep(action="pick", key="district", value="JINNIU")),
    (TEXT, "3 years"),
    (TEXT, "2"),
    (PRESS, ApplyStep(action="pick", key="premises", value="owned")),
    (TEXT, "3000"),
    (TEXT, "8万"),
    (TEXT, "5万"),
    (TEXT, "8000"),
    (PRESS, ApplyStep(action="toggle", key="assets", value="home")),
    (PRESS, ApplyStep(action="done", key="assets")),
    (TEXT, "0"),
    (TEXT, "5万/1万"),
    (TEXT, "5万"),
    (TEXT, "12"),
    (PRESS, ApplyStep(action="pick", key="plan", value="equal_installments")),
    (TEXT, "stock"),
    (PRESS, ApplyStep(action="pick", key="guarantor", value="spouse")),
    (PRESS, ApplyStep(action="pick", key="call_time", value="morning")),
    (PRESS, ApplyStep(action="submit")),
]


def journey_updates(index: int, bot: Bot) -> list[Update]:
    user = User(id=50_000 + index, is_bot=False, first_name="m", language_code="en")
    chat = Chat(id=user.id, type="private")
    now = datetime.now(UTC)
    updates = []
    for number, (kind, payload) in enumerate(JOURNEY, start=1):
        update_id = index * 100 + number
        message = Message(message_id=number, date=now, chat=chat, from_user=user, text="q")
        if kind == PRESS:
            assert isinstance(payload, ApplyStep)
            query = CallbackQuery(
                id=str(update_id), from_user=user, chat_instance="1", message=message,
                data=payload.pack(),
            )  # fmt: skip
            update = Update(update_id=update_id, callback_query=query)
        elif kind == CONTACT:
            phone = f"+86138800{index:05d}"
            contact = Contact(phone_number=phone, first_name="m", user_id=user.id)
            update = Update(
                update_id=update_id, message=message.model_copy(update={"text": None,
                                                                        "contact": contact})
            )  # fmt: skip
        else:
            text = message.model_copy(update={"text": payload})
            update = Update(update_id=update_id, message=text)
        updates.append(Update.model_validate(update.model_dump(), context={"bot": bot}))
    return updates


def stock_dispatcher(redis: Redis) -> Dispatcher:
    keys = DefaultKeyBuilder(with_destiny=True)
    return Dispatcher(
        storage=RedisStorage(redis, key_builder=keys),
        events_isolation=RedisEventIsolation(redis, key_builder=keys),
    )


async def app_stack(redis: Redis, url: str, *, stock: bool) -> tuple[Dispatcher, Bot, BankAdapter]:
    """Our dispatcher, or the same routers and services on stock aiogram's FSM and storage."""
    folder = tempfile.mkdtemp()
    settings = Settings(_env_file=None, redis_url=url, sandbox_db=Path(folder) / "bank.db")  # type: ignore[call-arg]
    clock = SystemClock()
    bank = build_bank(settings, clock, RecordingSmsSender())
    storage = build_storage(redis, settings)
    ours = build_dispatcher(settings, redis, storage, Outside(bank, clock))
    if not stock:
        return (
            ours.dispatcher,
            build_bot("42:BENCH", settings, storage, session=NullSession()),
            bank,
        )
    dispatcher = stock_dispatcher(redis)
    dispatcher.workflow_data.update(ours.dispatcher.workflow_data)
    dispatcher.update.outer_middleware(language_of_the_app)
    dispatcher.update.outer_middleware(LocaleMiddleware(ours.i18n))
    dispatcher.include_routers(application.build_router(), common.build_router())
    return dispatcher, Bot("42:BENCH", session=NullSession()), bank


async def language_of_the_app(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """What the update gate does for the locale, for the stock stack (no stored choice)."""
    user = data.get("event_from_user")
    data["locale"] = choose_locale(None, user.language_code if user else None, "en")
    return await handler(event, data)


async def run_journeys(
    dispatcher: Dispatcher, bot: Bot, redis: Redis, merchants: int, first: int = 0
) -> tuple[float, list[float]]:
    handoffs: list[float] = []

    async def merchant(index: int) -> None:
        updates = journey_updates(index, bot)
        for update in updates[:-1]:
            await dispatcher.feed_update(bot, update)
        started = time.perf_counter()
        await dispatcher.feed_update(bot, updates[-1])
        while await redis.scard(user_key(50_000 + index)) < 2:  # the lead's owner is recorded
            await asyncio.sleep(0.01)
        handoffs.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(merchant(index) for index in range(first, first + merchants)))
    return time.perf_counter() - started, handoffs


async def leads_in_queues(bank: BankAdapter, redis: Redis) -> int:
    """How many delivered leads are in their officer's queue (checked at the bank)."""
    keys = [key async for key in redis.scan_iter(f"{OWNER_PREFIX}:*")]
    lead_ids = {key.decode().rsplit(":", 1)[1] for key in keys}
    officers = {(await bank.get_lead(lead_id)).officer_id for lead_id in lead_ids}
    queued = set()
    for officer in officers - {None}:
        queued |= {lead.id for lead in await bank.list_officer_queue(officer or "")}
    return len(lead_ids & queued)


async def main(merchants: int) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    redis = Redis.from_url(url, max_connections=1024)
    await redis.flushdb()
    steps = merchants * len(JOURNEY)

    stock_dp = stock_dispatcher(redis)
    stock_dp.include_router(build_form_router())
    stock_bot = Bot("42:BENCH", session=NullSession())
    stock_updates = build_updates(merchants, len(JOURNEY), stock_bot)
    await drive(stock_dp, stock_bot, build_updates(20, 5, stock_bot))
    stock_elapsed = await drive(stock_dp, stock_bot, stock_updates)
    await redis.flushdb()

    stock_flow, stock_flow_bot, stock_bank = await app_stack(redis, url, stock=True)
    same_flow_elapsed, _ = await run_journeys(stock_flow, stock_flow_bot, redis, merchants)
    await stock_bank.aclose()
    await redis.flushdb()
    dispatcher, bot, bank = await app_stack(redis, url, stock=False)
    tune_garbage_collector()
    elapsed, handoffs = await run_journeys(dispatcher, bot, redis, merchants)
    submitted = await leads_in_queues(bank, redis)
    alone: list[float] = []
    for index in range(20):  # the hand-off itself, with nobody else using the bot
        alone += (await run_journeys(dispatcher, bot, redis, 1, first=merchants + index))[1]

    stock_rate, our_rate = steps / stock_elapsed, steps / elapsed
    cuts = statistics.quantiles(handoffs, n=100)
    print(f"stock 3-step form: {steps} steps in {stock_elapsed:6.2f}s = {stock_rate:6.0f} steps/s")
    print(f"application flow:  {steps} steps in {elapsed:6.2f}s = {our_rate:6.0f} steps/s")
    same_rate = steps / same_flow_elapsed
    print(f"application flow on stock aiogram's Redis stack: {same_rate:6.0f} steps/s")
    print(
        f"ratio ours/stock: {our_rate / stock_rate:.2f}x against the bare form, "
        f"{our_rate / same_rate:.2f}x against the same flow"
    )
    print(
        f"Submit -> lead in the officer's queue: p50 {cuts[49] * 1000:.0f} ms, "
        f"p99 {cuts[98] * 1000:.0f} ms with all {merchants} submitting at once; "
        f"leads in officers' queues: {submitted}"
    )
    print(
        f"Submit -> lead in the officer's queue, one merchant at a time: "
        f"p50 {statistics.median(alone) * 1000:.0f} ms, max {max(alone) * 1000:.0f} ms"
    )
    await bank.aclose()
    await redis.flushdb()
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--merchants", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.merchants))
