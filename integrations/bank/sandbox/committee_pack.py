"""The case pack's facts, read from what the visit and the worksheet recorded (the columns
`case_schema` declares), for the members of the case's committee and its presenter."""

from __future__ import annotations

import json
import sqlite3

from integrations.bank.committee_models import (
    CasePack,
    CheckInFact,
    ChecklistLine,
    DocumentFact,
    ReviewFact,
    WorksheetFact,
)
from integrations.bank.errors import Forbidden
from integrations.bank.sandbox.committee import case_row, committee_model, get_case
from integrations.bank.sandbox.context import Context, parse_time
from integrations.bank.sandbox.db import fetch_one
from integrations.bank.sandbox.leads import get_lead
from integrations.bank.sandbox.reference import get_product


def case_pack(
    connection: sqlite3.Connection, context: Context, case_id: str, viewer_id: str
) -> CasePack:
    case = case_row(connection, case_id)
    lead = get_lead(connection, case["lead_id"])
    committee_row = fetch_one(
        connection, "SELECT * FROM committees WHERE code = ?", (case["committee_code"],)
    )
    assert committee_row is not None  # committee_cases.committee_code references committees
    committee = committee_model(connection, committee_row)
    readers = {member.officer_id for member in committee.members} | {
        lead.officer_id,
        lead.co_officer_id,
    }
    if viewer_id not in readers:
        raise Forbidden("the case pack is for the committee and the lead's officers")
    lead_id = lead.id
    return CasePack(
        case=get_case(connection, case_id),
        lead=lead,
        committee=committee,
        annual_rate=get_product(connection, context.config.product_code).annual_rate,
        checklist=_checklist(connection, context, lead_id),
        check_ins=_check_ins(connection, lead_id),
        documents=_documents(connection, lead_id),
        worksheet=_worksheet(connection, lead_id, case["worksheet_version"]),
        review=_review(connection, lead_id, lead.co_officer_id, case["worksheet_version"]),
    )


def _checklist(
    connection: sqlite3.Connection, context: Context, lead_id: str
) -> list[ChecklistLine]:
    rows = connection.execute(
        "SELECT item_code, MAX(required) AS required, MAX(officer_id) AS officer_id,"
        " MAX(note) AS note, MAX(ticked) AS ticked FROM ("
        " SELECT item_code, 1 AS required, NULL AS officer_id, '' AS note, 0 AS ticked"
        " FROM checklist_requirements WHERE product_code = ?"
        " UNION ALL SELECT item_code, 0, officer_id, note, 1 FROM checklist_ticks"
        " WHERE lead_id = ?) GROUP BY item_code ORDER BY item_code",
        (context.config.product_code, lead_id),
    ).fetchall()
    return [
        ChecklistLine(
            item_code=row["item_code"],
            required=bool(row["required"]),
            ticked=bool(row["ticked"]),
            officer_id=row["officer_id"],
            note=row["note"] or "",
        )
        for row in rows
    ]


def _check_ins(connection: sqlite3.Connection, lead_id: str) -> list[CheckInFact]:
    rows = connection.execute(
        "SELECT * FROM check_ins WHERE lead_id = ? ORDER BY at, id", (lead_id,)
    ).fetchall()
    return [
        CheckInFact(
            officer_id=row["officer_id"],
            at=parse_time(row["at"]),
            distance_m=row["distance_m"],
            measured_from=row["measured_from"],
            within_limit=bool(row["within_limit"]),
            reason=row["reason"],
        )
        for row in rows
    ]


def _documents(connection: sqlite3.Connection, lead_id: str) -> list[DocumentFact]:
    rows = connection.execute(
        "SELECT d.*, EXISTS (SELECT 1 FROM documents o WHERE o.sha256 = d.sha256"
        " AND o.lead_id != d.lead_id) AS elsewhere FROM documents d WHERE d.lead_id = ?"
        " ORDER BY d.uploaded_at, d.id",
        (lead_id,),
    ).fetchall()
    return [
        DocumentFact(
            id=row["id"],
            kind=row["kind"],
            uploaded_by=row["uploaded_by"],
            uploaded_at=parse_time(row["uploaded_at"]),
            taken_at=parse_time(row["taken_at"]) if row["taken_at"] else None,
            exif_verdict=row["exif_verdict"],
            seen_on_other_lead=bool(row["elsewhere"]),
        )
        for row in rows
    ]


def _worksheet(connection: sqlite3.Connection, lead_id: str, version: int) -> WorksheetFact | None:
    row = fetch_one(
        connection,
        "SELECT * FROM worksheets WHERE lead_id = ? AND version = ?",
        (lead_id, version),
    )
    if row is None:
        return None
    try:
        body = json.loads(row["body"])
    except ValueError:
        body = {}
    return WorksheetFact(
        version=row["version"],
        officer_id=row["officer_id"],
        saved_at=parse_time(row["saved_at"]),
        body=body if isinstance(body, dict) else {},
    )


def _review(
    connection: sqlite3.Connection, lead_id: str, co_officer_id: str | None, version: int
) -> ReviewFact | None:
    if co_officer_id is None:
        return None
    row = fetch_one(
        connection,
        "SELECT * FROM worksheet_reviews WHERE lead_id = ? AND officer_id = ? AND version = ?",
        (lead_id, co_officer_id, version),
    )
    if row is None:
        return None
    return ReviewFact(
        officer_id=row["officer_id"],
        version=row["version"],
        verdict=row["verdict"],
        note=row["note"],
        at=parse_time(row["at"]),
    )
