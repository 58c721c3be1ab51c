"""Fixtures for the bank adapter suite: a seeded sandbox on a real SQLite file in tmp_path,
reached either in-process or over HTTP through `sandbox serve`'s app on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from .support import ADAPTER_KINDS, BankWorld, bank_world


@pytest.fixture(params=ADAPTER_KINDS)
async def bank(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BankWorld]:
    async with bank_world(request.param, tmp_path / "bank.db") as world:
        yield world
