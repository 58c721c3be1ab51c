"""The double-entry ledger: every entry's postings sum to zero; a balance is a sum of postings.

Amounts are signed integer fen as seen by each account's holder: a payment out of a
customer's account is negative there and positive in the account that receives it.
Internal accounts (funding, clearing, loans, interest income) may go negative.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from integrations.bank.models import TransactionKind
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import next_id


class UnbalancedEntry(ValueError):
    """A programming error: postings of one entry must sum to zero."""


@dataclass(frozen=True)
class Leg:
    account_id: str
    amount_fen: int
    kind: TransactionKind
    description: str


@dataclass(frozen=True)
class LimitedSpend:
    """An outgoing payment that counts toward the customer's limits."""

    customer_id: str
    amount_fen: int
    payee_number: str | None


def post_entry(
    connection: sqlite3.Connection,
    context: Context,
    kind: TransactionKind,
    legs: Sequence[Leg],
    spend: LimitedSpend | None = None,
) -> str:
    if sum(leg.amount_fen for leg in legs) != 0:
        raise UnbalancedEntry(f"{kind}: postings sum to {sum(leg.amount_fen for leg in legs)}")
    entry_id = next_id(connection, "TX")
    connection.execute(
        "INSERT INTO journal_entries (id, kind, posted_at, limited_customer_id,"
        " limited_amount_fen, payee_number) VALUES (?, ?, ?, ?, ?, ?)",
        (
            entry_id,
            kind,
            context.stamp,
            spend.customer_id if spend else None,
            spend.amount_fen if spend else 0,
            spend.payee_number if spend else None,
        ),
    )
    for leg in legs:
        _post_leg(connection, entry_id, leg)
    return entry_id


def _post_leg(connection: sqlite3.Connection, entry_id: str, leg: Leg) -> None:
    balance_after = balance_fen(connection, leg.account_id) + leg.amount_fen
    connection.execute(
        "INSERT INTO postings (entry_id, account_id, amount_fen, balance_after_fen, kind,"
        " description) VALUES (?, ?, ?, ?, ?, ?)",
        (entry_id, leg.account_id, leg.amount_fen, balance_after, leg.kind, leg.description),
    )


def balance_fen(connection: sqlite3.Connection, account_id: str) -> int:
    """The running balance kept on the account's latest posting (the sum of its postings:
    each posting adds its amount to the one before)."""
    row = connection.execute(
        "SELECT balance_after_fen FROM postings WHERE account_id = ? ORDER BY id DESC LIMIT 1",
        (account_id,),
    ).fetchone()
    return int(row[0]) if row else 0
