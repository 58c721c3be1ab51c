"""The bank's event feed: an append-only table read with a cursor (the last sequence seen)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from pydantic import TypeAdapter

from integrations.bank.errors import InvalidRequest
from integrations.bank.models import BankEvent, EventPage, Model
from integrations.bank.sandbox.context import Context

_EVENT: TypeAdapter[BankEvent] = TypeAdapter(BankEvent)
_ENVELOPE = {"id", "at", "type"}
MAX_PAGE = 500


def emit(
    connection: sqlite3.Connection, context: Context, event_type: type[Model], **fields: Any
) -> None:
    """Validate the event now (a placeholder id) and store it without its envelope."""
    event = event_type(id="pending", at=context.now, **fields)
    body = event.model_dump_json(exclude=_ENVELOPE)
    connection.execute(
        "INSERT INTO bank_events (type, at, body) VALUES (?, ?, ?)",
        (event_type.model_fields["type"].default, context.stamp, body),
    )


def list_events(connection: sqlite3.Connection, after: str | None, limit: int) -> EventPage:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
    rows = connection.execute(
        "SELECT * FROM bank_events WHERE seq > ? ORDER BY seq LIMIT ?",
        (_sequence(after), limit),
    ).fetchall()
    events = [_event(row) for row in rows]
    next_cursor = str(rows[-1]["seq"]) if rows else after
    return EventPage(events=events, next_cursor=next_cursor)


def _sequence(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise InvalidRequest("malformed cursor")
    return int(cursor)


def _event(row: sqlite3.Row) -> BankEvent:
    envelope = {"id": f"EV{row['seq']:06d}", "at": row["at"], "type": row["type"]}
    return _EVENT.validate_python({**json.loads(row["body"]), **envelope})
