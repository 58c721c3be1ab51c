"""Conformance: payoff quotes and repayments of every kind follow the repayment rules, close
the loan at zero, keep the ledger balanced and the principal exact, and post once per key."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain import repayment as rules
from integrations.bank.errors import InvalidRequest
from integrations.bank.models import (
    Loan,
    LoanStatus,
    Prepayment,
    RepaymentKind,
    RepaymentRequest,
    RepaymentTerms,
)
from integrations.bank.repayment_rules import position_of
from integrations.bank.sandbox import admin

from .support import BankWorld, bank_world, ledger_problems
from .test_conformance import fund_merchant, merchant_balance, new_key


async def terms_of(world: BankWorld, loan: Loan) -> RepaymentTerms:
    products = {product.code: product for product in await world.adapter.list_products()}
    return products[loan.product_code].repayment


async def local_today(world: BankWorld) -> date:
    return (await world.adapter.payoff_quote(world.seeded.merchant_loan_id)).on


def loan_ledger_fen(db_path: Path, loan_id: str) -> int:
    connection = sqlite3.connect(db_path)
    try:
        row = connection.execute(
            "SELECT SUM(p.amount_fen) FROM postings p JOIN loans l"
            " ON l.ledger_account_id = p.account_id WHERE l.id = ?",
            (loan_id,),
        ).fetchone()
    finally:
        connection.close()
    return int(row[0] or 0)


async def test_payoff_on_every_date_of_the_schedule_is_the_rule(bank: BankWorld) -> None:
    loan = await bank.adapter.get_loan(bank.seeded.merchant_loan_id)
    day = await local_today(bank)
    position = position_of(loan, await terms_of(bank, loan), day)
    assert loan.payoff_amount == rules.payoff_quote(position, day).total
    due_dates = {item.due_date for item in loan.schedule}
    last = loan.schedule[-1].due_date
    for offset in range((last - day).days + 1):
        on = day + timedelta(days=offset)
        if offset % 5 and on not in due_dates:
            continue
        quote = await bank.adapter.payoff_quote(loan.id, on)
        expected = rules.payoff_quote(position, on)
        assert (quote.amount, quote.principal, quote.interest, quote.overdue) == (
            expected.total, expected.principal, expected.interest, expected.overdue,
        )  # fmt: skip
        assert (
            quote.amount
            == quote.overdue + quote.principal + quote.interest + quote.fees + quote.penalty
        )
    first_due = loan.next_due
    assert first_due is not None
    on_due = await bank.adapter.payoff_quote(loan.id, first_due.due_date)
    row = next(item for item in loan.schedule if item.number == first_due.installment_number)
    assert on_due.amount == loan.outstanding_principal + row.interest


async def test_a_payoff_quote_for_a_past_date_or_a_bad_date_is_refused(bank: BankWorld) -> None:
    day = await local_today(bank)
    with pytest.raises(InvalidRequest):
        await bank.adapter.payoff_quote(bank.seeded.merchant_loan_id, day - timedelta(days=1))


async def test_a_payoff_early_in_the_term_charges_principal_and_interest_to_today(
    bank: BankWorld,
) -> None:
    loan = await bank.adapter.get_loan(bank.seeded.merchant_loan_id)
    quote = await bank.adapter.payoff_quote(loan.id)
    unpaid = sum(item.total - item.paid for item in loan.schedule)
    assert quote.principal == loan.outstanding_principal
    assert quote.amount < unpaid  # future interest is not charged
    await fund_merchant(bank, str(quote.amount))
    request = RepaymentRequest(
        customer_id=bank.seeded.merchant_id, loan_id=loan.id, kind=RepaymentKind.PAYOFF,
        amount=quote.amount,
    )  # fmt: skip
    receipt = await bank.adapter.repay_loan(request, idempotency_key=new_key())
    closed = await bank.adapter.get_loan(loan.id)
    assert receipt.amount == quote.amount
    assert receipt.repayment is not None and receipt.repayment.loan_closed
    assert receipt.repayment.interest_saved == unpaid - quote.amount
    assert (closed.status, closed.outstanding_principal, closed.payoff_amount) == (
        LoanStatus.CLOSED, 0, 0,
    )  # fmt: skip
    assert loan_ledger_fen(bank.db_path, loan.id) == 0
    assert ledger_problems(bank.db_path) == []


async def test_a_payoff_of_a_stale_amount_is_refused(bank: BankWorld) -> None:
    loan = await bank.adapter.get_loan(bank.seeded.merchant_loan_id)
    request = RepaymentRequest(
        customer_id=bank.seeded.merchant_id, loan_id=loan.id, kind=RepaymentKind.PAYOFF,
        amount=loan.payoff_amount + 1,
    )  # fmt: skip
    with pytest.raises(InvalidRequest):
        await bank.adapter.repay_loan(request, idempotency_key=new_key())


async def test_an_overdue_loan_is_paid_off_with_its_overdue_installments(bank: BankWorld) -> None:
    loan = await bank.adapter.get_loan(bank.seeded.overdue_loan_id)
    quote = await bank.adapter.payoff_quote(loan.id)
    overdue = [item for item in loan.schedule if item.status == "overdue"]
    assert quote.overdue == sum(item.total - item.paid for item in overdue) > 0
    [account] = await bank.adapter.list_accounts(loan.customer_id)
    await bank.admin(
        lambda connection, context: admin.deposit(connection, context, account.id, quote.amount)
    )
    request = RepaymentRequest(
        customer_id=loan.customer_id, loan_id=loan.id, kind=RepaymentKind.PAYOFF
    )
    receipt = await bank.adapter.repay_loan(request, idempotency_key=new_key())
    assert receipt.amount == quote.amount
    assert (await bank.adapter.get_loan(loan.id)).status is LoanStatus.CLOSED


async def test_the_same_key_twice_posts_one_prepayment(bank: BankWorld) -> None:
    loan = await bank.adapter.get_loan(bank.seeded.merchant_loan_id)
    assert loan.next_due is not None
    await fund_merchant(bank, "10000")
    before = await merchant_balance(bank)
    request = RepaymentRequest(
        customer_id=bank.seeded.merchant_id, loan_id=loan.id, kind=RepaymentKind.PARTIAL,
        amount=loan.next_due.amount + 5000, prepayment=Prepayment.REDUCE_INSTALLMENT,
    )  # fmt: skip
    key = new_key()
    first, second = await asyncio.gather(
        bank.adapter.repay_loan(request, idempotency_key=key),
        bank.adapter.repay_loan(request, idempotency_key=key),
    )
    assert first == second
    assert await merchant_balance(bank) == before - request.amount  # type: ignore[operator]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    payments=st.lists(
        st.tuples(
            st.integers(0, 45),
            st.integers(1, 800_000),
            st.sampled_from(list(Prepayment)),
        ),
        min_size=1,
        max_size=4,
    ),
    kind=st.sampled_from(["sandbox", "http"]),
)
def test_partial_prepayments_keep_the_ledger_balanced_and_the_principal_exact(
    payments: list[tuple[int, int, Prepayment]], kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    async def check() -> None:
        db_path = tmp_path_factory.mktemp("bank") / "bank.db"
        async with bank_world(kind, db_path) as world:
            await fund_merchant(world, "100000")
            for days, cents, prepayment in payments:
                world.clock.advance(timedelta(days=days))
                await prepay(world, db_path, Decimal(cents) / 100, prepayment)
            assert ledger_problems(db_path) == []

    asyncio.run(check())


async def prepay(world: BankWorld, db_path: Path, extra: Decimal, prepayment: Prepayment) -> None:
    loan = await world.adapter.get_loan(world.seeded.merchant_loan_id)
    if loan.status is LoanStatus.CLOSED or loan.next_due is None:
        return
    due = rules.installment_amount(
        position_of(loan, await terms_of(world, loan), await local_today(world)),
        await local_today(world),
    )
    amount = due + extra
    request = RepaymentRequest(
        customer_id=loan.customer_id, loan_id=loan.id, kind=RepaymentKind.PARTIAL, amount=amount,
        prepayment=prepayment,
    )  # fmt: skip
    try:
        receipt = await world.adapter.repay_loan(request, idempotency_key=new_key())
    except InvalidRequest:
        assert (
            amount >= loan.payoff_amount
            or len([i for i in loan.schedule if i.status != "paid"]) < 2
        )
        return
    assert receipt.repayment is not None
    schedule = receipt.repayment.schedule
    assert schedule == (await world.adapter.get_loan(loan.id)).schedule
    assert sum(item.principal for item in schedule) == loan.principal
    assert len(schedule) <= len(loan.schedule)
    after = await world.adapter.get_loan(loan.id)
    assert (
        after.outstanding_principal
        == loan.outstanding_principal - receipt.repayment.allocation.principal
    )
    assert -loan_ledger_fen(db_path, loan.id) == int(after.outstanding_principal * 100)
    for item in schedule:
        assert item.principal >= 0 and item.interest >= 0
