"""The visit at the bank: check-ins under the distance rule, and the pre-loan checklist.

Officers on a claimed lead only (the officer or the co-investigator). A successful check-in
moves a lead not yet visited to `visited`; every check-in and tick is in the lead's history.
"""

from __future__ import annotations

import json
import sqlite3

from bot.domain.fieldwork import CHECKLIST, CHECKLIST_CODES, Point, distance_m
from integrations.bank.errors import InvalidRequest, InvalidState, TooFarToCheckIn
from integrations.bank.fieldwork_models import (
    CheckIn,
    CheckInRequest,
    Checklist,
    ChecklistEntry,
    ChecklistTickRequest,
)
from integrations.bank.models import LeadEventKind, LeadStatus
from integrations.bank.sandbox.context import Context, parse_time
from integrations.bank.sandbox.db import fetch_one, next_id
from integrations.bank.sandbox.leads import _log, _require_claimed_by_team, lead_row, record

NOT_YET_VISITED = (LeadStatus.CLAIMED, LeadStatus.CONTACTED, LeadStatus.VISIT_BOOKED)


def business_place(connection: sqlite3.Connection, lead: sqlite3.Row) -> tuple[Point, str]:
    """Where the business is: the location the merchant shared when applying, else the
    centre of the lead's district."""
    shared = json.loads(lead["details"]).get("location")
    if isinstance(shared, dict):
        try:
            return Point(float(shared["latitude"]), float(shared["longitude"])), "merchant"
        except (KeyError, TypeError, ValueError):
            pass
    district = fetch_one(
        connection,
        "SELECT latitude, longitude FROM districts WHERE code = ?",
        (lead["district_code"],),
    )
    assert district is not None  # leads.district_code is checked at submission
    return Point(district["latitude"], district["longitude"]), "district"


def check_in(
    connection: sqlite3.Connection, context: Context, lead_id: str, request: CheckInRequest
) -> CheckIn:
    lead = lead_row(connection, lead_id)
    _require_claimed_by_team(lead, request.officer_id)
    if lead["visit_at"] is None:
        raise InvalidState("book the visit first")
    place, measured_from = business_place(connection, lead)
    distance = distance_m(Point(request.latitude, request.longitude), place)
    limit = context.config.check_in_radius_m
    reason = request.reason.strip()
    if distance > limit and not reason:
        raise TooFarToCheckIn(distance, limit)
    check_in_id = next_id(connection, "CI")
    connection.execute(
        "INSERT INTO check_ins (id, lead_id, officer_id, at, latitude, longitude, live,"
        " distance_m, measured_from, within_limit, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (
            check_in_id, lead_id, request.officer_id, context.stamp, request.latitude,
            request.longitude, int(request.live), distance, measured_from,
            int(distance <= limit), reason if distance > limit else "",
        ),
    )  # fmt: skip
    note = f"{distance} m" + (f": {reason}" if distance > limit else "")
    if lead["status"] in NOT_YET_VISITED:
        connection.execute(
            "UPDATE leads SET status = ? WHERE id = ?", (LeadStatus.VISITED, lead_id)
        )
        _log(connection, context, lead_id, LeadEventKind.CHECKED_IN, request.officer_id, note)
    else:
        record(connection, context, lead_id, LeadEventKind.CHECKED_IN, request.officer_id, note)
    return _check_in_model(
        fetch_one(connection, "SELECT * FROM check_ins WHERE id = ?", (check_in_id,))
    )


def list_check_ins(connection: sqlite3.Connection, lead_id: str) -> list[CheckIn]:
    lead_row(connection, lead_id)
    rows = connection.execute(
        "SELECT * FROM check_ins WHERE lead_id = ? ORDER BY at, id", (lead_id,)
    ).fetchall()
    return [_check_in_model(row) for row in rows]


def _check_in_model(row: sqlite3.Row | None) -> CheckIn:
    assert row is not None
    return CheckIn(
        id=row["id"],
        lead_id=row["lead_id"],
        officer_id=row["officer_id"],
        at=parse_time(row["at"]),
        latitude=row["latitude"],
        longitude=row["longitude"],
        live=bool(row["live"]),
        distance_m=row["distance_m"],
        measured_from=row["measured_from"],
        within_limit=bool(row["within_limit"]),
        reason=row["reason"],
    )


# --- the checklist ----------------------------------------------------------------------------


def get_checklist(connection: sqlite3.Connection, context: Context, lead_id: str) -> Checklist:
    lead_row(connection, lead_id)
    product = context.config.product_code
    required = {
        row["item_code"]
        for row in connection.execute(
            "SELECT item_code FROM checklist_requirements WHERE product_code = ?", (product,)
        )
    }
    ticks = {
        row["item_code"]: row
        for row in connection.execute("SELECT * FROM checklist_ticks WHERE lead_id = ?", (lead_id,))
    }
    entries = []
    for item in CHECKLIST:
        tick = ticks.get(item.code)
        entries.append(
            ChecklistEntry(
                code=item.code,
                group=item.group,
                required=item.code in required,
                ticked=tick is not None,
                note=tick["note"] if tick else "",
                officer_id=tick["officer_id"] if tick else None,
                at=parse_time(tick["at"]) if tick else None,
            )
        )
    return Checklist(lead_id=lead_id, product_code=product, items=entries)


def tick_checklist(
    connection: sqlite3.Connection, context: Context, lead_id: str, tick: ChecklistTickRequest
) -> Checklist:
    if tick.item_code not in CHECKLIST_CODES:
        raise InvalidRequest("no such checklist item")
    _require_claimed_by_team(lead_row(connection, lead_id), tick.officer_id)
    if tick.done:
        connection.execute(
            "INSERT INTO checklist_ticks (lead_id, item_code, officer_id, at, note)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (lead_id, item_code) DO UPDATE SET"
            " officer_id = excluded.officer_id, at = excluded.at, note = excluded.note",
            (lead_id, tick.item_code, tick.officer_id, context.stamp, tick.note.strip()),
        )
    else:
        connection.execute(
            "DELETE FROM checklist_ticks WHERE lead_id = ? AND item_code = ?",
            (lead_id, tick.item_code),
        )
    note = f"{tick.item_code} {'✓' if tick.done else '✗'} {tick.note.strip()}".strip()
    record(connection, context, lead_id, LeadEventKind.CHECKLIST_TICKED, tick.officer_id, note)
    return get_checklist(connection, context, lead_id)


def require_items(connection: sqlite3.Connection, product_code: str, codes: list[str]) -> None:
    """The items a product requires before committee (seeding and back-office setup)."""
    connection.executemany(
        "INSERT OR IGNORE INTO checklist_requirements (product_code, item_code) VALUES (?, ?)",
        [(product_code, code) for code in codes],
    )


# the micro-loan's items before committee: the checks a micro business can give, the looks
# at the premises, the round of visits, and the confirmations the committee asks first
MICRO_REQUIRED_ITEMS = [
    "tax", "electricity", "bank_accounts", "credit_bureau",
    "papers", "books_stock", "site",
    "round",
    "operation", "cash_flow", "books_true",
]  # fmt: skip


def seed_fieldwork(connection: sqlite3.Connection, product_code: str) -> None:
    require_items(connection, product_code, MICRO_REQUIRED_ITEMS)
