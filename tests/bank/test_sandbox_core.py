"""The sandbox core itself: the stand-in schedule, routing order, classification, masking,
seed data that holds for any clock, and two connections on one file."""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from threading import Barrier

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from integrations.bank.masking import mask_account, mask_phone
from integrations.bank.models import LoanClassification, TransferRequest
from integrations.bank.sandbox import SandboxBank
from integrations.bank.sandbox._schedule import add_months, equal_installments
from integrations.bank.sandbox.accounts import list_accounts
from integrations.bank.sandbox.loans import classify, get_loan
from integrations.bank.sandbox.routing import OfficerLoad, choose_officer
from integrations.bank.sandbox.seed import PAYEE_ALIAS, seed
from integrations.sms.outbound import RecordingSmsSender

from .support import START, ledger_problems, open_sandbox


def test_equal_installments_repay_the_principal_with_level_payments() -> None:
    schedule = equal_installments(3_000_000, Decimal("12"), 12, date(2025, 1, 31))
    totals = [item.principal_fen + item.interest_fen for item in schedule]

    assert sum(item.principal_fen for item in schedule) == 3_000_000
    assert schedule[0].interest_fen == 30_000  # 1% of 30,000.00 CNY
    assert set(totals[:-1]) == {266_546}  # 2,665.46 CNY a month
    assert abs(totals[-1] - totals[0]) <= 12
    assert [item.due_date for item in schedule[:2]] == [date(2025, 2, 28), date(2025, 3, 31)]


@given(
    principal=st.integers(min_value=500_000, max_value=50_000_000),
    rate=st.decimals(min_value=0, max_value=36, places=2),
    months=st.integers(min_value=1, max_value=24),
)
def test_any_schedule_repays_exactly_the_principal(
    principal: int, rate: Decimal, months: int
) -> None:
    schedule = equal_installments(principal, rate, months, date(2025, 1, 15))

    assert sum(item.principal_fen for item in schedule) == principal
    assert all(item.principal_fen >= 0 and item.interest_fen >= 0 for item in schedule)


def test_add_months_keeps_the_day_or_takes_the_last_one() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 3) == date(2025, 2, 15)


def load(
    officer_id: str, team: str = "RETAIL", leads: int = 0, on_duty: bool = True
) -> OfficerLoad:
    return OfficerLoad(officer_id, "CD-N", team, on_duty, leads)


def test_routing_prefers_team_then_load_then_id() -> None:
    officers = [load("B", leads=1), load("A", leads=1), load("C", "FOOD", leads=0)]

    assert choose_officer(officers, "CD-N", "RETAIL") == "A"
    assert choose_officer(officers, "CD-N", "FOOD") == "C"
    assert choose_officer(officers, "CD-N", "RETAIL", exclude={"A", "B"}) == "C"
    assert choose_officer(officers, "CD-S", "RETAIL") is None
    assert choose_officer([load("A", on_duty=False)], "CD-N", "RETAIL") is None


@pytest.mark.parametrize(
    ("days", "classification"),
    [
        (0, LoanClassification.NORMAL),
        (1, LoanClassification.SPECIAL_MENTION),
        (90, LoanClassification.SPECIAL_MENTION),
        (91, LoanClassification.SUBSTANDARD),
        (181, LoanClassification.DOUBTFUL),
        (361, LoanClassification.LOSS),
    ],
)
def test_five_level_classification_by_days_overdue(
    days: int, classification: LoanClassification
) -> None:
    assert classify(days) == classification


def test_masks_keep_only_the_last_four_digits() -> None:
    assert mask_account("6222020200000001") == "****0001"
    assert mask_phone("+8613800000001") == "+86*******0001"


@settings(max_examples=15, deadline=None)
@given(day=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
def test_seed_data_fits_the_story_on_any_day(
    tmp_path_factory: pytest.TempPathFactory, day: date
) -> None:
    now = datetime(day.year, day.month, day.day, 2, tzinfo=UTC)
    db_path: Path = tmp_path_factory.mktemp("seed") / "bank.db"
    bank = SandboxBank(str(db_path), clock=lambda: now, sms=RecordingSmsSender())
    world = bank.run_blocking(seed)
    merchant_loan = bank.run_blocking(partial(get_loan, loan_id=world.merchant_loan_id))
    overdue_loan = bank.run_blocking(partial(get_loan, loan_id=world.overdue_loan_id))
    [account] = bank.run_blocking(
        lambda connection, _: list_accounts(connection, world.merchant_id)
    )
    asyncio.run(bank.aclose())

    assert merchant_loan.next_due is not None
    assert timedelta(0) < merchant_loan.next_due.due_date - day <= timedelta(days=31)
    assert merchant_loan.days_overdue == 0
    assert 30 <= overdue_loan.days_overdue < 90
    assert Decimal(1000) < account.available_balance < Decimal(10000)


def transfer_in_another_process(
    db_path: str, customer_id: str, start_together: Barrier, attempts: int
) -> set[str]:
    async def send() -> set[str]:
        bank = SandboxBank(db_path, clock=lambda: START, sms=RecordingSmsSender())
        request = TransferRequest(customer_id=customer_id, destination=PAYEE_ALIAS, amount=1)
        start_together.wait()
        receipts = [await bank.transfer(request, idempotency_key="shared") for _ in range(attempts)]
        await bank.aclose()
        return {receipt.id for receipt in receipts}

    return asyncio.run(send())


async def test_processes_sharing_the_file_post_a_keyed_transfer_once(tmp_path: Path) -> None:
    """Four processes send the same keyed transfer at once; IMMEDIATE transactions keep the
    idempotency check and the posting together across connections."""
    db_path = tmp_path / "bank.db"
    sandbox, world, _clock, _sms = await open_sandbox(db_path)
    before = (await sandbox.list_accounts(world.merchant_id))[0].available_balance
    spawn = multiprocessing.get_context("spawn")
    with spawn.Manager() as manager, ProcessPoolExecutor(4, mp_context=spawn) as processes:
        send = partial(
            transfer_in_another_process, str(db_path), world.merchant_id, manager.Barrier(4), 5
        )
        receipt_ids = await asyncio.gather(
            *(asyncio.wrap_future(processes.submit(send)) for _ in range(4))
        )
    after = (await sandbox.list_accounts(world.merchant_id))[0].available_balance
    await sandbox.aclose()

    assert len(set().union(*receipt_ids)) == 1
    assert after == before - Decimal("1")
    assert ledger_problems(db_path) == []
