"""The credit committee's decisions as its branch writes them (committees, committee_cases,
a vote, the lead's status with its history row and bank event), so that offer tests can
start from an approved or declined case."""

from __future__ import annotations

import sqlite3

from integrations.bank.models import LeadStatus, LeadStatusChanged
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import next_id
from integrations.bank.sandbox.events import emit
from integrations.bank.sandbox.offers import open_offer

COMMITTEE = "BRANCH"


def _case(
    connection: sqlite3.Connection, context: Context, lead_id: str, status: str, **decided: object
) -> str:
    connection.execute(
        "INSERT OR IGNORE INTO committees (code, name, max_amount_fen, members_needed,"
        " approvals_needed, sla_hours) VALUES (?, '支行贷审会', 20000000, 3, 2, 8)",
        (COMMITTEE,),
    )
    lead = connection.execute(
        "SELECT officer_id, amount_fen, term_months, method FROM leads WHERE id = ?", (lead_id,)
    ).fetchone()
    case_id = next_id(connection, "CC")
    connection.execute(
        "INSERT INTO committee_cases (id, lead_id, committee_code, presented_by, presented_at,"
        " worksheet_version, amount_fen, term_months, method, recommendation, status,"
        " decided_at, decided_amount_fen, decided_term_months, decline_reason, shared_note)"
        " VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, 'approve', ?, ?, ?, ?, ?, ?)",
        (case_id, lead_id, COMMITTEE, lead["officer_id"], context.stamp, lead["amount_fen"],
         lead["term_months"], lead["method"], status, context.stamp,
         decided.get("amount_fen"), decided.get("term_months"), decided.get("reason"),
         decided.get("note")),
    )  # fmt: skip
    connection.execute(
        "INSERT INTO committee_votes (case_id, member_id, vote, note, at, current)"
        " VALUES (?, ?, ?, '', ?, 1)",
        (case_id, "OF000001", "approve" if status == "approved" else "decline", context.stamp),
    )
    connection.execute("UPDATE leads SET status = ? WHERE id = ?", (status, lead_id))
    connection.execute(
        "INSERT INTO lead_events (lead_id, at, kind, actor_id, status, officer_id, note)"
        " VALUES (?, ?, 'status_changed', NULL, ?, ?, '')",
        (lead_id, context.stamp, status, lead["officer_id"]),
    )
    row = connection.execute("SELECT co_officer_id FROM leads WHERE id = ?", (lead_id,)).fetchone()
    emit(connection, context, LeadStatusChanged, lead_id=lead_id, status=LeadStatus(status),
         officer_id=lead["officer_id"], co_officer_id=row["co_officer_id"], note="")  # fmt: skip
    return case_id


def approve(
    connection: sqlite3.Connection,
    context: Context,
    lead_id: str,
    amount_fen: int | None = None,
    term_months: int | None = None,
) -> str:
    """Approve the lead's case (on changed terms when given) and open its offer."""
    case_id = _case(
        connection, context, lead_id, "approved", amount_fen=amount_fen, term_months=term_months
    )
    return open_offer(connection, context, case_id)


def decline(
    connection: sqlite3.Connection, context: Context, lead_id: str, reason: str, note: str | None
) -> str:
    return _case(connection, context, lead_id, "declined", reason=reason, note=note)
