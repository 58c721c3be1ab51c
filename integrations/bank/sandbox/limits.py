"""Payment limits per transaction, per local day, per local month and for new payees."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from integrations.bank.errors import LimitExceeded
from integrations.bank.models import LimitKind, LimitStatus
from integrations.bank.money import from_fen, to_fen
from integrations.bank.sandbox.context import Context, iso


def check_limits(
    connection: sqlite3.Connection,
    context: Context,
    customer_id: str,
    amount_fen: int,
    payee_number: str | None,
) -> None:
    """Raise LimitExceeded naming the first limit broken and the largest amount allowed now."""
    allowances = _allowances(connection, context, customer_id, payee_number)
    allowed_now = max(0, min(allowances.values()))
    for kind, remaining in allowances.items():
        if amount_fen > remaining:
            raise LimitExceeded(kind, _limit_of(context, kind), from_fen(allowed_now))


def limit_status(connection: sqlite3.Connection, context: Context, customer_id: str) -> LimitStatus:
    allowances = _allowances(connection, context, customer_id, payee_number=None)
    policy = context.config.limits
    return LimitStatus(
        per_transaction=policy.per_transaction,
        new_payee_per_transaction=policy.new_payee_per_transaction,
        daily_remaining=from_fen(max(0, allowances[LimitKind.DAILY])),
        monthly_remaining=from_fen(max(0, allowances[LimitKind.MONTHLY])),
    )


def is_new_payee(connection: sqlite3.Connection, customer_id: str, payee_number: str) -> bool:
    row = connection.execute(
        "SELECT 1 FROM journal_entries WHERE limited_customer_id = ? AND payee_number = ? LIMIT 1",
        (customer_id, payee_number),
    ).fetchone()
    return row is None


def _allowances(
    connection: sqlite3.Connection, context: Context, customer_id: str, payee_number: str | None
) -> dict[LimitKind, int]:
    policy = context.config.limits
    today = context.today
    day_start = context.local_midnight(today)
    month_start = context.local_midnight(today.replace(day=1))
    allowances = {LimitKind.PER_TRANSACTION: to_fen(policy.per_transaction)}
    if payee_number is not None and is_new_payee(connection, customer_id, payee_number):
        allowances[LimitKind.NEW_PAYEE] = to_fen(policy.new_payee_per_transaction)
    spent_today = _spent_since(connection, customer_id, iso(day_start))
    spent_this_month = _spent_since(connection, customer_id, iso(month_start))
    allowances[LimitKind.DAILY] = to_fen(policy.daily) - spent_today
    allowances[LimitKind.MONTHLY] = to_fen(policy.monthly) - spent_this_month
    return allowances


def _limit_of(context: Context, kind: LimitKind) -> Decimal:
    policy = context.config.limits
    return {
        LimitKind.PER_TRANSACTION: policy.per_transaction,
        LimitKind.NEW_PAYEE: policy.new_payee_per_transaction,
        LimitKind.DAILY: policy.daily,
        LimitKind.MONTHLY: policy.monthly,
    }[kind]


def _spent_since(connection: sqlite3.Connection, customer_id: str, since: str) -> int:
    row = connection.execute(
        "SELECT COALESCE(SUM(limited_amount_fen), 0) FROM journal_entries"
        " WHERE limited_customer_id = ? AND posted_at >= ?",
        (customer_id, since),
    ).fetchone()
    return int(row[0])
