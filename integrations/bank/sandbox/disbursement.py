"""Paying out an approved lead: the borrower (created if new), the loan, the payout notice
(放款通知) and the officer's first post-loan visit within 7 days."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from integrations.bank.errors import Forbidden, InvalidRequest, InvalidState
from integrations.bank.models import (
    AccountType,
    DisbursementRequest,
    LeadStatus,
    Loan,
    LoanDisbursed,
    LoanProduct,
    PayoutNotice,
    TaskKind,
)
from integrations.bank.money import to_fen
from integrations.bank.sandbox.accounts import open_account
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import next_id
from integrations.bank.sandbox.events import emit
from integrations.bank.sandbox.leads import lead_row, mark_disbursed
from integrations.bank.sandbox.loans import SUPPORTED_METHODS, NewLoan, create_loan, get_loan
from integrations.bank.sandbox.people import customer_row_by_phone
from integrations.bank.sandbox.reference import get_product
from integrations.bank.sandbox.tasks import create_task


def disburse_loan(
    connection: sqlite3.Connection, context: Context, lead_id: str, request: DisbursementRequest
) -> Loan:
    lead = lead_row(connection, lead_id)
    if lead["status"] != LeadStatus.APPROVED:
        raise InvalidState("only an approved lead can be paid out")
    if lead["officer_id"] != request.officer_id:
        raise Forbidden("only the officer who owns the lead can pay it out")
    product = get_product(connection, context.config.product_code)
    _check_terms(product, request)
    customer_id, account_id = _borrower(connection, lead)
    loan_id = create_loan(
        connection, context, NewLoan(
            customer_id, account_id, request.officer_id, to_fen(request.principal),
            product.annual_rate, request.term_months, lead_id,
        ),
    )  # fmt: skip
    mark_disbursed(connection, context, lead_id, request.officer_id, customer_id, loan_id)
    loan = get_loan(connection, context, loan_id)
    emit(
        connection,
        context,
        LoanDisbursed,
        customer_id=customer_id,
        officer_id=request.officer_id,
        lead_id=lead_id,
        notice=_notice(loan),
    )
    first_visit_due = context.today + timedelta(days=context.config.first_visit_days)
    create_task(
        connection, request.officer_id, TaskKind.FIRST_VISIT, loan_id, customer_id, first_visit_due
    )
    return loan


def _check_terms(product: LoanProduct, request: DisbursementRequest) -> None:
    if not product.min_amount <= request.principal <= product.max_amount:
        raise InvalidRequest(f"amount must be {product.min_amount} to {product.max_amount}")
    if not product.min_term_months <= request.term_months <= product.max_term_months:
        raise InvalidRequest(
            f"term must be {product.min_term_months} to {product.max_term_months} months"
        )
    if request.method not in product.allowed_methods or request.method not in SUPPORTED_METHODS:
        raise InvalidRequest(f"repayment method {request.method} is not offered")


def _borrower(connection: sqlite3.Connection, lead: sqlite3.Row) -> tuple[str, str]:
    """The borrower's customer id and current account, opening both for a newcomer."""
    customer = customer_row_by_phone(connection, lead["phone"])
    if customer is None:
        customer_id = next_id(connection, "CU")
        connection.execute(
            "INSERT INTO customers (id, name, phone, district_code, industry_code, officer_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                customer_id,
                lead["applicant_name"],
                lead["phone"],
                lead["district_code"],
                lead["industry_code"],
                lead["officer_id"],
            ),
        )
    else:
        customer_id = customer["id"]
        connection.execute(
            "UPDATE customers SET officer_id = COALESCE(officer_id, ?) WHERE id = ?",
            (lead["officer_id"], customer_id),
        )
    account = connection.execute(
        "SELECT id FROM accounts WHERE customer_id = ? AND type = ? AND status = 'open'"
        " ORDER BY id LIMIT 1",
        (customer_id, AccountType.CURRENT),
    ).fetchone()
    if account is not None:
        return customer_id, account["id"]
    name = lead["applicant_name"]
    return customer_id, open_account(connection, customer_id, name, AccountType.CURRENT)


def _notice(loan: Loan) -> PayoutNotice:
    first = loan.schedule[0]
    return PayoutNotice(
        loan_id=loan.id,
        amount=loan.principal,
        masked_account=loan.masked_account,
        term_months=loan.term_months,
        annual_rate=loan.annual_rate,
        first_due_date=first.due_date,
        first_installment=first.total,
    )
