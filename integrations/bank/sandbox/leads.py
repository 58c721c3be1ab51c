"""Leads: submission with routing, the officer's queue, atomic claim, pass, reassign, status,
notes and visits. Every change is a lead event; changes of state are also bank events."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection

from integrations.bank.errors import (
    AlreadyClaimed,
    Forbidden,
    InvalidRequest,
    InvalidState,
    NotFound,
)
from integrations.bank.models import (
    Lead,
    LeadEvent,
    LeadEventKind,
    LeadStatus,
    LeadStatusChanged,
    LeadSubmission,
    StaffRole,
    StatusUpdate,
    VisitBooking,
)
from integrations.bank.money import from_fen, to_fen
from integrations.bank.sandbox.context import Context, iso, parse_time
from integrations.bank.sandbox.db import fetch_one, next_id
from integrations.bank.sandbox.events import emit
from integrations.bank.sandbox.people import (
    customer_row_by_phone,
    officer_row,
    supervised_territories,
    supervisor_row,
)
from integrations.bank.sandbox.routing import OfficerLoad, choose_officer

CLOSED = (LeadStatus.DECLINED, LeadStatus.WITHDRAWN, LeadStatus.DISBURSED)
UNCLAIMED = (LeadStatus.ROUTED, LeadStatus.UNASSIGNED)
OPEN = tuple(status for status in LeadStatus if status not in CLOSED)
_OPEN_SQL = ", ".join(f"'{status}'" for status in OPEN)


# --- reading -------------------------------------------------------------------------------


def lead_row(connection: sqlite3.Connection, lead_id: str) -> sqlite3.Row:
    row = fetch_one(connection, "SELECT * FROM leads WHERE id = ?", (lead_id,))
    if row is None:
        raise NotFound("lead")
    return row


def get_lead(connection: sqlite3.Connection, lead_id: str) -> Lead:
    return _lead_model(connection, lead_row(connection, lead_id))


def _lead_model(connection: sqlite3.Connection, row: sqlite3.Row) -> Lead:
    passed_by = [
        passed["officer_id"]
        for passed in connection.execute(
            "SELECT officer_id FROM lead_passes WHERE lead_id = ? ORDER BY rowid", (row["id"],)
        )
    ]
    return Lead(
        id=row["id"],
        status=LeadStatus(row["status"]),
        submitted_at=parse_time(row["submitted_at"]),
        applicant_name=row["applicant_name"],
        phone=row["phone"],
        customer_id=row["customer_id"],
        district_code=row["district_code"],
        territory_code=row["territory_code"],
        industry_code=row["industry_code"],
        amount=from_fen(row["amount_fen"]),
        term_months=row["term_months"],
        method=row["method"],
        purpose=row["purpose"],
        referral_code=row["referral_code"],
        score=row["score"],
        flags=json.loads(row["flags"]),
        details=json.loads(row["details"]),
        officer_id=row["officer_id"],
        co_officer_id=row["co_officer_id"],
        claimed_at=parse_time(row["claimed_at"]) if row["claimed_at"] else None,
        visit_at=parse_time(row["visit_at"]) if row["visit_at"] else None,
        passed_by=passed_by,
    )


def list_lead_events(connection: sqlite3.Connection, lead_id: str) -> list[LeadEvent]:
    lead_row(connection, lead_id)
    rows = connection.execute(
        "SELECT * FROM lead_events WHERE lead_id = ? ORDER BY id", (lead_id,)
    ).fetchall()
    return [
        LeadEvent(
            id=row["id"],
            lead_id=row["lead_id"],
            at=parse_time(row["at"]),
            kind=LeadEventKind(row["kind"]),
            actor_id=row["actor_id"],
            status=LeadStatus(row["status"]),
            officer_id=row["officer_id"],
            note=row["note"],
        )
        for row in rows
    ]


def officer_queue(connection: sqlite3.Connection, officer_id: str) -> list[Lead]:
    officer_row(connection, officer_id)
    rows = connection.execute(
        "SELECT * FROM leads WHERE (officer_id = ? OR co_officer_id = ?)"
        f" AND status IN ({_OPEN_SQL}) ORDER BY submitted_at, id",
        (officer_id, officer_id),
    ).fetchall()
    return [_lead_model(connection, row) for row in rows]


def unclaimed_leads(connection: sqlite3.Connection, supervisor_id: str) -> list[Lead]:
    supervisor_row(connection, supervisor_id)
    territories = sorted(supervised_territories(connection, supervisor_id))
    marks = ", ".join("?" for _ in territories)
    rows = connection.execute(
        f"SELECT * FROM leads WHERE territory_code IN ({marks}) AND status IN (?, ?)"
        " ORDER BY submitted_at, id",
        (*territories, *UNCLAIMED),
    ).fetchall()
    return [_lead_model(connection, row) for row in rows]


# --- submission and routing -------------------------------------------------------------------


def submit_lead(
    connection: sqlite3.Connection, context: Context, submission: LeadSubmission
) -> Lead:
    district = connection.execute(
        "SELECT territory_code FROM districts WHERE code = ?", (submission.district_code,)
    ).fetchone()
    if district is None:
        raise InvalidRequest(f"unknown district {submission.district_code!r}")
    if _team_of(connection, submission.industry_code) is None:
        raise InvalidRequest(f"unknown industry {submission.industry_code!r}")
    customer = customer_row_by_phone(connection, submission.phone)
    lead_id = next_id(connection, "LD")
    connection.execute(
        "INSERT INTO leads (id, status, submitted_at, applicant_name, phone, customer_id,"
        " district_code, territory_code, industry_code, amount_fen, term_months, method,"
        " purpose, referral_code, score, flags, details)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            lead_id,
            LeadStatus.UNASSIGNED,
            context.stamp,
            submission.applicant_name,
            submission.phone,
            customer["id"] if customer else None,
            submission.district_code,
            district["territory_code"],
            submission.industry_code,
            to_fen(submission.amount),
            submission.term_months,
            submission.method,
            submission.purpose,
            submission.referral_code,
            submission.score,
            json.dumps(submission.flags),
            json.dumps(submission.details, ensure_ascii=False, default=str),
        ),
    )
    _log(connection, context, lead_id, LeadEventKind.SUBMITTED, actor_id=None)
    _route(connection, context, lead_id)
    return get_lead(connection, lead_id)


def _team_of(connection: sqlite3.Connection, industry_code: str) -> str | None:
    row = fetch_one(connection, "SELECT team_code FROM industries WHERE code = ?", (industry_code,))
    return row["team_code"] if row else None


def _officer_loads(connection: sqlite3.Connection) -> list[OfficerLoad]:
    rows = connection.execute(
        "SELECT o.*, (SELECT COUNT(*) FROM leads l WHERE (l.officer_id = o.id"
        f" OR l.co_officer_id = o.id) AND l.status IN ({_OPEN_SQL})) AS open_leads"
        " FROM officers o WHERE o.role = ?",
        (StaffRole.OFFICER,),
    ).fetchall()
    return [
        OfficerLoad(
            row["id"],
            row["territory_code"],
            row["industry_team_code"],
            bool(row["on_duty"]),
            row["open_leads"],
        )
        for row in rows
    ]


def _passers(connection: sqlite3.Connection, lead_id: str) -> set[str]:
    rows = connection.execute("SELECT officer_id FROM lead_passes WHERE lead_id = ?", (lead_id,))
    return {row["officer_id"] for row in rows}


def _route(connection: sqlite3.Connection, context: Context, lead_id: str) -> None:
    """Offer the lead: the customer's own officer, else by territory, team and load; above the
    threshold a second officer joins for the joint investigation (双人调查)."""
    lead = lead_row(connection, lead_id)
    passed = _passers(connection, lead_id)
    primary = _existing_officer(connection, lead, passed) or _pick(
        connection, lead, passed | {lead["co_officer_id"]}
    )
    co_officer = None
    if primary is not None and _needs_second_officer(context, lead):
        kept = lead["co_officer_id"]
        co_officer = (
            kept if kept and kept != primary else _pick(connection, lead, passed | {primary})
        )
    status = LeadStatus.ROUTED if primary else LeadStatus.UNASSIGNED
    connection.execute(
        "UPDATE leads SET officer_id = ?, co_officer_id = ?, claimed_at = NULL, status = ?"
        " WHERE id = ?",
        (primary, co_officer, status, lead_id),
    )
    _log(connection, context, lead_id, LeadEventKind.ROUTED, actor_id=None)


def _existing_officer(
    connection: sqlite3.Connection, lead: sqlite3.Row, passed: set[str]
) -> str | None:
    if lead["customer_id"] is None:
        return None
    row = fetch_one(
        connection, "SELECT officer_id FROM customers WHERE id = ?", (lead["customer_id"],)
    )
    officer_id: str | None = row["officer_id"] if row else None
    return officer_id if officer_id not in passed else None


def _pick(
    connection: sqlite3.Connection, lead: sqlite3.Row, exclude: Collection[str | None]
) -> str | None:
    team = _team_of(connection, lead["industry_code"]) or ""
    excluded = {officer for officer in exclude if officer}
    return choose_officer(_officer_loads(connection), lead["territory_code"], team, excluded)


def _needs_second_officer(context: Context, lead: sqlite3.Row) -> bool:
    return from_fen(lead["amount_fen"]) > context.config.joint_investigation_threshold


# --- officers acting on a lead -------------------------------------------------------------------


def claim_lead(
    connection: sqlite3.Connection, context: Context, lead_id: str, officer_id: str
) -> Lead:
    officer = officer_row(connection, officer_id)
    lead = lead_row(connection, lead_id)
    if lead["claimed_at"] is not None:
        if lead["officer_id"] == officer_id:
            return get_lead(connection, lead_id)
        raise _already_claimed(connection, lead["officer_id"])
    _require_open(lead)
    _require_may_claim(connection, officer, lead)
    co_officer = (
        lead["officer_id"] if lead["co_officer_id"] == officer_id else lead["co_officer_id"]
    )
    claimed = connection.execute(
        "UPDATE leads SET officer_id = ?, co_officer_id = ?, claimed_at = ?, status = ?"
        " WHERE id = ? AND claimed_at IS NULL",
        (officer_id, co_officer, context.stamp, LeadStatus.CLAIMED, lead_id),
    )
    if claimed.rowcount != 1:
        raise _already_claimed(connection, lead_row(connection, lead_id)["officer_id"])
    _log(connection, context, lead_id, LeadEventKind.CLAIMED, actor_id=officer_id)
    return get_lead(connection, lead_id)


def _already_claimed(connection: sqlite3.Connection, winner_id: str) -> AlreadyClaimed:
    return AlreadyClaimed(winner_id, officer_row(connection, winner_id)["name"])


def _require_open(lead: sqlite3.Row) -> None:
    if lead["status"] in CLOSED:
        raise InvalidState(f"the lead is {lead['status']}")


def _require_may_claim(
    connection: sqlite3.Connection, officer: sqlite3.Row, lead: sqlite3.Row
) -> None:
    offered = officer["id"] in (lead["officer_id"], lead["co_officer_id"])
    same_territory = officer["territory_code"] == lead["territory_code"]
    supervises = officer["role"] == StaffRole.SUPERVISOR and lead[
        "territory_code"
    ] in supervised_territories(connection, officer["id"])
    if not (offered or same_territory or supervises):
        raise Forbidden("the lead belongs to another territory")


def _require_working_on(lead: sqlite3.Row, officer_id: str) -> None:
    if officer_id not in (lead["officer_id"], lead["co_officer_id"]):
        raise Forbidden("the lead is not yours")
    _require_open(lead)


def _require_claimed_by_team(lead: sqlite3.Row, officer_id: str) -> None:
    _require_working_on(lead, officer_id)
    if lead["claimed_at"] is None:
        raise InvalidState("claim the lead first")


def pass_lead(
    connection: sqlite3.Connection, context: Context, lead_id: str, officer_id: str, reason: str
) -> Lead:
    lead = lead_row(connection, lead_id)
    _require_working_on(lead, officer_id)
    connection.execute(
        "INSERT INTO lead_passes (lead_id, officer_id, reason, at) VALUES (?, ?, ?, ?)",
        (lead_id, officer_id, reason, context.stamp),
    )
    _log(connection, context, lead_id, LeadEventKind.PASSED, actor_id=officer_id, note=reason)
    if officer_id == lead["co_officer_id"]:
        _replace_co_officer(connection, context, lead)
    else:
        _route(connection, context, lead_id)
    return get_lead(connection, lead_id)


def _replace_co_officer(
    connection: sqlite3.Connection, context: Context, lead: sqlite3.Row
) -> None:
    exclude = _passers(connection, lead["id"]) | {lead["officer_id"]}
    connection.execute(
        "UPDATE leads SET co_officer_id = ? WHERE id = ?",
        (_pick(connection, lead, exclude), lead["id"]),
    )
    _log(connection, context, lead["id"], LeadEventKind.ROUTED, actor_id=None)


def reassign_lead(
    connection: sqlite3.Connection,
    context: Context,
    lead_id: str,
    supervisor_id: str,
    officer_id: str,
) -> Lead:
    supervisor_row(connection, supervisor_id)
    target = officer_row(connection, officer_id)
    lead = lead_row(connection, lead_id)
    territories = supervised_territories(connection, supervisor_id)
    if target["supervisor_id"] != supervisor_id or lead["territory_code"] not in territories:
        raise Forbidden("the lead or the officer is outside your team")
    _require_open(lead)
    co_officer = None if lead["co_officer_id"] == officer_id else lead["co_officer_id"]
    connection.execute(
        "UPDATE leads SET officer_id = ?, co_officer_id = ?, claimed_at = NULL, status = ?"
        " WHERE id = ?",
        (officer_id, co_officer, LeadStatus.ROUTED, lead_id),
    )
    _log(connection, context, lead_id, LeadEventKind.REASSIGNED, actor_id=supervisor_id)
    return get_lead(connection, lead_id)


def update_lead_status(
    connection: sqlite3.Connection, context: Context, lead_id: str, update: StatusUpdate
) -> Lead:
    lead = lead_row(connection, lead_id)
    _require_claimed_by_team(lead, update.officer_id)
    connection.execute("UPDATE leads SET status = ? WHERE id = ?", (update.status, lead_id))
    _log(
        connection,
        context,
        lead_id,
        LeadEventKind.STATUS_CHANGED,
        actor_id=update.officer_id,
        note=update.note,
    )
    return get_lead(connection, lead_id)


def add_lead_note(
    connection: sqlite3.Connection, context: Context, lead_id: str, officer_id: str, note: str
) -> Lead:
    _require_working_on(lead_row(connection, lead_id), officer_id)
    _log(connection, context, lead_id, LeadEventKind.NOTE, actor_id=officer_id, note=note)
    return get_lead(connection, lead_id)


def book_visit(
    connection: sqlite3.Connection, context: Context, lead_id: str, booking: VisitBooking
) -> Lead:
    lead = lead_row(connection, lead_id)
    _require_claimed_by_team(lead, booking.officer_id)
    connection.execute(
        "UPDATE leads SET visit_at = ?, status = ? WHERE id = ?",
        (iso(booking.at), LeadStatus.VISIT_BOOKED, lead_id),
    )
    _log(
        connection,
        context,
        lead_id,
        LeadEventKind.VISIT_BOOKED,
        actor_id=booking.officer_id,
        note=booking.note,
    )
    return get_lead(connection, lead_id)


def mark_disbursed(
    connection: sqlite3.Connection,
    context: Context,
    lead_id: str,
    officer_id: str,
    customer_id: str,
    note: str,
) -> None:
    connection.execute(
        "UPDATE leads SET status = ?, customer_id = ? WHERE id = ?",
        (LeadStatus.DISBURSED, customer_id, lead_id),
    )
    _log(connection, context, lead_id, LeadEventKind.DISBURSED, actor_id=officer_id, note=note)


def record(
    connection: sqlite3.Connection,
    context: Context,
    lead_id: str,
    kind: LeadEventKind,
    actor_id: str | None,
    note: str,
    *,
    status_changed: bool = False,
) -> None:
    """A lead event; a change of the lead's status also goes out as a bank event."""
    lead = lead_row(connection, lead_id)
    connection.execute(
        "INSERT INTO lead_events (lead_id, at, kind, actor_id, status, officer_id, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (lead_id, context.stamp, kind, actor_id, lead["status"], lead["officer_id"], note),
    )
    if status_changed:
        emit(
            connection,
            context,
            LeadStatusChanged,
            lead_id=lead_id,
            status=LeadStatus(lead["status"]),
            officer_id=lead["officer_id"],
            co_officer_id=lead["co_officer_id"],
            note=note,
        )


def _log(
    connection: sqlite3.Connection,
    context: Context,
    lead_id: str,
    kind: LeadEventKind,
    actor_id: str | None,
    note: str = "",
) -> None:
    """A lead event; every kind but a note also goes out as a bank event."""
    status_changed = kind not in (LeadEventKind.NOTE, LeadEventKind.SUBMITTED)
    record(connection, context, lead_id, kind, actor_id, note, status_changed=status_changed)
