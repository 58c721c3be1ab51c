"""Loans: disbursement, schedules with paid state, repayment, classification, and the sweep
that raises due and overdue events (and overdue follow-up tasks) as the clock moves."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bot.domain.repayment import payoff_quote, penalties
from integrations.bank.errors import NotFound
from integrations.bank.masking import mask_account
from integrations.bank.models import (
    Installment,
    InstallmentStatus,
    Loan,
    LoanClassification,
    LoanDue,
    LoanOverdue,
    LoanStatus,
    NextDue,
    RepaymentMethod,
    TaskKind,
    TaskStatus,
    TransactionKind,
)
from integrations.bank.money import from_fen
from integrations.bank.sandbox._schedule import equal_installments
from integrations.bank.sandbox.accounts import (
    LOAN_LEDGER,
    open_internal_account,
    require_customer,
)
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import fetch_one, next_id
from integrations.bank.sandbox.events import emit
from integrations.bank.sandbox.ledger import Leg, post_entry
from integrations.bank.sandbox.positions import loan_position
from integrations.bank.sandbox.tasks import create_task

SUPPORTED_METHODS = (RepaymentMethod.EQUAL_INSTALLMENT,)
_CLASSIFICATION_FLOORS = (  # days overdue from which each class applies
    (361, LoanClassification.LOSS),
    (181, LoanClassification.DOUBTFUL),
    (91, LoanClassification.SUBSTANDARD),
    (1, LoanClassification.SPECIAL_MENTION),
)


def classify(days_overdue: int) -> LoanClassification:
    """Five-level classification (五级分类) by days overdue."""
    for floor, classification in _CLASSIFICATION_FLOORS:
        if days_overdue >= floor:
            return classification
    return LoanClassification.NORMAL


@dataclass(frozen=True)
class NewLoan:
    customer_id: str
    account_id: str  # the customer's account the principal is paid into
    officer_id: str | None
    principal_fen: int
    annual_rate: Decimal
    term_months: int
    lead_id: str | None = None


def create_loan(connection: sqlite3.Connection, context: Context, loan: NewLoan) -> str:
    """Book an equal-installment loan and pay the principal into the customer's account."""
    loan_id = next_id(connection, "LN")
    ledger_account = f"LNA-{loan_id}"
    open_internal_account(connection, ledger_account, f"Loan {loan_id}", LOAN_LEDGER)
    _insert_loan(connection, context, loan_id, ledger_account, loan)
    schedule = equal_installments(
        loan.principal_fen, loan.annual_rate, loan.term_months, context.today
    )
    connection.executemany(
        "INSERT INTO installments (loan_id, number, due_date, principal_fen, interest_fen)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (loan_id, item.number, item.due_date.isoformat(), item.principal_fen,
             item.interest_fen)
            for item in schedule
        ],
    )  # fmt: skip
    payout = TransactionKind.DISBURSEMENT
    legs = [
        Leg(loan.account_id, loan.principal_fen, payout, f"贷款发放 {loan_id}"),
        Leg(ledger_account, -loan.principal_fen, payout, f"Payout {loan_id}"),
    ]
    post_entry(connection, context, TransactionKind.DISBURSEMENT, legs)
    return loan_id


def _insert_loan(
    connection: sqlite3.Connection,
    context: Context,
    loan_id: str,
    ledger_account: str,
    loan: NewLoan,
) -> None:
    connection.execute(
        "INSERT INTO loans (id, customer_id, officer_id, product_code, principal_fen, annual_rate,"
        " method, term_months, disbursed_on, status, account_id, ledger_account_id, lead_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (loan_id, loan.customer_id, loan.officer_id, context.config.product_code,
         loan.principal_fen, str(loan.annual_rate), RepaymentMethod.EQUAL_INSTALLMENT,
         loan.term_months, context.today.isoformat(), LoanStatus.ACTIVE, loan.account_id,
         ledger_account, loan.lead_id),
    )  # fmt: skip


def get_loan(connection: sqlite3.Connection, context: Context, loan_id: str) -> Loan:
    return _loan_model(connection, context, _loan_row(connection, loan_id))


def get_loans(
    connection: sqlite3.Connection, context: Context, loan_ids: Sequence[str]
) -> list[Loan]:
    """In one transaction; the loans not found are left out."""
    rows = (fetch_one(connection, "SELECT * FROM loans WHERE id = ?", (i,)) for i in loan_ids)
    return [_loan_model(connection, context, row) for row in rows if row is not None]


def list_loans(connection: sqlite3.Connection, context: Context, customer_id: str) -> list[Loan]:
    require_customer(connection, customer_id)
    rows = connection.execute(
        "SELECT * FROM loans WHERE customer_id = ? ORDER BY id", (customer_id,)
    ).fetchall()
    return [_loan_model(connection, context, row) for row in rows]


def _loan_row(connection: sqlite3.Connection, loan_id: str) -> sqlite3.Row:
    row = fetch_one(connection, "SELECT * FROM loans WHERE id = ?", (loan_id,))
    if row is None:
        raise NotFound("loan")
    return row


def _installment_rows(connection: sqlite3.Connection, loan_id: str) -> list[sqlite3.Row]:
    return connection.execute(
        "SELECT * FROM installments WHERE loan_id = ? ORDER BY number", (loan_id,)
    ).fetchall()


def _installment(row: sqlite3.Row, today: date, penalty: Decimal) -> Installment:
    total = row["principal_fen"] + row["interest_fen"]
    paid = row["paid_principal_fen"] + row["paid_interest_fen"]
    due_date = date.fromisoformat(row["due_date"])
    return Installment(
        number=row["number"],
        due_date=due_date,
        principal=from_fen(row["principal_fen"]),
        interest=from_fen(row["interest_fen"]),
        total=from_fen(total),
        paid=from_fen(paid),
        status=_installment_status(total, paid, due_date, today),
        paid_principal=from_fen(row["paid_principal_fen"]),
        paid_interest=from_fen(row["paid_interest_fen"]),
        penalty=penalty,
    )


def _installment_status(total: int, paid: int, due_date: date, today: date) -> InstallmentStatus:
    if paid >= total:
        return InstallmentStatus.PAID
    if due_date < today:
        return InstallmentStatus.OVERDUE
    return InstallmentStatus.PARTIALLY_PAID if paid else InstallmentStatus.UNPAID


def _loan_model(connection: sqlite3.Connection, context: Context, row: sqlite3.Row) -> Loan:
    rows = _installment_rows(connection, row["id"])
    position = loan_position(connection, row)
    today = max(context.today, position.disbursed_on)
    owed = penalties(position, today)
    schedule = [_installment(item, today, owed[index]) for index, item in enumerate(rows)]
    active = LoanStatus(row["status"]) is LoanStatus.ACTIVE
    unpaid = [item for item in schedule if item.status != InstallmentStatus.PAID]
    overdue = [item for item in unpaid if item.status == InstallmentStatus.OVERDUE]
    days_overdue = (context.today - overdue[0].due_date).days if overdue else 0
    outstanding_fen = sum(item["principal_fen"] - item["paid_principal_fen"] for item in rows)
    account = connection.execute(
        "SELECT number FROM accounts WHERE id = ?", (row["account_id"],)
    ).fetchone()
    return Loan(
        id=row["id"],
        customer_id=row["customer_id"],
        officer_id=row["officer_id"],
        product_code=row["product_code"],
        principal=from_fen(row["principal_fen"]),
        annual_rate=Decimal(row["annual_rate"]),
        method=RepaymentMethod(row["method"]),
        term_months=row["term_months"],
        disbursed_on=date.fromisoformat(row["disbursed_on"]),
        status=LoanStatus(row["status"]),
        outstanding_principal=from_fen(outstanding_fen),
        payoff_amount=payoff_quote(position, today).total if active else from_fen(0),
        next_due=_next_due(unpaid),
        days_overdue=days_overdue,
        classification=classify(days_overdue),
        masked_account=mask_account(account["number"]),
        schedule=schedule,
    )


def _next_due(unpaid: list[Installment]) -> NextDue | None:
    if not unpaid:
        return None
    first = unpaid[0]
    return NextDue(
        installment_number=first.number, due_date=first.due_date, amount=first.total - first.paid
    )


_UNPAID_ACTIVE = (
    "SELECT i.*, l.customer_id, l.officer_id FROM installments i JOIN loans l ON l.id = i.loan_id"
    " WHERE l.status = 'active'"
    " AND i.paid_principal_fen + i.paid_interest_fen < i.principal_fen + i.interest_fen"
)


def sweep(connection: sqlite3.Connection, context: Context) -> None:
    """Emit each installment's due notice and overdue notice once, as the clock passes them."""
    horizon = context.today + timedelta(days=context.config.due_notice_days)
    due_rows = connection.execute(
        _UNPAID_ACTIVE + " AND i.due_notice_sent = 0 AND i.due_date <= ?", (horizon.isoformat(),)
    ).fetchall()
    for row in due_rows:
        _notice_due(connection, context, row)
    overdue_rows = connection.execute(
        _UNPAID_ACTIVE + " AND i.overdue_notice_sent = 0 AND i.due_date < ?",
        (context.today.isoformat(),),
    ).fetchall()
    for row in overdue_rows:
        _notice_overdue(connection, context, row)


def _remaining(row: sqlite3.Row) -> Decimal:
    paid = row["paid_principal_fen"] + row["paid_interest_fen"]
    return from_fen(row["principal_fen"] + row["interest_fen"] - paid)


def _notice_due(connection: sqlite3.Connection, context: Context, row: sqlite3.Row) -> None:
    due_date = date.fromisoformat(row["due_date"])
    if due_date >= context.today:  # a date already passed gets only the overdue notice
        emit(
            connection,
            context,
            LoanDue,
            customer_id=row["customer_id"],
            loan_id=row["loan_id"],
            installment_number=row["number"],
            due_date=due_date,
            amount=_remaining(row),
        )
    connection.execute(
        "UPDATE installments SET due_notice_sent = 1 WHERE loan_id = ? AND number = ?",
        (row["loan_id"], row["number"]),
    )


def _has_open_follow_up(connection: sqlite3.Connection, loan_id: str) -> bool:
    row = fetch_one(
        connection,
        "SELECT 1 FROM tasks WHERE loan_id = ? AND kind = ? AND status = ?",
        (loan_id, TaskKind.OVERDUE_FOLLOW_UP, TaskStatus.OPEN),
    )
    return row is not None


def _notice_overdue(connection: sqlite3.Connection, context: Context, row: sqlite3.Row) -> None:
    due_date = date.fromisoformat(row["due_date"])
    days = (context.today - due_date).days
    emit(
        connection,
        context,
        LoanOverdue,
        customer_id=row["customer_id"],
        officer_id=row["officer_id"],
        loan_id=row["loan_id"],
        installment_number=row["number"],
        due_date=due_date,
        amount=_remaining(row),
        days_overdue=days,
        classification=classify(days),
    )
    if row["officer_id"] and not _has_open_follow_up(connection, row["loan_id"]):
        create_task(
            connection,
            row["officer_id"],
            TaskKind.OVERDUE_FOLLOW_UP,
            row["loan_id"],
            row["customer_id"],
            context.today,
        )
    connection.execute(
        "UPDATE installments SET overdue_notice_sent = 1, due_notice_sent = 1"
        " WHERE loan_id = ? AND number = ?",
        (row["loan_id"], row["number"]),
    )
