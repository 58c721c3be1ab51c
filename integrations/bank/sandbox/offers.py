"""The merchant's offer: opened when the credit committee approves a case, on the terms it
decided (or the proposed ones), at the product's rate, valid for `offer_validity`."""

from __future__ import annotations

import sqlite3

from integrations.bank.errors import InvalidState
from integrations.bank.sandbox.context import Context, iso
from integrations.bank.sandbox.db import fetch_one, next_id
from integrations.bank.sandbox.reference import get_product


def open_offer(connection: sqlite3.Connection, context: Context, case_id: str) -> str:
    """The id of the open offer for an approved case; called in the approving transaction."""
    case = fetch_one(connection, "SELECT * FROM committee_cases WHERE id = ?", (case_id,))
    if case is None or case["status"] != "approved":
        raise InvalidState("only an approved case gets an offer")
    lead = fetch_one(connection, "SELECT customer_id FROM leads WHERE id = ?", (case["lead_id"],))
    assert lead is not None  # committee_cases.lead_id references leads
    product = get_product(connection, context.config.product_code)
    offer_id = next_id(connection, "OR")
    connection.execute(
        "INSERT INTO offers (id, lead_id, case_id, customer_id, account_id, amount_fen, "
        "term_months, method, annual_rate, created_at, expires_at, status) "
        "VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 'open')",
        (
            offer_id, case["lead_id"], case_id, lead["customer_id"],
            case["decided_amount_fen"] or case["amount_fen"],
            case["decided_term_months"] or case["term_months"],
            case["decided_method"] or case["method"],
            str(product.annual_rate), context.stamp,
            iso(context.now + context.config.offer_validity),
        ),
    )  # fmt: skip
    return offer_id
