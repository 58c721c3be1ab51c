"""Reference data stale-while-revalidate, on a real Redis, with a bank that answers (the
sandbox), one that is slow to answer, and one that is really unreachable (a closed port)."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.redis_keys import REFERENCE
from bot.services.reference_data import (
    BankNotAnswering,
    Freshness,
    ReferenceData,
)
from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.models import LoanProduct
from integrations.bank.protocol import BankAdapter
from integrations.bank.resilience import RetryPolicy

FRESHNESS = Freshness(fresh_seconds=60, keep_seconds=14 * 86_400, retry_seconds=0.3)


class CountingBank:
    """The bank, counting how often its products are asked for; `gate` holds the answer."""

    def __init__(self, bank: BankAdapter) -> None:
        self.bank = bank
        self.calls = 0
        self.gate = asyncio.Event()
        self.gate.set()

    async def list_products(self) -> list[LoanProduct]:
        self.calls += 1
        await self.gate.wait()
        return await self.bank.list_products()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bank, name)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def counting(bank: BankAdapter) -> CountingBank:
    return CountingBank(bank)


@pytest.fixture
async def unreachable() -> AsyncIterator[HttpBankAdapter]:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = HttpBankAdapter(f"http://127.0.0.1:{port}", "t", retry=RetryPolicy(base_delay=0.01))
    yield adapter
    await adapter.aclose()


@pytest.fixture
async def second_redis(redis_client: Callable[[], Redis]) -> AsyncIterator[Redis]:
    """Another process's connection to the same Redis."""
    client = redis_client()
    yield client
    await client.aclose()


def reference(redis: Redis, bank: Any, clock: Callable[[], float]) -> ReferenceData:
    return ReferenceData(redis, bank, FRESHNESS, now=clock)


async def eventually(condition: Callable[[], Any], timeout: float = 5) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.02)


async def test_a_fresh_copy_is_used_by_every_process_without_asking_the_bank(
    redis: Redis, second_redis: Redis, counting: CountingBank
) -> None:
    clock = Clock()
    first = await reference(redis, counting, clock).catalogue()
    clock.now += 59
    again = await reference(second_redis, counting, clock).catalogue()
    assert counting.calls == 1
    assert again == first and first.products and first.districts and first.industries
    assert await redis.ttl(REFERENCE.copy) > 13 * 86_400  # kept for days, not a minute


async def test_a_stale_copy_is_used_at_once_and_refreshed_in_the_background(
    redis: Redis, counting: CountingBank
) -> None:
    clock = Clock()
    data = reference(redis, counting, clock)
    first = await data.catalogue()
    clock.now += 61
    counting.gate.clear()  # the bank is slow: the step must not wait for it
    stale = await asyncio.wait_for(data.catalogue(), timeout=1)
    assert stale.fetched_at == first.fetched_at
    counting.gate.set()

    async def refreshed() -> bool:
        return (await data.catalogue()).fetched_at == clock.now

    await eventually(refreshed)
    assert counting.calls == 2


async def test_one_refresher_at_a_time_across_processes(
    redis: Redis, second_redis: Redis, counting: CountingBank
) -> None:
    clock = Clock()
    await reference(redis, counting, clock).catalogue()
    clock.now += 61
    counting.gate.clear()
    one, other = reference(redis, counting, clock), reference(second_redis, counting, clock)
    for _ in range(5):
        await asyncio.gather(one.catalogue(), other.catalogue())

    async def refreshing() -> bool:
        return counting.calls >= 2

    await eventually(refreshing)
    counting.gate.set()

    async def unlocked() -> bool:
        return not await redis.exists(REFERENCE.refreshing)

    await eventually(unlocked)
    assert counting.calls == 2  # the first fetch and a single refresh


async def test_never_a_copy_and_the_bank_unreachable_says_so(
    redis: Redis, unreachable: HttpBankAdapter
) -> None:
    with pytest.raises(BankNotAnswering):
        await reference(redis, unreachable, Clock()).catalogue()
    assert not await redis.exists(REFERENCE.copy)


async def test_a_stale_copy_serves_while_the_bank_is_unreachable(
    redis: Redis, bank: BankAdapter, unreachable: HttpBankAdapter
) -> None:
    clock = Clock()
    first = await reference(redis, bank, clock).catalogue()
    clock.now += 3 * 86_400  # days later, the bank gone
    down = CountingBank(unreachable)
    data = reference(redis, down, clock)
    assert await data.catalogue() == first  # at once; the refresh in the background fails
    retry_ms = FRESHNESS.retry_seconds * 1000

    async def refresh_failed() -> bool:
        return down.calls == 1 and 0 < await redis.pttl(REFERENCE.refreshing) <= retry_ms

    await eventually(refresh_failed)
    assert not await data.refresh()  # within retry_seconds of a failure: not asked again
    assert down.calls == 1
    await asyncio.sleep(FRESHNESS.retry_seconds + 0.1)
    assert not await data.refresh()
    assert down.calls == 2
    assert await data.catalogue() == first


async def test_a_copy_cached_before_names_per_language_still_loads_and_is_refreshed(
    redis: Redis, bank: BankAdapter
) -> None:
    clock = Clock()
    current = (await reference(redis, bank, clock).catalogue()).model_dump(mode="json")
    for item in [*current["districts"], *current["industries"]]:
        del item["names"]  # as the bot cached it before the bank sent them
    await redis.set(REFERENCE.copy, json.dumps(current))

    data = reference(redis, bank, clock)
    old = await data.catalogue()
    catering = next(item for item in old.industries if item.code == "catering")
    assert (catering.name_in("en"), catering.name_in("ru")) == ("餐饮", "餐饮")

    clock.now += 61

    async def named() -> bool:
        copy = await data.catalogue()
        return [i.name_in("en") for i in copy.industries if i.code == "catering"] == ["Catering"]

    await eventually(named)
