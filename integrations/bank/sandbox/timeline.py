"""A lead's timeline: its history events, evidence documents, worksheet versions, committee
votes, offers and the acceptance, oldest first, read from the case tables' declared
columns (each owned by another module; this one only reads)."""

from __future__ import annotations

import sqlite3

from integrations.bank.money import from_fen
from integrations.bank.offer_models import TimelineEntry, TimelineKind
from integrations.bank.sandbox.context import parse_time
from integrations.bank.sandbox.leads import lead_row

# One query a single-entry source, its columns named as TimelineEntry's fields (`at` the time
# as stored, `amount_fen` the amount in fen); its kind beside it.
_SOURCES: tuple[tuple[TimelineKind, str], ...] = (
    (TimelineKind.LEAD_EVENT,
     "SELECT at, actor_id, kind AS detail, status, note FROM lead_events"
     " WHERE lead_id = ? ORDER BY id"),
    (TimelineKind.DOCUMENT,
     "SELECT uploaded_at AS at, uploaded_by AS actor_id, kind AS detail,"
     " exif_verdict AS status FROM documents WHERE lead_id = ?"),
    (TimelineKind.WORKSHEET,
     "SELECT saved_at AS at, officer_id AS actor_id, version FROM worksheets WHERE lead_id = ?"),
    (TimelineKind.VOTE,
     "SELECT v.at, v.member_id AS actor_id, v.vote AS detail, v.note, v.amount_fen,"
     " v.term_months FROM committee_votes v JOIN committee_cases c ON c.id = v.case_id"
     " WHERE c.lead_id = ? ORDER BY v.id"),
)  # fmt: skip


def lead_timeline(connection: sqlite3.Connection, lead_id: str) -> list[TimelineEntry]:
    lead_row(connection, lead_id)
    entries = [
        _entry(kind, row) for kind, sql in _SOURCES for row in _rows(connection, sql, lead_id)
    ]
    return sorted([*entries, *_offers(connection, lead_id)], key=lambda entry: entry.at)


def _rows(connection: sqlite3.Connection, sql: str, lead_id: str) -> list[sqlite3.Row]:
    return connection.execute(sql, (lead_id,)).fetchall()


def _entry(kind: TimelineKind, row: sqlite3.Row) -> TimelineEntry:
    fields = dict(row)
    at, amount_fen = fields.pop("at"), fields.pop("amount_fen", None)
    amount = from_fen(amount_fen) if amount_fen else None
    return TimelineEntry(at=parse_time(at), kind=kind, amount=amount, **fields)


def _offers(connection: sqlite3.Connection, lead_id: str) -> list[TimelineEntry]:
    sql = (
        "SELECT created_at, amount_fen, term_months, status, accepted_at, loan_id"
        " FROM offers WHERE lead_id = ? ORDER BY id"
    )
    entries = []
    for row in _rows(connection, sql, lead_id):
        amount = from_fen(row["amount_fen"])
        entries.append(
            TimelineEntry(
                at=parse_time(row["created_at"]),
                kind=TimelineKind.OFFER,
                actor_id=None,
                status=row["status"],
                amount=amount,
                term_months=row["term_months"],
            )
        )
        if row["accepted_at"]:
            entries.append(
                TimelineEntry(
                    at=parse_time(row["accepted_at"]),
                    kind=TimelineKind.ACCEPTANCE,
                    actor_id=None,
                    note=row["loan_id"] or "",
                    amount=amount,
                    term_months=row["term_months"],
                )
            )
    return entries
