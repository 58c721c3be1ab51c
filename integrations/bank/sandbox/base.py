"""`SandboxCore`: what every part of the embedded bank shares (one SQLite database in its
own thread, the clock, the SMS sender, the settings). `SandboxBank` and the case parts
(visits, worksheets, committee, offers) are built on it.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from integrations.bank.sandbox.context import Context, SandboxConfig
from integrations.bank.sandbox.db import Database
from integrations.sms.outbound import SmsSender

T = TypeVar("T")
Work = Callable[[sqlite3.Connection, Context], T]


class SandboxCore:
    """The database, clock, SMS sender and settings that every part of the sandbox runs
    its work with: each call is one transaction in the database's thread."""

    def __init__(
        self,
        db_path: str,
        *,
        clock: Callable[[], datetime],
        sms: SmsSender,
        config: SandboxConfig | None = None,
    ) -> None:
        self._database = Database(db_path)
        # files kept beside the database (the document store); a database in memory gets
        # a fresh directory of its own
        self.data_dir = (
            Path(tempfile.mkdtemp(prefix="sandbox-"))
            if db_path == ":memory:"
            else Path(db_path).parent
        )
        self._clock = clock
        self._sms = sms
        self.config = config or SandboxConfig()

    async def run(self, work: Work[T]) -> T:
        """Run `work(connection, context)` as one transaction (also for back-office setup)."""
        return await self._database.transaction(
            lambda connection: work(connection, self._context())
        )

    def run_blocking(self, work: Work[T]) -> T:
        """`run` for synchronous setup code, outside any event loop."""
        return self._database.run(lambda connection: work(connection, self._context()))

    def _context(self) -> Context:
        return Context(now=self._clock(), config=self.config)

    async def _run_plain(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`run` for work that does not need the clock."""
        return await self._database.transaction(work)

    async def aclose(self) -> None:
        self._database.close()
