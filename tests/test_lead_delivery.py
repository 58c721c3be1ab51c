"""Lead delivery while the bank is down: one probe at a time across processes, every waiting
lead at once when it answers again, and a consumer group that Redis lost is made again."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.demo.driver import ChatDriver
from bot.factory import App
from bot.redis_keys import LEAD_OUTBOX
from bot.services.lead_outbox import (
    LEAD_BACKOFF,
    PROBE_MS,
    LeadDelivery,
    LeadMessenger,
    LeadOutbox,
    OutboxEntry,
)
from bot.supervision import Backoff
from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.models import Lead, LeadSubmission, RepaymentMethod
from integrations.bank.protocol import BankAdapter
from integrations.bank.resilience import RetryPolicy


class SwitchedBank:
    """The bank behind a switch: `down` sends the calls to a port nobody listens on."""

    def __init__(self, bank: BankAdapter, unreachable: BankAdapter) -> None:
        self.bank = bank
        self.unreachable = unreachable
        self.down = True
        self.submissions = 0

    async def submit_lead(self, submission: LeadSubmission, *, idempotency_key: str) -> Lead:
        self.submissions += 1
        target = self.unreachable if self.down else self.bank
        return await target.submit_lead(submission, idempotency_key=idempotency_key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unreachable if self.down else self.bank, name)


@pytest.fixture
async def switched(bank: BankAdapter) -> AsyncIterator[SwitchedBank]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = HttpBankAdapter(f"http://127.0.0.1:{port}", "t", retry=RetryPolicy(attempts=1))
    yield SwitchedBank(bank, unreachable)
    await unreachable.aclose()


def entry(number: int) -> OutboxEntry:
    submission = LeadSubmission(
        applicant_name=f"Merchant {number}",
        phone=f"+86138800003{number:02d}",
        district_code="JINNIU",
        industry_code="retail",
        amount=Decimal("50000"),
        term_months=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
    )
    return OutboxEntry(f"lead-test-{number}", 6000 + number, "en", submission)


def messenger_for(app: App) -> LeadMessenger:
    return app.services.lead_messenger


async def test_while_the_bank_is_down_one_process_probes_with_one_lead_then_all_go(
    redis: Redis,
    redis_client: Callable[[], Redis],
    switched: SwitchedBank,
    driver: ChatDriver,
    app: App,
) -> None:
    outbox = LeadOutbox(redis)
    for number in range(3):
        await outbox.enqueue(entry(number))
    other_redis = redis_client()
    one = LeadDelivery(redis, switched, consumer="worker-1", backoff=Backoff(first_delay=0))  # type: ignore[arg-type]
    other = LeadDelivery(other_redis, switched, consumer="worker-2", backoff=Backoff(first_delay=0))  # type: ignore[arg-type]
    messenger = messenger_for(app)
    assert await one.deliver_new(messenger) == 0
    assert switched.submissions == 3 and await one.bank_down() and await other.bank_down()

    assert await one.retry_due(messenger) == 0
    assert await other.retry_due(messenger) == 0
    assert switched.submissions == 4  # one probe with one lead, not three leads twice

    switched.down = False
    await asyncio.sleep(PROBE_MS / 1000 + 0.1)
    assert await other.retry_due(messenger) == 3  # the probe got through, the others follow
    assert switched.submissions == 7
    assert not await one.bank_down()
    assert await redis.xlen(LEAD_OUTBOX.stream) == 0
    await other_redis.aclose()


async def test_a_consumer_group_lost_with_the_redis_data_is_made_again(
    redis: Redis, bank: BankAdapter, driver: ChatDriver, app: App
) -> None:
    delivery = LeadDelivery(redis, bank, consumer="worker-1")
    outbox = LeadOutbox(redis)
    messenger = messenger_for(app)
    await outbox.enqueue(entry(1))
    assert await delivery.deliver_new(messenger) == 1
    await redis.flushdb()  # Redis emptied (a restart without persistence, a failover)
    await outbox.enqueue(entry(2))
    assert await delivery.retry_due(messenger) == 0
    assert await delivery.deliver_new(messenger) == 1


def test_the_backoff_between_tries_of_one_lead_is_capped_at_30_seconds() -> None:
    assert [LEAD_BACKOFF.delay(n) for n in (1, 2, 3, 5, 6, 20)] == [1, 2, 4, 16, 30, 30]
