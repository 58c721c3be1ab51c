"""The adapter conformance suite: every BankAdapter (the sandbox in-process, the HTTP adapter
against `sandbox serve`) must pass it. The `bank` fixture is parametrized over adapters."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import Coroutine
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import pytest
from committee_support import approve_by_committee
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from integrations.bank.errors import (
    AccountClosed,
    AlreadyClaimed,
    BankError,
    CodeExpired,
    Forbidden,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidCode,
    InvalidRequest,
    InvalidState,
    LimitExceeded,
    NotFound,
    TooManyAttempts,
    UnknownPayee,
    error_from_problem,
)
from integrations.bank.models import (
    BillPaymentRequest,
    BindingRole,
    BindingStart,
    ConsentPurpose,
    ConsentRequest,
    DisbursementRequest,
    InstallmentStatus,
    Lead,
    LeadStatus,
    LeadSubmission,
    LoanClassification,
    LoanDisbursed,
    LoanDue,
    LoanOverdue,
    LoanStatus,
    OperationIntent,
    OperationKind,
    OperationState,
    PaymentPosted,
    Prepayment,
    Receipt,
    RepaymentKind,
    RepaymentMethod,
    RepaymentRequest,
    RetainedRecord,
    StatusUpdate,
    TaskKind,
    TopUpRequest,
    TransferRequest,
    VisitBooking,
)
from integrations.bank.sandbox import admin
from integrations.bank.sandbox.seed import (
    ELECTRICITY_BILL_ACCOUNT,
    FOOD_TEAM,
    MERCHANT_PHONE,
    NEW_PAYEE_ALIAS,
    NEWCOMER_PHONE,
    NORTH,
    OFFICER_STAFF_CODE,
    PAYEE_ACCOUNT,
    PAYEE_ALIAS,
    RETAIL_TEAM,
    SOUTH,
    SUPERVISOR_STAFF_CODE,
)

from .support import ADAPTER_KINDS, BankWorld, bank_world, gather_outcomes, ledger_problems

T = TypeVar("T")


def new_key() -> str:
    return uuid.uuid4().hex


def transfer(world: BankWorld, amount: str, destination: str = PAYEE_ALIAS) -> TransferRequest:
    return TransferRequest(
        customer_id=world.seeded.merchant_id, destination=destination, amount=Decimal(amount)
    )


async def merchant_balance(world: BankWorld) -> Decimal:
    accounts = await world.adapter.list_accounts(world.seeded.merchant_id)
    return accounts[0].available_balance


async def fund_merchant(world: BankWorld, amount: str) -> None:
    await world.admin(
        lambda connection, context: admin.deposit(
            connection, context, world.seeded.merchant_account_id, Decimal(amount)
        )
    )


async def add_officer(
    world: BankWorld, code: str, territory: str, team: str, on_duty: bool = True
) -> str:
    return await world.admin(
        lambda connection, _context: admin.add_officer(
            connection, staff_code=code, name=f"经理{code}", phone="+8613900000000",
            territory_code=territory, team_code=team, on_duty=on_duty,
            supervisor_id=world.seeded.supervisor_id,
        )
    )  # fmt: skip


def application(
    phone: str = NEWCOMER_PHONE,
    district: str = "JINNIU",
    industry: str = "retail",
    amount: str = "50000",
) -> LeadSubmission:
    return LeadSubmission(
        applicant_name="孙新",
        phone=phone,
        district_code=district,
        industry_code=industry,
        amount=Decimal(amount),
        term_months=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        purpose="进货",
        flags=["phone_region_mismatch"],
        details={"monthly_sales": "80000"},
    )


async def submit(world: BankWorld, **fields: str) -> Lead:
    return await world.adapter.submit_lead(application(**fields), idempotency_key=new_key())


# --- idempotency ---------------------------------------------------------------------------------


async def test_same_transfer_sent_20_times_concurrently_posts_once(bank: BankWorld) -> None:
    before = await merchant_balance(bank)
    request, key = transfer(bank, "100.00"), new_key()

    receipts = await asyncio.gather(
        *(bank.adapter.transfer(request, idempotency_key=key) for _ in range(20))
    )

    assert {receipt.id for receipt in receipts} == {receipts[0].id}
    assert await merchant_balance(bank) == before - Decimal("100.00")
    statement = await bank.adapter.list_transactions(
        bank.seeded.merchant_id, bank.seeded.merchant_account_id, limit=2
    )
    assert [item.id for item in statement.items] == [receipts[0].id, statement.items[1].id]
    assert statement.items[1].id != receipts[0].id
    assert ledger_problems(bank.db_path) == []


async def test_a_key_reused_for_a_different_request_is_a_conflict(bank: BankWorld) -> None:
    key = new_key()
    await bank.adapter.transfer(transfer(bank, "100.00"), idempotency_key=key)

    with pytest.raises(IdempotencyConflict):
        await bank.adapter.transfer(transfer(bank, "100.01"), idempotency_key=key)
    with pytest.raises(IdempotencyConflict):
        await bank.adapter.submit_lead(application(), idempotency_key=key)


async def test_the_same_lead_submitted_twice_is_one_lead(bank: BankWorld) -> None:
    key = new_key()
    first = await bank.adapter.submit_lead(application(), idempotency_key=key)
    again = await bank.adapter.submit_lead(application(), idempotency_key=key)

    assert again.id == first.id
    queue = await bank.adapter.list_officer_queue(bank.seeded.officer_id)
    assert [lead.id for lead in queue] == [first.id]


# --- the status of an operation, for an answer lost on the way ---------------------------------


async def test_the_status_of_a_posted_payment_is_its_receipt(bank: BankWorld) -> None:
    key = new_key()
    receipt = await bank.adapter.transfer(transfer(bank, "10.00"), idempotency_key=key)

    status = await bank.adapter.operation_status(key)

    assert (status.state, status.receipt, status.refusal) == (OperationState.POSTED, receipt, None)
    assert await bank.adapter.operation_status(key) == status


async def test_an_unknown_key_is_unknown_and_closed_for_good(bank: BankWorld) -> None:
    before, key = await merchant_balance(bank), new_key()

    status = await bank.adapter.operation_status(key)
    assert (status.state, status.receipt) == (OperationState.UNKNOWN, None)
    with pytest.raises(InvalidState):  # a request that arrives late can no longer post
        await bank.adapter.transfer(transfer(bank, "10.00"), idempotency_key=key)

    assert await merchant_balance(bank) == before
    assert (await bank.adapter.operation_status(key)).state is OperationState.UNKNOWN
    assert ledger_problems(bank.db_path) == []


async def test_a_refused_payment_has_the_refusal_as_its_status(bank: BankWorld) -> None:
    before, key = await merchant_balance(bank), new_key()
    with pytest.raises(InsufficientFunds):
        await bank.adapter.transfer(transfer(bank, "6000.00"), idempotency_key=key)

    status = await bank.adapter.operation_status(key)

    assert status.state is OperationState.REFUSED and status.refusal is not None
    refusal = error_from_problem(status.refusal.model_dump())
    assert isinstance(refusal, InsufficientFunds) and refusal.available == before
    assert await merchant_balance(bank) == before


async def test_a_refused_key_may_post_once_the_cause_is_fixed(bank: BankWorld) -> None:
    key = new_key()
    with pytest.raises(InsufficientFunds):
        await bank.adapter.transfer(transfer(bank, "6000.00"), idempotency_key=key)
    await fund_merchant(bank, "1000")

    receipt = await bank.adapter.transfer(transfer(bank, "6000.00"), idempotency_key=key)

    assert (await bank.adapter.operation_status(key)).receipt == receipt


async def test_the_status_of_a_lead_key_is_not_a_payment(bank: BankWorld) -> None:
    key = new_key()
    await bank.adapter.submit_lead(application(), idempotency_key=key)

    with pytest.raises(InvalidRequest):
        await bank.adapter.operation_status(key)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.text(
        alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=200
    )
)
def test_any_printable_key_has_a_status(key: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    async def check() -> None:
        async with bank_world("http", tmp_path_factory.mktemp("bank") / "bank.db") as world:
            status = await world.adapter.operation_status(key)
            assert status.state is OperationState.UNKNOWN and status.idempotency_key == key

    asyncio.run(check())


# --- payments, limits and typed refusals ---------------------------------------------------------


async def test_transfer_bill_and_top_up_move_money_and_return_receipts(bank: BankWorld) -> None:
    before = await merchant_balance(bank)
    check = await bank.adapter.check_payee(bank.seeded.merchant_id, PAYEE_ALIAS)
    moved = await bank.adapter.transfer(transfer(bank, "12.34"), idempotency_key=new_key())
    bill = await bank.adapter.pay_bill(
        BillPaymentRequest(
            customer_id=bank.seeded.merchant_id, biller_code="电费",
            bill_account=ELECTRICITY_BILL_ACCOUNT, amount=Decimal("100"),
        ),
        idempotency_key=new_key(),
    )  # fmt: skip
    top_up = await bank.adapter.top_up(
        TopUpRequest(customer_id=bank.seeded.merchant_id, phone=MERCHANT_PHONE, amount=Decimal(50)),
        idempotency_key=new_key(),
    )

    assert (check.registered_name, check.masked_account, check.first_payment) == (
        "张三", "****1234", False,
    )  # fmt: skip
    assert moved.counterparty == "张三 ****1234"
    assert "****4567" in bill.counterparty
    assert top_up.balance_after == before - Decimal("162.34") == await merchant_balance(bank)
    assert ledger_problems(bank.db_path) == []


async def test_insufficient_funds_is_typed_and_posts_nothing(bank: BankWorld) -> None:
    before = await merchant_balance(bank)

    with pytest.raises(InsufficientFunds) as refused:
        await bank.adapter.transfer(transfer(bank, "6000.00"), idempotency_key=new_key())

    assert refused.value.available == before
    assert await merchant_balance(bank) == before


async def test_limit_per_transaction_names_the_remaining_allowance(bank: BankWorld) -> None:
    await fund_merchant(bank, "200000")

    with pytest.raises(LimitExceeded) as refused:
        await bank.adapter.transfer(transfer(bank, "50000.01"), idempotency_key=new_key())

    assert refused.value.limit_kind == "per_transaction"
    assert (refused.value.limit, refused.value.remaining) == (Decimal(50000), Decimal(50000))


async def test_first_payment_to_a_new_payee_has_the_lower_limit(bank: BankWorld) -> None:
    await fund_merchant(bank, "20000")
    check = await bank.adapter.check_payee(bank.seeded.merchant_id, NEW_PAYEE_ALIAS)

    with pytest.raises(LimitExceeded) as refused:
        await bank.adapter.transfer(
            transfer(bank, "6000", NEW_PAYEE_ALIAS), idempotency_key=new_key()
        )
    await bank.adapter.transfer(transfer(bank, "5000", NEW_PAYEE_ALIAS), idempotency_key=new_key())
    await bank.adapter.transfer(transfer(bank, "6000", NEW_PAYEE_ALIAS), idempotency_key=new_key())

    assert check.first_payment is True
    assert refused.value.limit_kind == "new_payee"
    assert refused.value.remaining == Decimal(5000)


async def test_daily_limit_resets_the_next_local_day(bank: BankWorld) -> None:
    await fund_merchant(bank, "300000")
    for _ in range(2):
        await bank.adapter.transfer(transfer(bank, "50000"), idempotency_key=new_key())

    with pytest.raises(LimitExceeded) as refused:
        await bank.adapter.transfer(transfer(bank, "0.01"), idempotency_key=new_key())
    limits = await bank.adapter.get_limits(bank.seeded.merchant_id)
    bank.clock.advance(timedelta(days=1))
    await bank.adapter.transfer(transfer(bank, "0.01"), idempotency_key=new_key())

    assert (refused.value.limit_kind, refused.value.remaining) == ("daily", Decimal(0))
    assert limits.daily_remaining == Decimal(0)


async def test_monthly_limit_counts_the_whole_local_month(bank: BankWorld) -> None:
    await fund_merchant(bank, "400000")
    for _day in range(3):
        for _ in range(2):
            await bank.adapter.transfer(transfer(bank, "50000"), idempotency_key=new_key())
        bank.clock.advance(timedelta(days=1))

    with pytest.raises(LimitExceeded) as refused:
        await bank.adapter.transfer(transfer(bank, "1"), idempotency_key=new_key())

    assert (refused.value.limit_kind, refused.value.remaining) == ("monthly", Decimal(0))


async def test_unknown_payee_and_closed_account_are_typed(bank: BankWorld) -> None:
    with pytest.raises(UnknownPayee):
        await bank.adapter.transfer(transfer(bank, "1", "王五"), idempotency_key=new_key())
    with pytest.raises(UnknownPayee):
        await bank.adapter.check_payee(bank.seeded.merchant_id, "6217000099999999")
    await bank.admin(
        lambda connection, _: admin.close_account(connection, bank.seeded.merchant_account_id)
    )
    with pytest.raises(AccountClosed):
        await bank.adapter.transfer(transfer(bank, "1"), idempotency_key=new_key())


async def test_a_bill_account_of_the_wrong_form_is_refused(bank: BankWorld) -> None:
    request = BillPaymentRequest(
        customer_id=bank.seeded.merchant_id, biller_code="ELEC", bill_account="12ab",
        amount=Decimal("1"),
    )  # fmt: skip
    with pytest.raises(InvalidRequest):
        await bank.adapter.pay_bill(request, idempotency_key=new_key())


# --- loans and repayment -------------------------------------------------------------------------


async def test_merchant_has_a_payment_due_within_the_month(bank: BankWorld) -> None:
    [loan] = await bank.adapter.list_loans(bank.seeded.merchant_id)

    assert loan.next_due is not None
    assert 0 < (loan.next_due.due_date - bank.clock.now.date()).days <= 31
    assert (loan.days_overdue, loan.classification) == (0, LoanClassification.NORMAL)
    assert loan.schedule[0].status == InstallmentStatus.PAID
    assert loan.masked_account.startswith("****")


async def test_the_second_customer_is_overdue_and_classified(bank: BankWorld) -> None:
    loan = await bank.adapter.get_loan(bank.seeded.overdue_loan_id)

    assert 30 < loan.days_overdue < 90
    assert loan.classification == LoanClassification.SPECIAL_MENTION
    assert [item.status for item in loan.schedule[:4]] == [
        InstallmentStatus.PAID, InstallmentStatus.PAID,
        InstallmentStatus.OVERDUE, InstallmentStatus.OVERDUE,
    ]  # fmt: skip


async def test_loans_looked_up_together_come_in_order_without_the_unknown(
    bank: BankWorld,
) -> None:
    ids = [bank.seeded.overdue_loan_id, "LN999999", bank.seeded.merchant_loan_id]

    loans = await bank.adapter.get_loans(ids)

    assert [loan.id for loan in loans] == [ids[0], ids[2]]
    assert loans[0] == await bank.adapter.get_loan(ids[0])
    assert await bank.adapter.get_loans([]) == []


async def test_repaying_everything_closes_the_loan(bank: BankWorld) -> None:
    loan = await bank.adapter.get_loan(bank.seeded.merchant_loan_id)
    await fund_merchant(bank, str(loan.payoff_amount))
    request = RepaymentRequest(
        customer_id=bank.seeded.merchant_id, loan_id=loan.id, kind=RepaymentKind.PAYOFF
    )

    receipt = await bank.adapter.repay_loan(request, idempotency_key=new_key())
    closed = await bank.adapter.get_loan(loan.id)

    assert receipt.amount == loan.payoff_amount
    assert (closed.status, closed.payoff_amount, closed.next_due) == (
        LoanStatus.CLOSED, Decimal(0), None,
    )  # fmt: skip
    assert ledger_problems(bank.db_path) == []
    with pytest.raises(InvalidState):
        await bank.adapter.repay_loan(request, idempotency_key=new_key())


async def test_someone_elses_loan_is_not_found(bank: BankWorld) -> None:
    request = RepaymentRequest(
        customer_id=bank.seeded.merchant_id, loan_id=bank.seeded.overdue_loan_id,
        amount=Decimal("10"),
    )  # fmt: skip
    with pytest.raises(NotFound):
        await bank.adapter.repay_loan(request, idempotency_key=new_key())


# --- leads: claim race and routing ---------------------------------------------------------------


async def test_ten_officers_claiming_one_lead_give_one_winner(bank: BankWorld) -> None:
    others = [await add_officer(bank, f"N{n}", NORTH, RETAIL_TEAM) for n in range(9)]
    officers = [bank.seeded.officer_id, *others]
    lead = await submit(bank)

    outcomes = await gather_outcomes(
        *(bank.adapter.claim_lead(lead.id, officer_id) for officer_id in officers)
    )

    winners = [outcome for outcome in outcomes if isinstance(outcome, Lead)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, AlreadyClaimed)]
    assert len(winners) == 1 and len(refusals) == 9
    winner = winners[0].officer_id
    assert {refusal.claimed_by for refusal in refusals} == {winner}
    assert {refusal.claimed_by_name for refusal in refusals} == {
        (await bank.adapter.get_officer(str(winner))).name
    }
    assert (await bank.adapter.get_lead(lead.id)).status == LeadStatus.CLAIMED


async def test_leads_go_to_the_territory_of_the_district(bank: BankWorld) -> None:
    north = await submit(bank, district="JINNIU")
    south = await submit(bank, district="WUHOU", industry="catering")

    assert (north.territory_code, north.officer_id) == (NORTH, bank.seeded.officer_id)
    assert (south.territory_code, south.officer_id) == (SOUTH, bank.seeded.officer2_id)
    assert north.status == LeadStatus.ROUTED


async def test_the_industry_team_comes_before_load(bank: BankWorld) -> None:
    food_officer = await add_officer(bank, "F1", NORTH, FOOD_TEAM)
    first = await submit(bank, industry="catering")
    second = await submit(bank, industry="catering")
    retail = await submit(bank, industry="retail")

    assert first.officer_id == second.officer_id == food_officer
    assert retail.officer_id == bank.seeded.officer_id


async def test_the_least_loaded_officer_on_duty_gets_the_lead(bank: BankWorld) -> None:
    second = await add_officer(bank, "N2", NORTH, RETAIL_TEAM)
    await add_officer(bank, "N3", NORTH, RETAIL_TEAM, on_duty=False)
    leads = [await submit(bank) for _ in range(4)]

    owners = [lead.officer_id for lead in leads]
    assert sorted(map(str, owners)) == sorted([bank.seeded.officer_id, second] * 2)


async def test_a_customer_with_an_officer_goes_to_that_officer(bank: BankWorld) -> None:
    zhou_phone = (await bank.adapter.get_customer(bank.seeded.customers_without_loans[0])).phone
    lead = await submit(bank, phone=zhou_phone, district="JINNIU")

    assert lead.territory_code == NORTH
    assert lead.officer_id == bank.seeded.officer2_id
    assert lead.customer_id == bank.seeded.customers_without_loans[0]


async def test_large_amounts_get_a_second_officer(bank: BankWorld) -> None:
    second = await add_officer(bank, "N2", NORTH, RETAIL_TEAM)
    small = await submit(bank, amount="100000")
    large = await submit(bank, amount="150000")

    assert small.co_officer_id is None and not small.joint_investigation
    assert {large.officer_id, large.co_officer_id} == {bank.seeded.officer_id, second}
    assert large.joint_investigation
    queue = await bank.adapter.list_officer_queue(str(large.co_officer_id))
    assert large.id in [lead.id for lead in queue]


async def test_passed_leads_move_on_and_end_with_the_supervisor(bank: BankWorld) -> None:
    second = await add_officer(bank, "N2", NORTH, RETAIL_TEAM)
    lead = await submit(bank)
    first_owner = str(lead.officer_id)

    passed = await bank.adapter.pass_lead(lead.id, first_owner, "客户不在片区")
    next_owner = str(passed.officer_id)
    unassigned = await bank.adapter.pass_lead(lead.id, next_owner, "行业不熟")
    waiting = await bank.adapter.list_unclaimed_leads(bank.seeded.supervisor_id)

    assert {first_owner, next_owner} == {bank.seeded.officer_id, second}
    assert (unassigned.status, unassigned.officer_id) == (LeadStatus.UNASSIGNED, None)
    assert unassigned.passed_by == [first_owner, next_owner]
    assert lead.id in [waiting_lead.id for waiting_lead in waiting]


async def test_supervisor_reassigns_and_others_may_not(bank: BankWorld) -> None:
    lead = await submit(bank)
    second = await add_officer(bank, "N2", NORTH, RETAIL_TEAM)

    moved = await bank.adapter.reassign_lead(lead.id, bank.seeded.supervisor_id, second)
    with pytest.raises(Forbidden):
        await bank.adapter.reassign_lead(lead.id, bank.seeded.officer_id, second)
    with pytest.raises(Forbidden):
        await bank.adapter.list_unclaimed_leads(bank.seeded.officer_id)

    assert (moved.officer_id, moved.status) == (second, LeadStatus.ROUTED)


async def test_an_officer_of_another_territory_cannot_claim(bank: BankWorld) -> None:
    lead = await submit(bank, district="JINNIU")

    with pytest.raises(Forbidden):
        await bank.adapter.claim_lead(lead.id, bank.seeded.officer2_id)


async def test_lead_lifecycle_to_payout_creates_post_loan_work(bank: BankWorld) -> None:
    officer = bank.seeded.officer_id
    lead = await submit(bank)
    feed_start = (await bank.adapter.list_events()).next_cursor
    with pytest.raises(InvalidState):
        await bank.adapter.update_lead_status(
            lead.id, StatusUpdate(officer_id=officer, status=LeadStatus.CONTACTED)
        )
    await bank.adapter.claim_lead(lead.id, officer)
    await bank.adapter.update_lead_status(
        lead.id, StatusUpdate(officer_id=officer, status=LeadStatus.CONTACTED, note="已电话联系")
    )
    visit_at = bank.clock.now + timedelta(days=1)
    booked = await bank.adapter.book_visit(lead.id, VisitBooking(officer_id=officer, at=visit_at))
    await bank.adapter.add_lead_note(lead.id, officer, "店面在金牛区")
    await approve_by_committee(bank.adapter, bank.admin, lead.id, officer)
    payout = DisbursementRequest(officer_id=officer, principal=Decimal(50000), term_months=12)
    loan = await bank.adapter.disburse_loan(lead.id, payout, idempotency_key=new_key())

    assert booked.visit_at == visit_at
    assert (await bank.adapter.get_lead(lead.id)).status == LeadStatus.DISBURSED
    customer = await bank.adapter.find_customer_by_phone(NEWCOMER_PHONE)
    assert (loan.customer_id, customer.officer_id) == (customer.id, officer)
    events = (await bank.adapter.list_events(after=feed_start)).events
    [payout_event] = [event for event in events if isinstance(event, LoanDisbursed)]
    assert payout_event.notice.amount == Decimal(50000)
    statuses = [event.status for event in events if event.type == "lead_status_changed"]
    assert statuses[-1] == LeadStatus.DISBURSED
    kinds = [event.kind for event in await bank.adapter.list_lead_events(lead.id)]
    assert kinds[:3] == ["submitted", "routed", "claimed"]
    tasks = await bank.adapter.list_officer_tasks(officer)
    [first_visit] = [task for task in tasks if task.kind == TaskKind.FIRST_VISIT]
    assert first_visit.due_on == bank.clock.now.date() + timedelta(days=7)
    await bank.adapter.complete_task(first_visit.id, officer, "已走访")
    follow_ups = await bank.adapter.list_officer_tasks(officer)
    assert any(
        task.kind == TaskKind.MONTHLY_MONITORING and task.loan_id == loan.id for task in follow_ups
    )


async def test_only_an_approved_lead_is_paid_out(bank: BankWorld) -> None:
    lead = await submit(bank)
    payout = DisbursementRequest(
        officer_id=bank.seeded.officer_id, principal=Decimal(50000), term_months=12
    )
    with pytest.raises(InvalidState):
        await bank.adapter.disburse_loan(lead.id, payout, idempotency_key=new_key())


# --- binding and one-time codes ------------------------------------------------------------------


async def test_binding_a_customer_by_phone_with_the_sms_code(bank: BankWorld) -> None:
    challenge = await bank.adapter.start_binding(
        BindingStart(chat_user_id=77, phone=MERCHANT_PHONE)
    )
    binding = await bank.adapter.confirm_binding(challenge.id, bank.last_code(MERCHANT_PHONE))

    assert challenge.masked_phone.endswith("0001") and challenge.attempts_left == 5
    assert (binding.role, binding.customer_id) == (BindingRole.CUSTOMER, bank.seeded.merchant_id)
    assert (await bank.adapter.get_binding(77)).customer_id == bank.seeded.merchant_id
    with pytest.raises(CodeExpired):  # single use
        await bank.adapter.confirm_binding(challenge.id, bank.last_code(MERCHANT_PHONE))
    await bank.adapter.unbind(77)
    with pytest.raises(NotFound):
        await bank.adapter.get_binding(77)


@pytest.mark.parametrize(
    ("staff_code", "role"),
    [(OFFICER_STAFF_CODE, BindingRole.OFFICER), (SUPERVISOR_STAFF_CODE, BindingRole.SUPERVISOR)],
)
async def test_binding_staff_by_staff_code(bank: BankWorld, staff_code: str, role: str) -> None:
    challenge = await bank.adapter.start_binding(
        BindingStart(chat_user_id=5, staff_code=staff_code)
    )
    officer_phone = {
        OFFICER_STAFF_CODE: "+8613800000101", SUPERVISOR_STAFF_CODE: "+8613800000900"
    }[staff_code]  # fmt: skip
    binding = await bank.adapter.confirm_binding(challenge.id, bank.last_code(officer_phone))

    assert binding.role == role and binding.officer_id is not None
    assert binding.customer_id is None


async def test_a_code_expires_after_5_minutes(bank: BankWorld) -> None:
    challenge = await bank.adapter.start_binding(BindingStart(chat_user_id=9, phone=MERCHANT_PHONE))
    bank.clock.advance(timedelta(minutes=5))

    with pytest.raises(CodeExpired):
        await bank.adapter.confirm_binding(challenge.id, bank.last_code(MERCHANT_PHONE))


async def test_five_wrong_codes_block_for_30_minutes(bank: BankWorld) -> None:
    start = BindingStart(chat_user_id=9, phone=MERCHANT_PHONE)
    challenge = await bank.adapter.start_binding(start)
    wrong = "000000" if bank.last_code(MERCHANT_PHONE) != "000000" else "111111"
    attempts_left = []
    for _ in range(4):
        with pytest.raises(InvalidCode) as refused:
            await bank.adapter.confirm_binding(challenge.id, wrong)
        attempts_left.append(refused.value.attempts_left)
    with pytest.raises(TooManyAttempts):
        await bank.adapter.confirm_binding(challenge.id, wrong)
    with pytest.raises(TooManyAttempts) as blocked:
        await bank.adapter.start_binding(start)
    bank.clock.advance(timedelta(minutes=30))
    fresh = await bank.adapter.start_binding(start)
    await bank.adapter.confirm_binding(fresh.id, bank.last_code(MERCHANT_PHONE))

    assert attempts_left == [4, 3, 2, 1]
    assert 0 < blocked.value.retry_after_seconds <= 1800


async def test_a_new_code_replaces_the_old_one(bank: BankWorld) -> None:
    start = BindingStart(chat_user_id=9, phone=MERCHANT_PHONE)
    old = await bank.adapter.start_binding(start)
    old_code = bank.last_code(MERCHANT_PHONE)
    await bank.adapter.start_binding(start)

    with pytest.raises(CodeExpired):
        await bank.adapter.confirm_binding(old.id, old_code)


async def test_binding_an_unknown_phone_is_not_found(bank: BankWorld) -> None:
    with pytest.raises(NotFound):
        await bank.adapter.start_binding(BindingStart(chat_user_id=9, phone=NEWCOMER_PHONE))


async def test_an_operation_code_authorises_exactly_its_intent(bank: BankWorld) -> None:
    intent = OperationIntent(
        customer_id=bank.seeded.merchant_id, kind=OperationKind.TRANSFER,
        destination=PAYEE_ALIAS, amount=Decimal("100"),
    )  # fmt: skip
    challenge = await bank.adapter.request_operation_code(intent)
    code = bank.last_code(MERCHANT_PHONE)
    other = intent.model_copy(update={"amount": Decimal("1000")})

    with pytest.raises(InvalidCode):
        await bank.adapter.verify_operation_code(challenge.id, code, other)
    await bank.adapter.verify_operation_code(challenge.id, code, intent)

    assert "张三" in str(bank.sms.last_to(MERCHANT_PHONE))
    assert "¥100" in str(bank.sms.last_to(MERCHANT_PHONE))


# --- event feed and privacy ----------------------------------------------------------------------


async def test_the_event_feed_follows_a_cursor_and_the_clock(bank: BankWorld) -> None:
    start = (await bank.adapter.list_events()).next_cursor
    receipt = await bank.adapter.transfer(transfer(bank, "1"), idempotency_key=new_key())
    page = await bank.adapter.list_events(after=start)
    empty = await bank.adapter.list_events(after=page.next_cursor)
    [loan] = await bank.adapter.list_loans(bank.seeded.merchant_id)
    assert loan.next_due is not None
    days_to_notice = (loan.next_due.due_date - bank.clock.now.date()).days - 3
    bank.clock.advance(timedelta(days=days_to_notice))
    due = await bank.adapter.list_events(after=page.next_cursor)

    assert [
        (event.type, event.receipt.id) for event in page.events if isinstance(event, PaymentPosted)
    ] == [("payment_posted", receipt.id)]
    assert len(page.events) == 1
    assert (empty.events, empty.next_cursor) == ([], page.next_cursor)
    assert [(event.type, event.loan_id) for event in due.events if isinstance(event, LoanDue)] == [
        ("loan_due", loan.id)
    ]
    assert len(due.events) == 1


async def test_overdue_loans_raise_events_and_follow_up_tasks(bank: BankWorld) -> None:
    page = await bank.adapter.list_events()
    overdue = [event for event in page.events if isinstance(event, LoanOverdue)]
    tasks = await bank.adapter.list_officer_tasks(bank.seeded.officer_id)

    assert {event.loan_id for event in overdue} == {bank.seeded.overdue_loan_id}
    assert [task.loan_id for task in tasks if task.kind == TaskKind.OVERDUE_FOLLOW_UP] == [
        bank.seeded.overdue_loan_id
    ]


async def test_consent_then_erasure_of_an_applicants_data(bank: BankWorld) -> None:
    consent = await bank.adapter.record_consent(
        ConsentRequest(
            phone=NEWCOMER_PHONE, text_version="2025-01",
            purposes=[ConsentPurpose.LOAN_APPLICATION, ConsentPurpose.CREDIT_BUREAU_CHECK],
        )
    )  # fmt: skip
    lead = await submit(bank)

    report = await bank.adapter.delete_person_data(NEWCOMER_PHONE)

    assert consent.masked_phone.endswith("0009")
    assert report.deleted == ["consents: 1", "applications: 1"]
    assert report.retained == []
    with pytest.raises(NotFound):
        await bank.adapter.get_lead(lead.id)


async def test_erasure_keeps_what_banking_law_requires(bank: BankWorld) -> None:
    report = await bank.adapter.delete_person_data(MERCHANT_PHONE)

    assert "chat bindings: 1" in report.deleted
    assert report.retained == [RetainedRecord.CUSTOMER_RECORD]
    assert (await bank.adapter.find_customer_by_phone(MERCHANT_PHONE)).id == bank.seeded.merchant_id


async def test_statements_page_newest_first(bank: BankWorld) -> None:
    first = await bank.adapter.list_transactions(
        bank.seeded.merchant_id, bank.seeded.merchant_account_id, limit=4
    )
    rest = await bank.adapter.list_transactions(
        bank.seeded.merchant_id, bank.seeded.merchant_account_id, limit=4, cursor=first.next_cursor
    )

    assert len(first.items) == 4 and first.next_cursor is not None
    assert [item.kind for item in rest.items] == ["disbursement", "deposit"]
    assert rest.next_cursor is None
    assert first.items[0].posted_at > first.items[-1].posted_at


async def test_districts_industries_and_billers_are_named_in_the_bots_languages(
    bank: BankWorld,
) -> None:
    districts = await bank.adapter.list_districts()
    industries = await bank.adapter.list_industries()
    billers = await bank.adapter.list_billers()

    for item in [*districts, *industries, *billers]:
        assert item.name_in("zh_Hans") == item.name
        assert item.name not in (item.name_in("en"), item.name_in("ru")), item.code
    catering = next(industry for industry in industries if industry.code == "catering")
    assert [catering.name_in(locale) for locale in ("zh_Hans", "en", "ru", "fr")] == [
        "餐饮", "Catering", "Общепит", "餐饮",
    ]  # fmt: skip
    jinniu = next(district for district in districts if district.code == "JINNIU")
    assert (jinniu.name_in("en"), jinniu.name_in("ru")) == ("Jinniu District", "район Цзиньню")
    water = next(biller for biller in billers if biller.code == "WATER")
    assert [water.name_in(locale) for locale in ("zh_Hans", "en", "ru", "fr")] == [
        "水费", "water", "вода", "水费",
    ]  # fmt: skip


async def test_reference_data_lists_product_districts_and_billers(bank: BankWorld) -> None:
    [product] = await bank.adapter.list_products()
    districts = await bank.adapter.list_districts()
    billers = {biller.code: biller.name for biller in await bank.adapter.list_billers()}
    industries = await bank.adapter.list_industries()

    assert (product.min_amount, product.max_amount) == (Decimal(5000), Decimal(500000))
    assert (product.min_term_months, product.max_term_months) == (1, 24)
    assert {district.territory_code for district in districts} == {NORTH, SOUTH}
    assert billers["ELEC"] == "电费" and {"WATER", "GAS", "PHONE"} <= set(billers)
    assert {industry.team_code for industry in industries} == {RETAIL_TEAM, FOOD_TEAM}
    payees = await bank.adapter.list_payees(bank.seeded.merchant_id)
    assert [(payee.alias, payee.masked_account) for payee in payees] == [
        ("张三", "****1234"), ("李四", "****5678"),
    ]  # fmt: skip


async def test_unknown_ids_are_not_found(bank: BankWorld) -> None:
    for call in (
        partial(bank.adapter.get_customer, "CU999999"),
        partial(bank.adapter.get_loan, "LN999999"),
        partial(bank.adapter.get_lead, "LD999999"),
        partial(bank.adapter.list_officer_queue, "OF999999"),
        partial(bank.adapter.find_customer_by_phone, NEWCOMER_PHONE),
    ):
        with pytest.raises(NotFound):
            await call()


# --- random money movements keep the ledger balanced --------------------------------------------

AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9000"), places=2)
PAYERS = st.sampled_from(["CU000001", "CU000002", "CU000003"])  # seeded with current accounts
BORROWERS = st.sampled_from(["CU000001", "CU000002"])
RECIPIENTS = st.sampled_from(["CU000001", "CU000002", "CU000003", "CU000004", "external"])


class MoneyMovements(RuleBasedStateMachine):
    """Random transfers, bill payments, top-ups, repayments, deposits, replays and days
    passing; the model of each balance must match the bank, and the ledger must balance."""

    def __init__(self, kind: str, db_path: Path) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.db_path = db_path
        self.world_scope = bank_world(kind, db_path)
        self.world = self.runner.run(self.world_scope.__aenter__())
        self.expected = {customer: self.balance(customer) for customer in CUSTOMERS}
        self.numbers = account_numbers(db_path)
        self.last_transfer: tuple[TransferRequest, str, str] | None = None

    def teardown(self) -> None:
        self.runner.run(self.world_scope.__aexit__(None, None, None))
        self.runner.close()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T | BankError:
        try:
            return self.runner.run(coroutine)
        except BankError as error:
            return error

    def balance(self, customer_id: str) -> Decimal:
        accounts = self.runner.run(self.world.adapter.list_accounts(customer_id))
        return accounts[0].available_balance

    def settle(
        self, payer: str, amount: Decimal, outcome: object, payee: str | None = None
    ) -> None:
        if isinstance(outcome, Receipt):
            assert outcome.amount == amount
            self.expected[payer] -= amount
            if payee in self.expected:
                self.expected[payee] += amount
        elif isinstance(outcome, InsufficientFunds):
            assert amount > self.expected[payer] == outcome.available
        elif isinstance(outcome, LimitExceeded):
            assert amount > outcome.remaining
        else:
            raise AssertionError(f"unexpected outcome {outcome!r}")

    @rule(payer=PAYERS, recipient=RECIPIENTS, amount=AMOUNTS)
    def transfer(self, payer: str, recipient: str, amount: Decimal) -> None:
        request = TransferRequest(
            customer_id=payer, destination=self.numbers[recipient], amount=amount
        )
        key = new_key()
        outcome = self.call(self.world.adapter.transfer(request, idempotency_key=key))
        self.check_status(key, outcome)
        if payer == recipient:
            assert isinstance(outcome, InvalidRequest)
            return
        self.settle(payer, amount, outcome, recipient)
        if isinstance(outcome, Receipt):
            self.last_transfer = (request, key, outcome.id)

    def check_status(self, key: str, outcome: Receipt | BankError) -> None:
        """The bank's status of the key says what the answer said."""
        status = self.runner.run(self.world.adapter.operation_status(key))
        if isinstance(outcome, Receipt):
            assert (status.state, status.receipt) == (OperationState.POSTED, outcome)
        else:
            assert status.state is OperationState.REFUSED and status.refusal is not None
            assert status.refusal.code == outcome.code

    @rule(payer=PAYERS, amount=AMOUNTS)
    def a_transfer_after_its_key_was_reported_unknown(self, payer: str, amount: Decimal) -> None:
        key = new_key()
        status = self.runner.run(self.world.adapter.operation_status(key))
        assert status.state is OperationState.UNKNOWN
        request = TransferRequest(
            customer_id=payer, destination=self.numbers["external"], amount=amount
        )
        outcome = self.call(self.world.adapter.transfer(request, idempotency_key=key))
        assert isinstance(outcome, InvalidState)

    @precondition(lambda self: self.last_transfer is not None)
    @rule()
    def replay_last_transfer(self) -> None:
        assert self.last_transfer is not None
        request, key, receipt_id = self.last_transfer
        receipt = self.runner.run(self.world.adapter.transfer(request, idempotency_key=key))
        assert receipt.id == receipt_id

    @rule(payer=PAYERS, amount=AMOUNTS)
    def pay_bill(self, payer: str, amount: Decimal) -> None:
        request = BillPaymentRequest(
            customer_id=payer, biller_code="WATER", bill_account="7654321", amount=amount
        )
        outcome = self.call(self.world.adapter.pay_bill(request, idempotency_key=new_key()))
        self.settle(payer, amount, outcome)

    @rule(payer=PAYERS, amount=AMOUNTS)
    def top_up(self, payer: str, amount: Decimal) -> None:
        request = TopUpRequest(customer_id=payer, phone=MERCHANT_PHONE, amount=amount)
        outcome = self.call(self.world.adapter.top_up(request, idempotency_key=new_key()))
        self.settle(payer, amount, outcome)

    @rule(borrower=BORROWERS, amount=st.none() | AMOUNTS, kind=st.sampled_from(RepaymentKind))
    def repay(self, borrower: str, amount: Decimal | None, kind: RepaymentKind) -> None:
        [loan] = self.runner.run(self.world.adapter.list_loans(borrower))
        if kind is RepaymentKind.PARTIAL:
            amount = (amount or Decimal(1)) + (loan.next_due.amount if loan.next_due else 0)
        if kind is RepaymentKind.PAYOFF:
            amount = None  # exactly the payoff today
        request = RepaymentRequest(
            customer_id=borrower, loan_id=loan.id, kind=kind, amount=amount,
            prepayment=Prepayment.REDUCE_TERM if kind is RepaymentKind.PARTIAL else None,
        )  # fmt: skip
        outcome = self.call(self.world.adapter.repay_loan(request, idempotency_key=new_key()))
        if isinstance(outcome, InvalidState | InvalidRequest):
            assert loan.status == LoanStatus.CLOSED or kind is not RepaymentKind.PAYOFF
            return
        if isinstance(outcome, Receipt):
            assert outcome.repayment is not None
            assert outcome.repayment.allocation.principal <= loan.outstanding_principal
        self.settle(
            borrower,
            outcome.amount if isinstance(outcome, Receipt) else amount or loan.payoff_amount,
            outcome,
        )

    @rule(customer=PAYERS, amount=AMOUNTS)
    def deposit(self, customer: str, amount: Decimal) -> None:
        account_id = self.runner.run(self.world.adapter.list_accounts(customer))[0].id
        self.runner.run(
            self.world.admin(partial(admin.deposit, account_id=account_id, amount=amount))
        )
        self.expected[customer] += amount

    @rule(days=st.integers(min_value=0, max_value=40))
    def days_pass(self, days: int) -> None:
        self.world.clock.advance(timedelta(days=days))

    @invariant()
    def balances_match_the_model_and_the_ledger_balances(self) -> None:
        for customer, expected in self.expected.items():
            assert self.balance(customer) == expected >= 0
        assert ledger_problems(self.db_path) == []


CUSTOMERS = ("CU000001", "CU000002", "CU000003", "CU000004")


def account_numbers(db_path: Path) -> dict[str, str]:
    """The full account numbers, read from the bank's file (the API shows only the last 4)."""
    connection = sqlite3.connect(db_path)
    try:
        rows = connection.execute(
            "SELECT customer_id, number FROM accounts WHERE customer_id IS NOT NULL"
        ).fetchall()
    finally:
        connection.close()
    return dict(rows) | {"external": PAYEE_ACCOUNT}


@pytest.mark.parametrize("kind", ADAPTER_KINDS)
def test_random_money_movements_keep_the_ledger_balanced(
    kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    def fresh_machine() -> MoneyMovements:
        return MoneyMovements(kind, tmp_path_factory.mktemp("ledger") / "bank.db")

    run_state_machine_as_test(
        fresh_machine,  # type: ignore[arg-type]  # hypothesis takes any factory of machines
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
