"""Reminders at scale: the day's reminders selected from the index and queued on the outbox.

N loans are indexed in Redis as the worker keeps them (`ReminderIndex`: one sorted set per
priority, one member per loan's next step, the loan's member set), with the day's share
(1 in 30: monthly installments) due now and the rest later in the month. Timed:
- select: `ReminderIndex.due(now, budget)` in pages of the worker's budget until the day's
  reminders are all listed (the index's range query, not a scan of the loans);
- enqueue: each one queued as its OutgoingMessage on the saq outbox (`SaqOutbox.enqueue`:
  the record checked, the job written, the record set) and unlisted, 200 at a time.
Left out: the bank's check of each loan (`ReminderService.due_now`), which is one bank call
per reminder whatever the index size; the sandbox is not seeded with N loans.

Usage: PYTHONPATH=$PWD .venv/bin/python bench/bench_reminders_scale.py [--loans 10000 1000000]
Redis: BOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/10, flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, date, datetime, timedelta

from bot.clock import SystemClock
from bot.domain.reminders import Step
from bot.factory import build_outbox, build_redis
from bot.redis_keys import REMINDERS
from bot.services.outbound import OutgoingMessage, Priority
from bot.services.reminders import ReminderIndex, ReminderKey

DAYS = 30
BUDGET = 1_000
CONCURRENCY = 200
SEED_BATCH = 10_000


async def seed(index: ReminderIndex, loans: int, now: datetime) -> int:
    """Index `loans` loans; the number due now."""
    due_now = 0
    redis = index.redis
    for start in range(0, loans, SEED_BATCH):
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(start, min(start + SEED_BATCH, loans)):
                day = n % DAYS
                due_date = date(2026, 12, 1) + timedelta(days=day)
                key = ReminderKey(f"CU{n:07d}", f"LN{n:07d}", 3, due_date, Step(-1))
                fires_at = now - timedelta(minutes=1) if day == 0 else now + timedelta(days=day)
                due_now += day == 0
                pipe.zadd(REMINDERS.due(key.step.priority), {key.member: fires_at.timestamp()})
                pipe.sadd(REMINDERS.loan(key.loan_id), key.member)
            await pipe.execute()
    return due_now


async def run(loans: int, url: str) -> None:
    redis = build_redis(url)
    await redis.flushdb()
    index = ReminderIndex(redis)
    outbox = build_outbox(redis, SystemClock())
    now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    seeding = time.perf_counter()
    due = await seed(index, loans, now)
    seeded = time.perf_counter() - seeding

    selecting = time.perf_counter()
    await index.due(now, BUDGET)  # one tick's selection alone
    select_ms = (time.perf_counter() - selecting) * 1000
    started = time.perf_counter()
    listed: list[ReminderKey] = []
    seen: set[str] = set()
    while True:
        page = [k for k in await index.due(now, BUDGET) if k.member not in seen]
        if not page:
            break
        seen.update(k.member for k in page)
        listed += page
        await _enqueue(index, outbox, page)
    total = time.perf_counter() - started
    assert len(listed) == due, (len(listed), due)
    queued = await outbox.waiting()
    print(
        f"| {loans:,} | {due:,} | {select_ms:.1f} | {total:.2f} | {due / total:,.0f} "
        f"| {queued:,} | {seeded:.1f} |",
        flush=True,
    )
    await redis.flushdb()
    await redis.aclose()


async def _enqueue(index: ReminderIndex, outbox, keys: list[ReminderKey]) -> None:  # type: ignore[no-untyped-def]
    async def one(key: ReminderKey) -> None:
        message = OutgoingMessage(
            key=key.message_key,
            chat_id=1_000_000 + int(key.customer_id[2:]),
            text="Installment 3 of your loan is due tomorrow: CN¥1,234.56",
            customer_id=key.customer_id,
            priority=Priority.BULK,
        )
        await outbox.enqueue(message)
        await index.remove(key)

    for start in range(0, len(keys), CONCURRENCY):
        await asyncio.gather(*(one(k) for k in keys[start : start + CONCURRENCY]))


async def main(sizes: list[int]) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    print(
        "| loans indexed | due today | select 1,000 ms | select + enqueue all s "
        "| reminders/s | queued | seed s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for loans in sizes:
        await run(loans, url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    asyncio.run(main(parser.parse_args().loans))
