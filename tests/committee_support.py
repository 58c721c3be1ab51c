"""Credit committee helpers for tests: the rows the visit and the worksheet write (inserted
directly, as those parts would), and a case carried through the committee's vote."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any

from integrations.bank.committee_models import (
    CommitteeCase,
    CommitteeSubmission,
    VoteKind,
    VoteRequest,
)
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox.context import Context

Admin = Callable[[Callable[[sqlite3.Connection, Context], Any]], Awaitable[Any]]
# a worksheet as the bot's form saves it (bot/domain/worksheet.py): 60,000 of sales a month
WORKSHEET_BODY = {
    "sales": {
        "good_day": "3000", "ordinary_day": "2000", "bad_day": "1000", "days_worked": 30,
        "good_days": 5, "bad_days": 5, "seasonality": "steady",
    },
    "product_lines": [{"name": "粮油", "share": "1", "margin": "0.25"}],
    "costs": {
        "rent": "3000", "wages": "2000", "utilities": "500", "transport": "300", "taxes": "200",
        "other": "0",
    },
    "household": {"spending": "4000", "other_income": "0"},
    "balance": {
        "cash_and_bank": "10000", "receivables": "0", "stock": "80000", "equipment": "20000",
        "other_business_assets": "0", "household_assets": "100000", "payables": "5000",
        "loans": {"balance": "0", "monthly_payment": "0"}, "other_liabilities": "0",
    },
}  # fmt: skip


def worksheet_row(
    lead_id: str, officer_id: str, version: int = 1, body: dict[str, Any] | None = None
) -> Callable[[sqlite3.Connection, Context], None]:
    def insert(connection: sqlite3.Connection, context: Context) -> None:
        connection.execute(
            "INSERT INTO worksheets (lead_id, version, officer_id, saved_at, body)"
            " VALUES (?, ?, ?, ?, ?)",
            (lead_id, version, officer_id, context.stamp, json.dumps(body or WORKSHEET_BODY)),
        )

    return insert


def check_in_row(
    lead_id: str, officer_id: str, *, within: bool = True, reason: str = ""
) -> Callable[[sqlite3.Connection, Context], None]:
    def insert(connection: sqlite3.Connection, context: Context) -> None:
        connection.execute(
            "INSERT INTO check_ins (id, lead_id, officer_id, at, latitude, longitude, live,"
            " distance_m, measured_from, within_limit, reason)"
            " VALUES (?, ?, ?, ?, 30.67, 104.06, 0, ?, 'district', ?, ?)",
            (
                f"CI{lead_id}{officer_id}", lead_id, officer_id, context.stamp,
                120 if within else 2400, int(within), reason,
            ),
        )  # fmt: skip

    return insert


def review_row(
    lead_id: str, officer_id: str, version: int = 1, verdict: str = "confirmed"
) -> Callable[[sqlite3.Connection, Context], None]:
    def insert(connection: sqlite3.Connection, context: Context) -> None:
        connection.execute(
            "INSERT INTO worksheet_reviews (lead_id, version, officer_id, verdict, note, at)"
            " VALUES (?, ?, ?, ?, '数字核对无误', ?)",
            (lead_id, version, officer_id, verdict, context.stamp),
        )

    return insert


def requirement_rows(*items: str) -> Callable[[sqlite3.Connection, Context], None]:
    """The product requires exactly these checklist items (in place of the seeded ones)."""

    def insert(connection: sqlite3.Connection, context: Context) -> None:
        connection.execute(
            "DELETE FROM checklist_requirements WHERE product_code = ?",
            (context.config.product_code,),
        )
        for item in items:
            connection.execute(
                "INSERT INTO checklist_requirements (product_code, item_code) VALUES (?, ?)",
                (context.config.product_code, item),
            )

    return insert


def tick_row(
    lead_id: str, officer_id: str, item: str
) -> Callable[[sqlite3.Connection, Context], None]:
    def insert(connection: sqlite3.Connection, context: Context) -> None:
        connection.execute(
            "INSERT INTO checklist_ticks (lead_id, item_code, officer_id, at, note)"
            " VALUES (?, ?, ?, ?, '已核实')",
            (lead_id, item, officer_id, context.stamp),
        )

    return insert


def ready_rows(lead_id: str, officer_id: str) -> Callable[[sqlite3.Connection, Context], None]:
    """A worksheet and a tick on every checklist item the product requires (the seeded
    sandbox requires some), as the officer's visit would leave them."""
    worksheet = worksheet_row(lead_id, officer_id)

    def insert(connection: sqlite3.Connection, context: Context) -> None:
        worksheet(connection, context)
        required = connection.execute(
            "SELECT item_code FROM checklist_requirements WHERE product_code = ?",
            (context.config.product_code,),
        ).fetchall()
        for (item,) in required:
            tick_row(lead_id, officer_id, item)(connection, context)

    return insert


async def member_ids(bank: BankAdapter, committee_code: str = "BRANCH") -> list[str]:
    """The committee's members, the chair first."""
    committees = {committee.code: committee for committee in await bank.list_committees()}
    return [member.officer_id for member in committees[committee_code].members]


async def approve_by_committee(
    bank: BankAdapter, admin: Admin, lead_id: str, officer_id: str
) -> CommitteeCase:
    """A claimed lead without a co-investigator, made ready, sent and approved by all."""
    await admin(ready_rows(lead_id, officer_id))
    case = await bank.send_to_committee(
        lead_id, CommitteeSubmission(officer_id=officer_id, recommendation="建议批准")
    )
    for member in await member_ids(bank, case.committee_code):
        case = await bank.cast_vote(case.id, VoteRequest(member_id=member, vote=VoteKind.APPROVE))
    return case
