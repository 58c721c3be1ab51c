"""Worksheets: versions saved by the lead's officer, and the co-investigator's review of the
latest version (双人调查), which the bank accepts only from the lead's co_officer_id once
they have checked in at the business (within the distance, or with a reason)."""

from __future__ import annotations

import json
import sqlite3

from integrations.bank.errors import (
    CheckInRequired,
    Forbidden,
    InvalidRequest,
    InvalidState,
    NotFound,
    StaleVersion,
)
from integrations.bank.models import LeadEventKind
from integrations.bank.sandbox.context import Context, parse_time
from integrations.bank.sandbox.db import fetch_one
from integrations.bank.sandbox.leads import CLOSED, lead_row, record
from integrations.bank.worksheet_models import (
    MAX_BODY_CHARS,
    ReviewVerdict,
    WorksheetReview,
    WorksheetReviewRequest,
    WorksheetSave,
    WorksheetVersion,
)


def save_worksheet(
    connection: sqlite3.Connection, context: Context, lead_id: str, save: WorksheetSave
) -> WorksheetVersion:
    lead = lead_row(connection, lead_id)
    if save.officer_id != lead["officer_id"]:
        raise Forbidden("only the lead's officer writes its worksheet")
    if lead["claimed_at"] is None or lead["status"] in CLOSED:
        raise InvalidState("the lead is not being investigated")
    body = json.dumps(save.body, ensure_ascii=False, sort_keys=True, default=str)
    if len(body) > MAX_BODY_CHARS:
        raise InvalidRequest(f"the worksheet is longer than {MAX_BODY_CHARS} characters")
    version = _latest_number(connection, lead_id) + 1
    connection.execute(
        "INSERT INTO worksheets (lead_id, version, officer_id, saved_at, body)"
        " VALUES (?, ?, ?, ?, ?)",
        (lead_id, version, save.officer_id, context.stamp, body),
    )
    kind = LeadEventKind.WORKSHEET_SAVED
    # in the lead's history only: a bank event would read to the merchant as a new status
    record(connection, context, lead["id"], kind, save.officer_id, f"v{version}")
    return _version(connection, lead_id, version)


def latest_worksheet(connection: sqlite3.Connection, lead_id: str) -> WorksheetVersion:
    lead_row(connection, lead_id)
    version = _latest_number(connection, lead_id)
    if version == 0:
        raise NotFound("worksheet")
    return _version(connection, lead_id, version)


def list_worksheets(connection: sqlite3.Connection, lead_id: str) -> list[WorksheetVersion]:
    lead_row(connection, lead_id)
    rows = connection.execute(
        "SELECT version FROM worksheets WHERE lead_id = ? ORDER BY version", (lead_id,)
    ).fetchall()
    return [_version(connection, lead_id, row["version"]) for row in rows]


def review_worksheet(
    connection: sqlite3.Connection,
    context: Context,
    lead_id: str,
    review: WorksheetReviewRequest,
) -> WorksheetReview:
    lead = lead_row(connection, lead_id)
    if lead["co_officer_id"] is None or review.officer_id != lead["co_officer_id"]:
        raise Forbidden("only the lead's co-investigator reviews its worksheet")
    if lead["status"] in CLOSED:
        raise InvalidState(f"the lead is {lead['status']}")
    latest = _latest_number(connection, lead_id)
    if latest == 0:
        raise NotFound("worksheet")
    if review.version != latest:
        raise StaleVersion(f"version {latest} is the latest")
    if not checked_in(connection, lead_id, review.officer_id):
        raise CheckInRequired("the co-investigator has not checked in at the business")
    connection.execute(
        "INSERT OR REPLACE INTO worksheet_reviews (lead_id, version, officer_id, verdict, note, at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (lead_id, latest, review.officer_id, review.verdict, review.note, context.stamp),
    )
    kind = LeadEventKind.WORKSHEET_REVIEWED
    note = f"v{latest} {review.verdict}" + (f": {review.note}" if review.note else "")
    record(connection, context, lead["id"], kind, review.officer_id, note)
    return _reviews(connection, lead_id, latest)[-1]


def checked_in(connection: sqlite3.Connection, lead_id: str, officer_id: str) -> bool:
    """A check-in at the business within the bank's distance, or farther with a reason."""
    row = fetch_one(
        connection,
        "SELECT 1 FROM check_ins WHERE lead_id = ? AND officer_id = ?"
        " AND (within_limit = 1 OR trim(reason) != '') LIMIT 1",
        (lead_id, officer_id),
    )
    return row is not None


def _latest_number(connection: sqlite3.Connection, lead_id: str) -> int:
    row = fetch_one(
        connection, "SELECT MAX(version) AS latest FROM worksheets WHERE lead_id = ?", (lead_id,)
    )
    return int(row["latest"]) if row is not None and row["latest"] is not None else 0


def _version(connection: sqlite3.Connection, lead_id: str, version: int) -> WorksheetVersion:
    row = fetch_one(
        connection,
        "SELECT * FROM worksheets WHERE lead_id = ? AND version = ?",
        (lead_id, version),
    )
    assert row is not None
    return WorksheetVersion(
        lead_id=lead_id,
        version=version,
        officer_id=row["officer_id"],
        saved_at=parse_time(row["saved_at"]),
        body=json.loads(row["body"]),
        reviews=_reviews(connection, lead_id, version),
    )


def _reviews(connection: sqlite3.Connection, lead_id: str, version: int) -> list[WorksheetReview]:
    rows = connection.execute(
        "SELECT * FROM worksheet_reviews WHERE lead_id = ? AND version = ? ORDER BY at",
        (lead_id, version),
    ).fetchall()
    return [
        WorksheetReview(
            lead_id=lead_id,
            version=version,
            officer_id=row["officer_id"],
            verdict=ReviewVerdict(row["verdict"]),
            note=row["note"],
            at=parse_time(row["at"]),
        )
        for row in rows
    ]
