"""Bank adapter throughput and latency: the sandbox in-process, and the HTTP adapter talking
to the sandbox's REST app on loopback (client and server in one process and event loop).

Run: .venv/bin/python bench/bench_bank.py

For each adapter: transfers one after another (per second, p50/p99), 200 transfers in flight
at once, lead submissions with routing (p50/p99), and the claim race: 100 officers press
Claim on one lead at the same moment (time until all have their answer; one winner).
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

from aiohttp import web

from integrations.bank.errors import AlreadyClaimed
from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.models import Lead, LeadSubmission, RepaymentMethod, TransferRequest
from integrations.bank.protocol import BankAdapter
from integrations.bank.rest_server import create_app
from integrations.bank.sandbox import SandboxBank, admin
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.seed import NEWCOMER_PHONE, NORTH, PAYEE_ALIAS, RETAIL_TEAM, seed
from integrations.sms.outbound import RecordingSmsSender

SEQUENTIAL = 1000
IN_FLIGHT = 200
LEADS = 300
CLAIMERS = 100
TOKEN = "bench"


def now() -> datetime:
    return datetime(2025, 3, 10, 2, tzinfo=UTC)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(call: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


def report(label: str, latencies: list[float], wall: float) -> None:
    print(
        f"  {label:<34} {len(latencies) / wall:>8.0f}/s"
        f"  p50 {statistics.median(latencies) * 1000:6.2f} ms"
        f"  p99 {percentile(latencies, 0.99) * 1000:6.2f} ms"
    )


async def sequential_transfers(bank: BankAdapter, merchant_id: str) -> None:
    request = TransferRequest(customer_id=merchant_id, destination=PAYEE_ALIAS, amount=Decimal(1))
    started = time.perf_counter()
    latencies = [
        await timed(partial(bank.transfer, request, idempotency_key=uuid.uuid4().hex))
        for _ in range(SEQUENTIAL)
    ]
    report("transfers, one at a time", latencies, time.perf_counter() - started)


async def concurrent_transfers(bank: BankAdapter, merchant_id: str) -> None:
    request = TransferRequest(customer_id=merchant_id, destination=PAYEE_ALIAS, amount=Decimal(1))
    started = time.perf_counter()
    latencies = await asyncio.gather(
        *(
            timed(partial(bank.transfer, request, idempotency_key=uuid.uuid4().hex))
            for _ in range(IN_FLIGHT)
        )
    )
    report(f"transfers, {IN_FLIGHT} in flight", list(latencies), time.perf_counter() - started)


def application(number: int) -> LeadSubmission:
    return LeadSubmission(
        applicant_name="基准", phone=NEWCOMER_PHONE, district_code="JINNIU",
        industry_code="retail", amount=Decimal(50000 + number), term_months=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
    )  # fmt: skip


async def lead_submissions(bank: BankAdapter) -> Lead:
    started = time.perf_counter()
    latencies = []
    for number in range(LEADS):
        submit = partial(bank.submit_lead, application(number), idempotency_key=uuid.uuid4().hex)
        latencies.append(await timed(submit))
    report("lead submissions with routing", latencies, time.perf_counter() - started)
    return await bank.submit_lead(application(LEADS), idempotency_key=uuid.uuid4().hex)


async def claim_race(bank: BankAdapter, lead: Lead, officers: list[str]) -> None:
    started = time.perf_counter()
    outcomes = await asyncio.gather(
        *(bank.claim_lead(lead.id, officer) for officer in officers), return_exceptions=True
    )
    wall = time.perf_counter() - started
    winners = sum(isinstance(outcome, Lead) for outcome in outcomes)
    refused = sum(isinstance(outcome, AlreadyClaimed) for outcome in outcomes)
    print(f"  claim race, {len(officers)} presses:       {wall * 1000:6.1f} ms for all answers,"
          f" {winners} winner, {refused} told who has it")  # fmt: skip


def add_claimer(connection: sqlite3.Connection, _context: Context, number: int) -> str:
    return admin.add_officer(
        connection, staff_code=f"B{number}", name=f"经理{number}", phone="+8613900000000",
        territory_code=NORTH, team_code=RETAIL_TEAM,
    )  # fmt: skip


@asynccontextmanager
async def adapters(sandbox: SandboxBank) -> AsyncIterator[dict[str, BankAdapter]]:
    runner = web.AppRunner(create_app(sandbox, TOKEN), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    async with HttpBankAdapter(f"http://{host}:{port}", TOKEN) as http:
        yield {"sandbox in-process": sandbox, "http on loopback": http}
    await runner.cleanup()


async def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        sandbox = SandboxBank(str(Path(directory) / "bank.db"), clock=now, sms=RecordingSmsSender())
        world = await sandbox.run(seed)
        await sandbox.run(partial(admin.deposit, account_id=world.merchant_account_id,
                                  amount=Decimal(100000)))  # fmt: skip
        officers = [world.officer_id]
        for number in range(CLAIMERS - 1):
            officers.append(await sandbox.run(partial(add_claimer, number=number)))
        async with adapters(sandbox) as by_name:
            for name, bank in by_name.items():
                print(name)
                await sequential_transfers(bank, world.merchant_id)
                await concurrent_transfers(bank, world.merchant_id)
                lead = await lead_submissions(bank)
                await claim_race(bank, lead, officers)
        await sandbox.aclose()


if __name__ == "__main__":
    asyncio.run(main())
