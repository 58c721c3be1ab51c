"""Reminders at scale: N loans in the sandbox and in Redis; the day's reminders selected from
the index and queued on the outbox by the worker's own tick.

Setup (not timed): the sandbox SQLite gets N customers, their accounts and N loans of three
installments 30 days apart (one transaction of `executemany`s); Redis gets, as the worker keeps
them, every loan's pending steps in the reminder index (one sorted set per priority, the
loan's member set) and each customer's chat in the directory. 1 loan in 30 has its 3-day
reminder due now (monthly installments); the others fall due later in the month.

Timed: `ReminderWorker.tick` (budget `--budget` keys a tick) until nothing is left due, as
the worker does it: the page of due keys from the index (a range query, never a scan of
the loans), readers and mutes, the bank's loans (one `get_loans` a tick), the messages
rendered in the reader's language, queued on the saq outbox in one batch (records, jobs,
records set), the keys unlisted and the loans' next steps indexed. Printed: the whole, its
parts ("select + enqueue" is the index range query, the outbox batch and the unlisting, i.e.
all of it but the bank and the rendering), Redis round trips and commands per reminder, SQL
statements per reminder, and the rate.

Usage: PYTHONPATH=$PWD .venv/bin/python bench/bench_reminders_scale.py
    [--loans 10000 100000 1000000] [--budget 1000]
Redis: BOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/10, flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.connection import AbstractConnection

from bot.clock import SimulatedClock
from bot.config import Settings
from bot.domain.reminders import Priority, pending_steps
from bot.factory import Outside, Services, build_bank, build_redis, build_services
from bot.redis_keys import ACCOUNTS, REMINDERS
from bot.reminder_config import ReminderSettings
from bot.services.reminders import ReminderKey
from bot.worker import ReminderWorker
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.core import SandboxBank
from integrations.sms.outbound import RecordingSmsSender

DAYS = 30
INSTALLMENTS = 3
MONTH = timedelta(days=30)  # the installments' spacing, near enough for the bench
SEED_BATCH = 20_000
WARM_UP = 3_000  # loans of a first run, not reported
NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai: the 3-day reminders
FIRST_DUE = date(2026, 12, 3)  # loan n's first installment: FIRST_DUE + n % 30 days


class RoundTrips:
    """Requests written to Redis (a pipeline is one) by this process: counted at the socket."""

    count = 0

    @classmethod
    def install(cls) -> None:
        send = AbstractConnection.send_packed_command

        async def counted(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
            cls.count += 1
            await send(self, *args, **kwargs)

        AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]


class Phases:
    """Seconds spent in each named coroutine method of an object, summed."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)

    def watch(self, owner: object, name: str, label: str) -> None:
        method: Callable[..., Awaitable[Any]] = getattr(owner, name)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - started

        setattr(owner, name, timed)


def seed_bank(connection: sqlite3.Connection, context: Context, loans: int) -> None:
    product = context.config.product_code
    for start in range(0, loans, SEED_BATCH):
        numbers = range(start, min(start + SEED_BATCH, loans))
        connection.executemany(
            "INSERT INTO customers (id, name, phone) VALUES (?, ?, ?)",
            [(f"CB{n:07d}", f"Merchant {n}", f"+8619{n:09d}") for n in numbers],
        )
        connection.executemany(
            "INSERT INTO accounts (id, number, customer_id, holder_name, type, currency, status)"
            " VALUES (?, ?, ?, ?, ?, 'CNY', 'open')",
            [
                row
                for n in numbers
                for row in (
                    (f"AB{n:07d}", f"62229{n:011d}", f"CB{n:07d}", "M", "current"),
                    (f"LNA-LB{n:07d}", f"LNA-LB{n:07d}", None, f"Loan LB{n:07d}", "loan"),
                )
            ],
        )
        connection.executemany(
            "INSERT INTO loans (id, customer_id, product_code, principal_fen, annual_rate,"
            " method, term_months, disbursed_on, status, account_id, ledger_account_id)"
            " VALUES (?, ?, ?, 300000, '0.12', 'equal_installments', ?, ?, 'active', ?, ?)",
            [
                (f"LB{n:07d}", f"CB{n:07d}", product, INSTALLMENTS,
                 (_first_due(n) - MONTH).isoformat(), f"AB{n:07d}",
                 f"LNA-LB{n:07d}")
                for n in numbers
            ],
        )  # fmt: skip
        connection.executemany(
            "INSERT INTO installments (loan_id, number, due_date, principal_fen, interest_fen)"
            " VALUES (?, ?, ?, 100000, 3000)",
            [
                (f"LB{n:07d}", k + 1, (_first_due(n) + k * MONTH).isoformat())
                for n in numbers
                for k in range(INSTALLMENTS)
            ],
        )


def _first_due(n: int) -> date:
    return FIRST_DUE + timedelta(days=n % DAYS)


async def seed_redis(redis: Redis, services: Services, loans: int) -> int:
    """The index and the directory as the worker and the bound chats leave them; the
    number of keys due now."""
    policy = services.reminders.policy
    plans = {
        day: pending_steps(FIRST_DUE + timedelta(days=day), policy, NOW) for day in range(DAYS)
    }
    due_now = 0
    for start in range(0, loans, SEED_BATCH):
        by_priority: dict[Priority, dict[str, float]] = defaultdict(dict)
        async with redis.pipeline(transaction=False) as pipe:
            for n in range(start, min(start + SEED_BATCH, loans)):
                customer, loan = f"CB{n:07d}", f"LB{n:07d}"
                members = []
                for item in plans[n % DAYS]:
                    key = ReminderKey(customer, loan, 1, _first_due(n), item.step)
                    by_priority[item.step.priority][key.member] = item.fires_at.timestamp()
                    members.append(key.member)
                    due_now += item.fires_at <= NOW
                pipe.sadd(REMINDERS.loan(loan), *members)
                pipe.hset(ACCOUNTS.reader(customer), mapping={"chat": 10**9 + n, "locale": "en"})
            for priority, scored in by_priority.items():
                pipe.zadd(REMINDERS.due(priority), scored)
            await pipe.execute()
    return due_now


async def commands_processed(redis: Redis) -> int:
    return int((await redis.info("stats"))["total_commands_processed"])


async def run(loans: int, budget: int, url: str, *, report: bool = True) -> None:
    redis = build_redis(url)
    await redis.flushdb()
    folder = tempfile.mkdtemp()
    settings = Settings(_env_file=None, redis_url=url, sandbox_db=Path(folder) / "bank.db")
    clock = SimulatedClock(NOW)
    bank = build_bank(settings, clock, RecordingSmsSender())
    assert isinstance(bank, SandboxBank)
    seeding = time.perf_counter()
    bank.run_blocking(lambda connection, context: seed_bank(connection, context, loans))
    seeded_bank = time.perf_counter() - seeding
    services = build_services(settings, redis, Outside(bank, clock), ReminderSettings())
    seeding = time.perf_counter()
    due = await seed_redis(redis, services, loans)
    seeded_redis = time.perf_counter() - seeding

    statements = [0]
    bank.run_blocking(
        lambda connection, _context: connection.set_trace_callback(
            lambda _sql: statements.__setitem__(0, statements[0] + 1)
        )
    )
    worker = ReminderWorker(
        services.reminders, services.outbox, services.i18n, settings.currency, budget
    )
    phases = Phases()
    index, reminders = services.reminders.index, services.reminders
    phases.watch(index, "due", "select")
    phases.watch(services.outbox, "enqueue_all", "enqueue")
    phases.watch(index, "remove_all", "unlist")
    phases.watch(reminders, "check", "check")
    phases.watch(bank, "get_loans", "bank")  # inside "check"
    phases.watch(reminders, "index_loans", "reindex")
    commands, trips, statements[0] = await commands_processed(redis), RoundTrips.count, 0
    started = time.perf_counter()
    listed = 0
    while looked_at := await worker.tick(clock.now()):
        listed += looked_at
    total = time.perf_counter() - started
    trips, sql = RoundTrips.count - trips, statements[0]
    commands = await commands_processed(redis) - commands - 1  # less the INFO itself
    queued = await services.outbox.waiting()
    assert listed == due == queued, (listed, due, queued)
    p = phases.seconds
    select_enqueue = p["select"] + p["enqueue"] + p["unlist"]
    rendering = total - select_enqueue - p["check"] - p["reindex"]
    if report:
        print(
            f"| {loans:,} | {due:,} | {total:.2f} | {select_enqueue:.2f} | {p['check']:.2f} "
            f"| {p['bank']:.2f} "
            f"| {rendering:.2f} | {p['reindex']:.2f} | {due / total:,.0f} | {trips / due:.3f} "
            f"| {commands / due:.1f} | {sql / due:.1f} | {seeded_bank:.0f} + {seeded_redis:.0f} "
            f"| {os.getloadavg()[0]:.1f} |",
            flush=True,
        )
    await bank.aclose()
    await redis.flushdb()
    await redis.aclose()


async def main(sizes: list[int], budget: int) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    RoundTrips.install()
    print(
        "| loans | due now | tick total s | select + enqueue s | check s | of which bank s "
        "| render s "
        "| reindex s | reminders/s | round trips / reminder | commands / reminder "
        "| SQL / reminder | seed s (SQLite + Redis) | load |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    await run(WARM_UP, budget, url, report=False)  # a worker's first tick builds its caches
    for loans in sizes:
        await run(loans, budget, url)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--loans", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--budget", type=int, default=1_000, help="keys a tick looks at")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.loans, arguments.budget))
