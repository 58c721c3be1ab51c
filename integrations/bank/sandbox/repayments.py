"""Repayments and payoff quotes: the product's rules (`bot.domain.repayment`) applied to the
loan's installments, posted to the ledger, the new schedule returned with the receipt."""

from __future__ import annotations

import sqlite3
from datetime import date

from bot.domain import repayment as rules
from integrations.bank.errors import InvalidDate, InvalidRequest, InvalidState, NotFound
from integrations.bank.models import (
    Allocation,
    LoanStatus,
    PayoffQuote,
    Receipt,
    RepaymentKind,
    RepaymentOutcome,
    RepaymentRequest,
    TransactionKind,
)
from integrations.bank.money import round_fen, to_fen
from integrations.bank.sandbox.accounts import INTEREST_INCOME, source_account
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import fetch_one
from integrations.bank.sandbox.ledger import Leg
from integrations.bank.sandbox.loans import get_loan
from integrations.bank.sandbox.payments import pay_out
from integrations.bank.sandbox.positions import loan_position, store_rows


def _active_loan(connection: sqlite3.Connection, loan_id: str) -> sqlite3.Row:
    loan = fetch_one(connection, "SELECT * FROM loans WHERE id = ?", (loan_id,))
    if loan is None:
        raise NotFound("loan")
    if loan["status"] != LoanStatus.ACTIVE:
        raise InvalidState("the loan is already repaid")
    return loan


def payoff_quote(
    connection: sqlite3.Connection, context: Context, loan_id: str, on: date | None
) -> PayoffQuote:
    """What closes the loan on ``on`` (default today, in the bank's time zone)."""
    day = context.today if on is None else on
    if day < context.today:
        raise InvalidDate(f"a payoff quote is for today ({context.today}) or later")
    position = loan_position(connection, _active_loan(connection, loan_id))
    try:
        quote = rules.payoff_quote(position, day)
    except rules.RepaymentError as error:
        raise InvalidDate(f"the loan is paid out on {position.disbursed_on}") from error
    return PayoffQuote(
        loan_id=loan_id,
        on=day,
        amount=quote.total,
        overdue=quote.overdue,
        principal=quote.principal,
        interest=quote.interest,
        fees=quote.fees,
        penalty=quote.penalty,
    )


_DETAILS = {
    rules.RepaymentErrorCode.NOTHING_OWED: "nothing of this kind is due",
    rules.RepaymentErrorCode.ABOVE_DUE: "more than the {due} due",
    rules.RepaymentErrorCode.NOT_ABOVE_DUE: "a prepayment pays more than the {due} due",
    rules.RepaymentErrorCode.NOT_BELOW_PAYOFF: "the payoff is {payoff}: repay it as a payoff",
    rules.RepaymentErrorCode.BELOW_MINIMUM: "the smallest prepayment is {minimum}",
}


def repay(connection: sqlite3.Connection, context: Context, request: RepaymentRequest) -> Receipt:
    loan = _active_loan(connection, request.loan_id)
    if loan["customer_id"] != request.customer_id:
        raise NotFound("loan")
    source = source_account(connection, request.customer_id, request.from_account_id)
    position = loan_position(connection, loan)
    result = _apply(position, context.today, request)
    store_rows(connection, loan["id"], result.rows)
    paid = result.allocation
    credits = [
        Leg(loan["ledger_account_id"], to_fen(paid.principal), TransactionKind.REPAYMENT,
            "Principal"),
        Leg(INTEREST_INCOME, to_fen(paid.interest), TransactionKind.REPAYMENT,
            f"Interest {loan['id']}"),
        Leg(INTEREST_INCOME, to_fen(paid.penalty), TransactionKind.REPAYMENT,
            f"Penalty interest {loan['id']}"),
        Leg(INTEREST_INCOME, to_fen(paid.fees), TransactionKind.REPAYMENT,
            f"Prepayment fee {loan['id']}"),
    ]  # fmt: skip
    receipt = pay_out(
        connection, context, source, TransactionKind.REPAYMENT, credits, f"贷款 {loan['id']}"
    )
    if result.closed:
        connection.execute(
            "UPDATE loans SET status = ? WHERE id = ?", (LoanStatus.CLOSED, loan["id"])
        )
    outcome = RepaymentOutcome(
        kind=request.kind,
        prepayment=request.prepayment,
        allocation=Allocation(
            penalty=paid.penalty, fees=paid.fees, interest=paid.interest, principal=paid.principal
        ),
        interest_saved=round_fen(result.interest_saved),
        loan_closed=result.closed,
        schedule=get_loan(connection, context, loan["id"]).schedule,
    )
    return receipt.model_copy(update={"repayment": outcome})


def _apply(
    position: rules.LoanPosition, today: date, request: RepaymentRequest
) -> rules.PaymentResult:
    kind = rules.PaymentKind(request.kind.value)
    prepayment = rules.Prepayment(request.prepayment.value if request.prepayment else "reduce_term")
    amount = None if request.kind is RepaymentKind.PAYOFF else request.amount
    try:
        result = rules.repay(position, today, kind, amount, prepayment)
    except rules.RepaymentError as error:
        detail = _DETAILS.get(error.code, error.code.value)
        raise InvalidRequest(detail.format(**error.params)) from None
    if request.kind is RepaymentKind.PAYOFF and request.amount not in (
        None,
        result.allocation.total,
    ):
        raise InvalidRequest(f"the payoff today is {result.allocation.total}")
    return result
