"""A loan's installments as the repayment rules see them. The sandbox applies the product's
rules with the bot's own pure domain module (`bot.domain.repayment`), so what the bot
previews is what this bank posts."""

from __future__ import annotations

import sqlite3
from datetime import date
from decimal import Decimal

from bot.domain.loan_terms import RepaymentMethod as Method
from bot.domain.repayment import LoanPosition, Row
from integrations.bank.money import from_fen, to_fen
from integrations.bank.repayment_rules import rules_of
from integrations.bank.sandbox.reference import get_product


def loan_position(connection: sqlite3.Connection, loan: sqlite3.Row) -> LoanPosition:
    terms = get_product(connection, loan["product_code"]).repayment
    rows = connection.execute(
        "SELECT * FROM installments WHERE loan_id = ? ORDER BY number", (loan["id"],)
    ).fetchall()
    return LoanPosition(
        disbursed_on=date.fromisoformat(loan["disbursed_on"]),
        annual_rate=Decimal(loan["annual_rate"]),
        method=Method(loan["method"]),
        rows=tuple(map(_row, rows)),
        rules=rules_of(terms),
    )


def _row(row: sqlite3.Row) -> Row:
    since = row["penalty_from"]
    return Row(
        number=row["number"],
        due_date=date.fromisoformat(row["due_date"]),
        principal=from_fen(row["principal_fen"]),
        interest=from_fen(row["interest_fen"]),
        paid_principal=from_fen(row["paid_principal_fen"]),
        paid_interest=from_fen(row["paid_interest_fen"]),
        penalty_carried=from_fen(row["penalty_fen"]),
        penalty_from=None if since is None else date.fromisoformat(since),
    )


def store_rows(connection: sqlite3.Connection, loan_id: str, rows: tuple[Row, ...]) -> None:
    """Write the installments after a payment; those it made unnecessary go."""
    connection.executemany(
        "UPDATE installments SET principal_fen = ?, interest_fen = ?, paid_principal_fen = ?,"
        " paid_interest_fen = ?, penalty_fen = ?, penalty_from = ?"
        " WHERE loan_id = ? AND number = ?",
        [
            (to_fen(row.principal), to_fen(row.interest), to_fen(row.paid_principal),
             to_fen(row.paid_interest), to_fen(row.penalty_carried),
             None if row.penalty_from is None else row.penalty_from.isoformat(),
             loan_id, row.number)
            for row in rows
        ],
    )  # fmt: skip
    kept = [row.number for row in rows]
    marks = ",".join("?" * len(kept))
    connection.execute(
        f"DELETE FROM installments WHERE loan_id = ? AND number NOT IN ({marks})", (loan_id, *kept)
    )
