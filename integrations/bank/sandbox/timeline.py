"""A lead's timeline: its history events, evidence documents, worksheet versions, committee
votes, offers and the acceptance, oldest first, read from the case tables' declared
columns (each owned by another module; this one only reads)."""

from __future__ import annotations

import sqlite3

from integrations.bank.money import from_fen
from integrations.bank.offer_models import TimelineEntry, TimelineKind
from integrations.bank.sandbox.context import parse_time
from integrations.bank.sandbox.leads import lead_row


def lead_timeline(connection: sqlite3.Connection, lead_id: str) -> list[TimelineEntry]:
    lead_row(connection, lead_id)
    entries = [
        *_lead_events(connection, lead_id),
        *_documents(connection, lead_id),
        *_worksheets(connection, lead_id),
        *_votes(connection, lead_id),
        *_offers(connection, lead_id),
    ]
    return sorted(entries, key=lambda entry: entry.at)


def _rows(connection: sqlite3.Connection, sql: str, lead_id: str) -> list[sqlite3.Row]:
    return connection.execute(sql, (lead_id,)).fetchall()


def _lead_events(connection: sqlite3.Connection, lead_id: str) -> list[TimelineEntry]:
    sql = "SELECT at, kind, actor_id, status, note FROM lead_events WHERE lead_id = ? ORDER BY id"
    return [
        TimelineEntry(
            at=parse_time(row["at"]),
            kind=TimelineKind.LEAD_EVENT,
            actor_id=row["actor_id"],
            detail=row["kind"],
            status=row["status"],
            note=row["note"],
        )
        for row in _rows(connection, sql, lead_id)
    ]


def _documents(connection: sqlite3.Connection, lead_id: str) -> list[TimelineEntry]:
    sql = "SELECT uploaded_at, kind, uploaded_by, exif_verdict FROM documents WHERE lead_id = ?"
    return [
        TimelineEntry(
            at=parse_time(row["uploaded_at"]),
            kind=TimelineKind.DOCUMENT,
            actor_id=row["uploaded_by"],
            detail=row["kind"],
            status=row["exif_verdict"],
        )
        for row in _rows(connection, sql, lead_id)
    ]


def _worksheets(connection: sqlite3.Connection, lead_id: str) -> list[TimelineEntry]:
    sql = "SELECT saved_at, version, officer_id FROM worksheets WHERE lead_id = ?"
    return [
        TimelineEntry(
            at=parse_time(row["saved_at"]),
            kind=TimelineKind.WORKSHEET,
            actor_id=row["officer_id"],
            version=row["version"],
        )
        for row in _rows(connection, sql, lead_id)
    ]


def _votes(connection: sqlite3.Connection, lead_id: str) -> list[TimelineEntry]:
    sql = (
        "SELECT v.at, v.member_id, v.vote, v.note, v.amount_fen, v.term_months"
        " FROM committee_votes v JOIN committee_cases c ON c.id = v.case_id"
        " WHERE c.lead_id = ? ORDER BY v.id"
    )
    return [
        TimelineEntry(
            at=parse_time(row["at"]),
            kind=TimelineKind.VOTE,
            actor_id=row["member_id"],
            detail=row["vote"],
            note=row["note"],
            amount=from_fen(row["amount_fen"]) if row["amount_fen"] else None,
            term_months=row["term_months"],
        )
        for row in _rows(connection, sql, lead_id)
    ]


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
