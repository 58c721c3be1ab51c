"""Customers' accounts, the bank's internal accounts, balances and statements."""

from __future__ import annotations

import sqlite3

from integrations.bank.errors import AccountClosed, InvalidRequest, NotFound
from integrations.bank.masking import mask_account
from integrations.bank.models import (
    Account,
    AccountStatus,
    AccountType,
    Transaction,
    TransactionPage,
)
from integrations.bank.money import from_fen
from integrations.bank.sandbox.context import parse_time
from integrations.bank.sandbox.db import fetch_one, next_id, next_value
from integrations.bank.sandbox.ledger import balance_fen

FUNDING = "INT-FUNDING"  # the bank's own money: opening deposits come from here
CLEARING = "INT-CLEARING"  # transfers to other banks
TELCO = "INT-TELCO"  # mobile top-ups
INTEREST_INCOME = "INT-INTEREST"
INTERNAL_ACCOUNTS = {
    FUNDING: "Bank funding",
    CLEARING: "Interbank clearing",
    TELCO: "Mobile operator settlement",
    INTEREST_INCOME: "Interest income",
}
INTERNAL = "internal"
LOAN_LEDGER = "loan"
CUSTOMER_TYPES = (AccountType.CURRENT, AccountType.SAVINGS)
CURRENCY = "CNY"


def open_internal_account(
    connection: sqlite3.Connection, account_id: str, name: str, account_type: str = INTERNAL
) -> None:
    connection.execute(
        "INSERT INTO accounts (id, number, customer_id, holder_name, type, currency, status)"
        " VALUES (?, ?, NULL, ?, ?, ?, ?)",
        (account_id, account_id, name, account_type, CURRENCY, AccountStatus.OPEN),
    )


def open_account(
    connection: sqlite3.Connection,
    customer_id: str | None,
    holder_name: str,
    account_type: str,
) -> str:
    account_id = next_id(connection, "AC")
    number = f"62220202{next_value(connection, 'account_number'):08d}"
    connection.execute(
        "INSERT INTO accounts (id, number, customer_id, holder_name, type, currency, status)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (account_id, number, customer_id, holder_name, account_type, CURRENCY, AccountStatus.OPEN),
    )
    return account_id


def require_customer(connection: sqlite3.Connection, customer_id: str) -> sqlite3.Row:
    row = fetch_one(connection, "SELECT * FROM customers WHERE id = ?", (customer_id,))
    if row is None:
        raise NotFound("customer")
    return row


def account_model(connection: sqlite3.Connection, row: sqlite3.Row) -> Account:
    return Account(
        id=row["id"],
        masked_number=mask_account(row["number"]),
        type=AccountType(row["type"]),
        currency=row["currency"],
        available_balance=from_fen(balance_fen(connection, row["id"])),
        status=AccountStatus(row["status"]),
    )


def list_accounts(connection: sqlite3.Connection, customer_id: str) -> list[Account]:
    require_customer(connection, customer_id)
    rows = connection.execute(
        "SELECT * FROM accounts WHERE customer_id = ? AND type IN (?, ?) ORDER BY id",
        (customer_id, *CUSTOMER_TYPES),
    ).fetchall()
    return [account_model(connection, row) for row in rows]


def owned_account(connection: sqlite3.Connection, customer_id: str, account_id: str) -> sqlite3.Row:
    row = fetch_one(
        connection,
        "SELECT * FROM accounts WHERE id = ? AND customer_id = ? AND type IN (?, ?)",
        (account_id, customer_id, *CUSTOMER_TYPES),
    )
    if row is None:
        raise NotFound("account")
    return row


def source_account(
    connection: sqlite3.Connection, customer_id: str, account_id: str | None
) -> sqlite3.Row:
    """The account to pay from: the one named, or the customer's first current account."""
    require_customer(connection, customer_id)
    row = (
        owned_account(connection, customer_id, account_id)
        if account_id
        else connection.execute(
            "SELECT * FROM accounts WHERE customer_id = ? AND type = ? ORDER BY id LIMIT 1",
            (customer_id, AccountType.CURRENT),
        ).fetchone()
    )
    if row is None:
        raise NotFound("account")
    if row["status"] != AccountStatus.OPEN:
        raise AccountClosed(f"account {mask_account(row['number'])} is closed")
    return row


def list_transactions(
    connection: sqlite3.Connection,
    customer_id: str,
    account_id: str,
    limit: int,
    cursor: str | None,
) -> TransactionPage:
    if not 1 <= limit <= 100:
        raise InvalidRequest("limit must be between 1 and 100")
    owned_account(connection, customer_id, account_id)
    rows = connection.execute(
        "SELECT p.id AS posting_id, p.*, e.posted_at FROM postings p"
        " JOIN journal_entries e ON e.id = p.entry_id"
        " WHERE p.account_id = ? AND p.id < ? ORDER BY p.id DESC LIMIT ?",
        (account_id, _posting_cursor(cursor), limit + 1),
    ).fetchall()
    items = [_transaction(row) for row in rows[:limit]]
    next_cursor = str(rows[limit - 1]["posting_id"]) if len(rows) > limit else None
    return TransactionPage(items=items, next_cursor=next_cursor)


def _posting_cursor(cursor: str | None) -> int:
    if cursor is None:
        return 2**62
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise InvalidRequest("malformed cursor")
    return int(cursor)


def _transaction(row: sqlite3.Row) -> Transaction:
    return Transaction(
        id=row["entry_id"],
        posted_at=parse_time(row["posted_at"]),
        kind=row["kind"],
        amount=from_fen(row["amount_fen"]),
        balance_after=from_fen(row["balance_after_fen"]),
        description=row["description"],
    )
