"""Shared helpers of the bank adapter suite: the simulated clock, the world under test,
direct checks of the sandbox's ledger file."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from aiohttp import web

from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.protocol import BankAdapter
from integrations.bank.resilience import RetryPolicy
from integrations.bank.rest_server import create_app
from integrations.bank.sandbox import SandboxBank, SandboxConfig
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.seed import SeededWorld, seed
from integrations.sms.outbound import RecordingSmsSender

T = TypeVar("T")
START = datetime(2025, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Monday


class MutableClock:
    """The simulated clock: timezone-aware UTC, moved by the test."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class BankWorld:
    adapter: BankAdapter
    sandbox: SandboxBank  # the bank behind the adapter, for back-office setup in tests
    seeded: SeededWorld
    clock: MutableClock
    sms: RecordingSmsSender
    db_path: Path

    async def admin(self, work: Callable[[sqlite3.Connection, Context], T]) -> T:
        return await self.sandbox.run(work)

    def last_code(self, phone: str) -> str:
        text = self.sms.last_to(phone)
        assert text is not None, f"no SMS to {phone}"
        match = re.search(r"\b(\d{6})\b", text)
        assert match is not None, text
        return match.group(1)


TOKEN = "test-token"
ADAPTER_KINDS = ["sandbox", "http"]


class ServerThread:
    """The REST app in front of a bank, on a free loopback port, in its own thread and loop
    (so that synchronous clients such as schemathesis and hypothesis can call it too)."""

    def __init__(self, bank: BankAdapter, token: str = TOKEN) -> None:
        self._app = create_app(bank, token)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.url = ""

    def __enter__(self) -> ServerThread:
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("the REST server did not start")
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)

    def _serve(self) -> None:
        runner = web.AppRunner(self._app, access_log=None)
        self._loop.run_until_complete(runner.setup())
        self._loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
        host, port = runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())
        self._loop.close()


async def open_sandbox(
    db_path: Path, config: SandboxConfig | None = None
) -> tuple[SandboxBank, SeededWorld, MutableClock, RecordingSmsSender]:
    clock = MutableClock()
    sms = RecordingSmsSender()
    sandbox = SandboxBank(str(db_path), clock=clock, sms=sms, config=config)
    seeded = await sandbox.run(seed)
    return sandbox, seeded, clock, sms


@asynccontextmanager
async def bank_world(kind: str, db_path: Path) -> AsyncIterator[BankWorld]:
    """A freshly seeded sandbox reached in-process ("sandbox") or over HTTP ("http")."""
    sandbox, seeded, clock, sms = await open_sandbox(db_path)
    with ExitStack() as stack:
        adapter: BankAdapter = sandbox
        if kind == "http":
            server = stack.enter_context(ServerThread(sandbox))
            adapter = HttpBankAdapter(server.url, TOKEN, retry=RetryPolicy(base_delay=0.01))
        try:
            yield BankWorld(adapter, sandbox, seeded, clock, sms, db_path)
        finally:
            await adapter.aclose()
    await sandbox.aclose()


async def gather_outcomes(*calls: Awaitable[T]) -> list[T | BaseException]:
    """Run coroutines concurrently; each result or raised exception, in order."""
    return await asyncio.gather(*calls, return_exceptions=True)


def ledger_problems(db_path: Path) -> list[str]:
    """Read the sandbox's SQLite file directly: unbalanced entries, balances that are not the
    sum of their postings, and customer accounts below zero."""
    connection = sqlite3.connect(db_path)
    try:
        unbalanced = connection.execute(
            "SELECT entry_id FROM postings GROUP BY entry_id HAVING SUM(amount_fen) != 0"
        ).fetchall()
        drifting = connection.execute(
            "SELECT p.account_id FROM postings p WHERE p.id = (SELECT MAX(id) FROM postings"
            " WHERE account_id = p.account_id) AND p.balance_after_fen !="
            " (SELECT SUM(amount_fen) FROM postings WHERE account_id = p.account_id)"
        ).fetchall()
        negative = connection.execute(
            "SELECT a.id FROM accounts a JOIN postings p ON p.account_id = a.id"
            " WHERE a.customer_id IS NOT NULL GROUP BY a.id HAVING SUM(p.amount_fen) < 0"
        ).fetchall()
    finally:
        connection.close()
    return (
        [f"unbalanced entry {row[0]}" for row in unbalanced]
        + [f"balance drifted from postings in {row[0]}" for row in drifting]
        + [f"negative balance in {row[0]}" for row in negative]
    )
