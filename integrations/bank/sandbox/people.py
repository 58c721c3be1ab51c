"""Customers and officers: lookups and their models."""

from __future__ import annotations

import sqlite3

from integrations.bank.errors import Forbidden, NotFound
from integrations.bank.masking import mask_phone
from integrations.bank.models import Customer, Officer, StaffRole
from integrations.bank.sandbox.db import fetch_one


def customer_row_by_phone(connection: sqlite3.Connection, phone: str) -> sqlite3.Row | None:
    return fetch_one(connection, "SELECT * FROM customers WHERE phone = ?", (phone,))


def customer_model(row: sqlite3.Row) -> Customer:
    return Customer(
        id=row["id"],
        name=row["name"],
        phone=row["phone"],
        district_code=row["district_code"],
        industry_code=row["industry_code"],
        officer_id=row["officer_id"],
    )


def find_customer_by_phone(connection: sqlite3.Connection, phone: str) -> Customer:
    row = customer_row_by_phone(connection, phone)
    if row is None:
        raise NotFound("customer")
    return customer_model(row)


def get_customer(connection: sqlite3.Connection, customer_id: str) -> Customer:
    row = fetch_one(connection, "SELECT * FROM customers WHERE id = ?", (customer_id,))
    if row is None:
        raise NotFound("customer")
    return customer_model(row)


def officer_row(connection: sqlite3.Connection, officer_id: str) -> sqlite3.Row:
    row = fetch_one(connection, "SELECT * FROM officers WHERE id = ?", (officer_id,))
    if row is None:
        raise NotFound("officer")
    return row


def supervisor_row(connection: sqlite3.Connection, supervisor_id: str) -> sqlite3.Row:
    row = officer_row(connection, supervisor_id)
    if row["role"] != StaffRole.SUPERVISOR:
        raise Forbidden("only a supervisor may do this")
    return row


def supervised_territories(connection: sqlite3.Connection, supervisor_id: str) -> set[str]:
    rows = connection.execute(
        "SELECT DISTINCT territory_code FROM officers WHERE supervisor_id = ?", (supervisor_id,)
    ).fetchall()
    return {row["territory_code"] for row in rows}


def officer_model(row: sqlite3.Row) -> Officer:
    return Officer(
        id=row["id"],
        staff_code=row["staff_code"],
        name=row["name"],
        role=StaffRole(row["role"]),
        territory_code=row["territory_code"],
        industry_team_code=row["industry_team_code"],
        on_duty=bool(row["on_duty"]),
        supervisor_id=row["supervisor_id"],
        masked_phone=mask_phone(row["phone"]),
    )


def get_officer(connection: sqlite3.Connection, officer_id: str) -> Officer:
    return officer_model(officer_row(connection, officer_id))
