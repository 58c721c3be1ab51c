"""The loan pre-application end to end: 200 concurrent merchants, consent to Submit.

Each merchant sends the 24 updates of a whole application (consent, contact, twenty
answers, summary, Submit) through the real Dispatcher, the sandbox bank and Redis; replies
go to a null session, and the lead delivery worker (`LeadDelivery.run`) runs alongside, as
`python -m bot worker` does. A run ends when every step is handled AND every lead is in an
officer's queue. The same routers and services also run on stock aiogram's Redis stack
(RedisStorage + RedisEventIsolation): the ratio against that is the target (>= 2x); a bare
3-step form on stock aiogram running the same number of steps is printed for reference.
Hand-off: from feeding Submit to the bank's `submit_lead` returning the lead (routed to its
officer), timed at the bank, so nothing polls Redis while the merchants are running.
Updates are built and mounted on the bot before the clock starts, Redis connections are
opened beforehand and the GC is tuned as `python -m bot run` does, for both stacks alike.
Outage: the bank's lead intake is down while every merchant submits and for 5 s more; the
time from its return until each lead is at the bank (the worker's probe, then all at once).
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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.types import CallbackQuery, Chat, Contact, Message, TelegramObject, Update, User
from bench_updates import NullSession, build_form_router, build_updates, drive
from redis.asyncio import Redis

from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.application import normalized_phone
from bot.factory import Outside, build_bank, build_bot, build_dispatcher, build_storage
from bot.i18n import LocaleMiddleware, choose_locale
from bot.redis_keys import LEADS
from bot.runtime import tune_garbage_collector
from bot.services.lead_outbox import LeadDelivery
from bot.views.application import ChatLeadMessenger
from handlers import application, common
from handlers.application import ApplyStep
from integrations.bank.errors import BankUnavailable
from integrations.bank.models import Consent, ConsentRequest, Lead, LeadSubmission
from integrations.bank.protocol import BankAdapter
from integrations.sms.outbound import RecordingSmsSender

TEXT, PRESS, CONTACT = "text", "press", "contact"
WARM_UP = 20  # merchants through each stack before the timed run
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


class TimedBank:
    """The sandbox bank, noting when each phone's lead came back from `submit_lead`; while
    `down`, its lead intake does not answer (an outage)."""

    def __init__(self, bank: BankAdapter) -> None:
        self.bank = bank
        self.submitted: dict[str, float] = {}
        self.down = False

    async def record_consent(self, request: ConsentRequest) -> Consent:
        if self.down:
            raise BankUnavailable("the bench's outage")
        return await self.bank.record_consent(request)

    async def submit_lead(self, submission: LeadSubmission, *, idempotency_key: str) -> Lead:
        if self.down:
            raise BankUnavailable("the bench's outage")
        lead = await self.bank.submit_lead(submission, idempotency_key=idempotency_key)
        self.submitted.setdefault(submission.phone, time.perf_counter())
        return lead

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bank, name)


@dataclass
class Stack:
    dispatcher: Dispatcher
    bot: Bot
    bank: TimedBank
    delivery: LeadDelivery
    messenger: ChatLeadMessenger


async def app_stack(redis: Redis, url: str, *, stock: bool) -> Stack:
    """Our dispatcher, or the same routers and services on stock aiogram's FSM and storage."""
    folder = tempfile.mkdtemp()
    settings = Settings(_env_file=None, redis_url=url, sandbox_db=Path(folder) / "bank.db")  # type: ignore[call-arg]
    clock = SystemClock()
    bank = TimedBank(build_bank(settings, clock, RecordingSmsSender()))
    storage = build_storage(redis, settings)
    ours = build_dispatcher(settings, redis, storage, Outside(cast(BankAdapter, bank), clock))
    delivery = ours.services.delivery
    if stock:
        dispatcher = stock_dispatcher(redis)
        dispatcher.workflow_data.update(ours.dispatcher.workflow_data)
        dispatcher.update.outer_middleware(language_of_the_app)
        dispatcher.update.outer_middleware(LocaleMiddleware(ours.i18n))
        dispatcher.include_routers(application.build_router(), common.build_router())
        bot = Bot("42:BENCH", session=NullSession())
    else:
        dispatcher = ours.dispatcher
        bot = build_bot("42:BENCH", settings, storage, session=NullSession())
    return Stack(dispatcher, bot, bank, delivery, ours.services.lead_messenger)


async def language_of_the_app(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """What the update gate does for the locale, for the stock stack (no stored choice)."""
    user = data.get("event_from_user")
    data["locale"] = choose_locale(None, user.language_code if user else None, "en")
    return await handler(event, data)


async def run_journeys(stack: Stack, merchants: int, first: int = 0) -> tuple[float, list[float]]:
    """Seconds until every step is handled and every lead delivered; each hand-off."""
    indexes = range(first, first + merchants)
    journeys = {index: journey_updates(index, stack.bot) for index in indexes}
    phones = {index: normalized_phone(f"+86138800{index:05d}") or "" for index in indexes}
    submitted_at: dict[int, float] = {}
    stop = asyncio.Event()
    worker = asyncio.create_task(stack.delivery.run(stack.messenger, stop))

    async def merchant(index: int) -> None:
        updates = journeys[index]
        for update in updates[:-1]:
            await stack.dispatcher.feed_update(stack.bot, update)
        submitted_at[index] = time.perf_counter()
        await stack.dispatcher.feed_update(stack.bot, updates[-1])

    started = time.perf_counter()
    await asyncio.gather(*(merchant(index) for index in indexes))
    while any(phones[index] not in stack.bank.submitted for index in indexes):
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - started
    stop.set()
    await worker
    handoffs = [stack.bank.submitted[phones[index]] - submitted_at[index] for index in indexes]
    return elapsed, handoffs


async def open_connections(redis: Redis, count: int) -> None:
    """Fill the connection pool first, so that neither stack pays for connecting."""
    pool = redis.connection_pool
    connections = [await pool.get_connection() for _ in range(count)]
    for connection in connections:
        await pool.release(connection)


async def leads_in_queues(bank: BankAdapter, redis: Redis) -> int:
    """How many delivered leads are in their officer's queue (checked at the bank)."""
    keys = [key async for key in redis.scan_iter(LEADS.owner("*"))]
    lead_ids = {key.decode().rsplit(":", 1)[1] for key in keys}
    officers = {(await bank.get_lead(lead_id)).officer_id for lead_id in lead_ids}
    queued = set()
    for officer in officers - {None}:
        queued |= {lead.id for lead in await bank.list_officer_queue(officer or "")}
    return len(lead_ids & queued)


async def measure(
    redis: Redis, url: str, merchants: int, *, stock: bool
) -> tuple[float, list[float], int]:
    """A warm-up, then the timed run: seconds, hand-offs, leads found in officers' queues."""
    await redis.flushdb()
    stack = await app_stack(redis, url, stock=stock)
    await run_journeys(stack, WARM_UP, first=merchants)
    elapsed, handoffs = await run_journeys(stack, merchants)
    queued = await leads_in_queues(cast(BankAdapter, stack.bank), redis)
    await stack.bank.aclose()
    return elapsed, handoffs, queued


async def measure_outage(redis: Redis, url: str, merchants: int) -> tuple[list[float], int]:
    """Every merchant submits while the bank's lead intake is down, which lasts 5 s more;
    then the bank is back: for each lead, seconds from the return until the bank had it."""
    await redis.flushdb()
    stack = await app_stack(redis, url, stock=False)
    await run_journeys(stack, WARM_UP, first=merchants)  # the reference data is cached
    stack.bank.down = True
    journeys = [journey_updates(index, stack.bot) for index in range(merchants)]
    phones = [normalized_phone(f"+86138800{index:05d}") or "" for index in range(merchants)]
    stop = asyncio.Event()
    worker = asyncio.create_task(stack.delivery.run(stack.messenger, stop))

    async def merchant(updates: list[Update]) -> None:
        for update in updates:
            await stack.dispatcher.feed_update(stack.bot, update)

    await asyncio.gather(*(merchant(updates) for updates in journeys))
    await asyncio.sleep(5)
    stack.bank.down = False
    back = time.perf_counter()
    while any(phone not in stack.bank.submitted for phone in phones):
        await asyncio.sleep(0.001)
    stop.set()
    await worker
    queued = await leads_in_queues(cast(BankAdapter, stack.bank), redis)
    await stack.bank.aclose()
    return [stack.bank.submitted[phone] - back for phone in phones], queued


def quantiles(handoffs: list[float]) -> str:
    cuts = statistics.quantiles(handoffs, n=100)
    return f"p50 {cuts[49] * 1000:4.0f} ms, p99 {cuts[98] * 1000:4.0f} ms"


async def main(merchants: int) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    redis = Redis.from_url(url, max_connections=1024)
    await redis.flushdb()
    await open_connections(redis, 400)
    steps = merchants * len(JOURNEY)

    stock_dp = stock_dispatcher(redis)
    stock_dp.include_router(build_form_router())
    stock_bot = Bot("42:BENCH", session=NullSession())
    stock_updates = build_updates(merchants, len(JOURNEY), stock_bot)
    await drive(stock_dp, stock_bot, build_updates(20, 5, stock_bot))
    form_elapsed = await drive(stock_dp, stock_bot, stock_updates)

    tune_garbage_collector()  # what `python -m bot run` does; both stacks run with it
    stock_elapsed, stock_handoffs, stock_queued = await measure(redis, url, merchants, stock=True)
    elapsed, handoffs, queued = await measure(redis, url, merchants, stock=False)

    form_rate, stock_rate, our_rate = (
        steps / form_elapsed, steps / stock_elapsed, steps / elapsed
    )  # fmt: skip
    warmed = merchants + WARM_UP
    print(f"stock aiogram, bare 3-step form: {steps} steps in {form_elapsed:5.2f}s = "
          f"{form_rate:5.0f} steps/s")  # fmt: skip
    print(f"stock aiogram, application flow: {steps} steps in {stock_elapsed:5.2f}s = "
          f"{stock_rate:5.0f} steps/s; hand-off {quantiles(stock_handoffs)}; "
          f"{stock_queued}/{warmed} leads in officers' queues")  # fmt: skip
    print(f"ours, application flow:          {steps} steps in {elapsed:5.2f}s = "
          f"{our_rate:5.0f} steps/s; hand-off {quantiles(handoffs)}; "
          f"{queued}/{warmed} leads in officers' queues")  # fmt: skip
    print(f"ratio ours/stock on the same flow: {our_rate / stock_rate:.2f}x (target >= 2x); "
          f"ours/stock's bare form: {our_rate / form_rate:.2f}x")  # fmt: skip
    print(f"Submit -> lead in the officer's queue, all {merchants} merchants at once: "
          f"{quantiles(handoffs)} (target p99 < 500 ms)")  # fmt: skip
    delays, outage_queued = await measure_outage(redis, url, merchants)
    print(f"bank down while all {merchants} submit, back 5 s later: bank back -> lead at the "
          f"bank {quantiles(delays)}, last {max(delays) * 1000:.0f} ms; "
          f"{outage_queued}/{warmed} leads in officers' queues")  # fmt: skip
    await redis.flushdb()
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--merchants", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.merchants))
