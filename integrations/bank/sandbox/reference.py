"""Reference data: loan products, districts (with their territory) and industries, each
district and industry with its names in the bot's languages."""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from integrations.bank.errors import NotFound
from integrations.bank.models import (
    District,
    Industry,
    LoanProduct,
    LocalizedName,
    RepaymentMethod,
    RepaymentTerms,
)
from integrations.bank.money import from_fen


def product_model(row: sqlite3.Row) -> LoanProduct:
    return LoanProduct(
        code=row["code"],
        name=row["name"],
        min_amount=from_fen(row["min_amount_fen"]),
        max_amount=from_fen(row["max_amount_fen"]),
        min_term_months=row["min_term_months"],
        max_term_months=row["max_term_months"],
        annual_rate=Decimal(row["annual_rate"]),
        allowed_methods=[RepaymentMethod(method) for method in json.loads(row["allowed_methods"])],
        repayment=RepaymentTerms.model_validate_json(row["repayment"]),
    )


def get_product(connection: sqlite3.Connection, code: str) -> LoanProduct:
    row = connection.execute("SELECT * FROM products WHERE code = ?", (code,)).fetchone()
    if row is None:
        raise NotFound("product")
    return product_model(row)


def list_products(connection: sqlite3.Connection) -> list[LoanProduct]:
    return [
        product_model(row) for row in connection.execute("SELECT * FROM products ORDER BY code")
    ]


def list_districts(connection: sqlite3.Connection) -> list[District]:
    names = reference_names(connection, "district")
    rows = connection.execute("SELECT * FROM districts ORDER BY code")
    return [District(**dict(row), names=names.get(row["code"], [])) for row in rows]


def list_industries(connection: sqlite3.Connection) -> list[Industry]:
    names = reference_names(connection, "industry")
    rows = connection.execute("SELECT * FROM industries ORDER BY code")
    return [Industry(**dict(row), names=names.get(row["code"], [])) for row in rows]


def reference_names(connection: sqlite3.Connection, kind: str) -> dict[str, list[LocalizedName]]:
    """Each item's names in languages besides zh_Hans, by the item's code."""
    found: dict[str, list[LocalizedName]] = {}
    rows = connection.execute(
        "SELECT code, locale, name FROM reference_names WHERE kind = ? ORDER BY code, locale",
        (kind,),
    )
    for row in rows:
        found.setdefault(row["code"], []).append(
            LocalizedName(locale=row["locale"], name=row["name"])
        )
    return found
