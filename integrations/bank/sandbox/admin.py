"""Setting up the sandbox bank (seed data, tests): staff, customers, money, billers, products.

These are the bank's back-office operations, not part of the BankAdapter contract.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

from integrations.bank.errors import NotFound
from integrations.bank.models import (
    AccountType,
    Biller,
    District,
    Industry,
    LoanProduct,
    Named,
    RepaymentTerms,
    StaffRole,
    TransactionKind,
)
from integrations.bank.money import to_fen
from integrations.bank.sandbox.accounts import (
    FUNDING,
    INTERNAL_ACCOUNTS,
    open_account,
    open_internal_account,
)
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import next_id
from integrations.bank.sandbox.ledger import Leg, post_entry


def open_bank_accounts(connection: sqlite3.Connection) -> None:
    for account_id, name in INTERNAL_ACCOUNTS.items():
        open_internal_account(connection, account_id, name)


def add_territory(connection: sqlite3.Connection, code: str, name: str) -> None:
    connection.execute("INSERT INTO territories (code, name) VALUES (?, ?)", (code, name))


def add_district(connection: sqlite3.Connection, district: District) -> None:
    connection.execute(
        "INSERT INTO districts (code, name, city, province, territory_code, latitude, longitude)"
        " VALUES (:code, :name, :city, :province, :territory_code, :latitude, :longitude)",
        district.model_dump(),
    )
    _add_names(connection, "district", district.code, district)


def add_industry_team(connection: sqlite3.Connection, code: str, name: str) -> None:
    connection.execute("INSERT INTO industry_teams (code, name) VALUES (?, ?)", (code, name))


def add_industry(connection: sqlite3.Connection, industry: Industry) -> None:
    connection.execute(
        "INSERT INTO industries (code, name, team_code) VALUES (:code, :name, :team_code)",
        industry.model_dump(),
    )
    _add_names(connection, "industry", industry.code, industry)


def _add_names(connection: sqlite3.Connection, kind: str, code: str, item: Named) -> None:
    connection.executemany(
        "INSERT INTO reference_names (kind, code, locale, name) VALUES (?, ?, ?, ?)",
        [(kind, code, name.locale, name.name) for name in item.names],
    )


def add_officer(
    connection: sqlite3.Connection,
    *,
    staff_code: str,
    name: str,
    phone: str,
    territory_code: str,
    team_code: str,
    role: StaffRole = StaffRole.OFFICER,
    supervisor_id: str | None = None,
    on_duty: bool = True,
) -> str:
    officer_id = next_id(connection, "OF")
    connection.execute(
        "INSERT INTO officers (id, staff_code, name, phone, role, territory_code,"
        " industry_team_code, on_duty, supervisor_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            officer_id,
            staff_code,
            name,
            phone,
            role,
            territory_code,
            team_code,
            on_duty,
            supervisor_id,
        ),
    )
    return officer_id


def add_customer(
    connection: sqlite3.Connection,
    *,
    name: str,
    phone: str,
    district_code: str | None = None,
    industry_code: str | None = None,
    officer_id: str | None = None,
) -> tuple[str, str]:
    """A customer with a current account; returns (customer id, account id)."""
    customer_id = next_id(connection, "CU")
    connection.execute(
        "INSERT INTO customers (id, name, phone, district_code, industry_code, officer_id)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (customer_id, name, phone, district_code, industry_code, officer_id),
    )
    return customer_id, open_account(connection, customer_id, name, AccountType.CURRENT)


def deposit(
    connection: sqlite3.Connection, context: Context, account_id: str, amount: Decimal
) -> None:
    """Cash in at the counter: the bank's funding account pays the customer's account."""
    fen = to_fen(amount)
    legs = [
        Leg(account_id, fen, TransactionKind.DEPOSIT, "现金存入"),
        Leg(FUNDING, -fen, TransactionKind.DEPOSIT, "Cash deposit"),
    ]
    post_entry(connection, context, TransactionKind.DEPOSIT, legs)


def withdraw(
    connection: sqlite3.Connection, context: Context, account_id: str, amount: Decimal
) -> None:
    """Cash out at the counter."""
    fen = to_fen(amount)
    legs = [
        Leg(account_id, -fen, TransactionKind.WITHDRAWAL, "现金支取"),
        Leg(FUNDING, fen, TransactionKind.WITHDRAWAL, "Cash withdrawal"),
    ]
    post_entry(connection, context, TransactionKind.WITHDRAWAL, legs)


def close_account(connection: sqlite3.Connection, account_id: str) -> None:
    connection.execute("UPDATE accounts SET status = 'closed' WHERE id = ?", (account_id,))


def add_external_account(connection: sqlite3.Connection, number: str, holder_name: str) -> None:
    connection.execute(
        "INSERT INTO external_accounts (number, holder_name) VALUES (?, ?)", (number, holder_name)
    )


def add_payee(
    connection: sqlite3.Connection, customer_id: str, alias: str, account_number: str
) -> str:
    payee_id = next_id(connection, "PY")
    connection.execute(
        "INSERT INTO payees (id, customer_id, alias, account_number) VALUES (?, ?, ?, ?)",
        (payee_id, customer_id, alias, account_number),
    )
    return payee_id


def add_biller(connection: sqlite3.Connection, biller: Biller) -> None:
    settlement = f"INT-BILL-{biller.code}"
    open_internal_account(connection, settlement, f"{biller.name} settlement")
    connection.execute(
        "INSERT INTO billers (code, name, bill_account_pattern, settlement_account_id)"
        " VALUES (?, ?, ?, ?)",
        (biller.code, biller.name, biller.bill_account_pattern, settlement),
    )
    _add_names(connection, "biller", biller.code, biller)


def add_product(connection: sqlite3.Connection, product: LoanProduct) -> None:
    connection.execute(
        "INSERT INTO products (code, name, min_amount_fen, max_amount_fen, min_term_months,"
        " max_term_months, annual_rate, allowed_methods, repayment)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            product.code,
            product.name,
            to_fen(product.min_amount),
            to_fen(product.max_amount),
            product.min_term_months,
            product.max_term_months,
            str(product.annual_rate),
            json.dumps([method.value for method in product.allowed_methods]),
            product.repayment.model_dump_json(),
        ),
    )


def set_repayment_terms(connection: sqlite3.Connection, code: str, terms: RepaymentTerms) -> None:
    """The product's rules for paying early (penalty interest, prepayment minimum and fee),
    read by every later quote and repayment of its loans."""
    updated = connection.execute(
        "UPDATE products SET repayment = ? WHERE code = ?", (terms.model_dump_json(), code)
    )
    if not updated.rowcount:
        raise NotFound("product")
