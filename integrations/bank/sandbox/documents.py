"""The document store: evidence files on disk under the sandbox's data directory, their
metadata in SQLite (kind, sha256, size, type, who, when, the EXIF fields and verdict).

The same file (same sha256) on another lead is a red flag: the answer names those leads and
both leads' histories record it.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from bot.domain.fieldwork import ExifFacts, ExifVerdict, distance_m, exif_verdict
from integrations.bank.errors import DocumentRefused, NotFound
from integrations.bank.fieldwork_models import (
    Document,
    DocumentKind,
    DocumentUpload,
    SameFile,
)
from integrations.bank.models import LeadEventKind
from integrations.bank.sandbox.context import Context, iso, parse_time
from integrations.bank.sandbox.db import fetch_one, next_id
from integrations.bank.sandbox.exif import content_type, read_exif
from integrations.bank.sandbox.fieldwork import business_place
from integrations.bank.sandbox.leads import _require_claimed_by_team, lead_row, record

DOCUMENTS_DIR = "documents"
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "application/pdf": "pdf",
}


def upload_document(
    connection: sqlite3.Connection,
    context: Context,
    data_dir: Path,
    lead_id: str,
    upload: DocumentUpload,
) -> Document:
    lead = lead_row(connection, lead_id)
    _require_claimed_by_team(lead, upload.officer_id)
    kind_of_file = _accepted_type(context, upload.content)
    facts = (
        read_exif(upload.content, context.config.zone)
        if kind_of_file != "application/pdf"
        else ExifFacts()
    )
    place, _ = business_place(connection, lead)
    verdict = exif_verdict(
        facts,
        business=place,
        visit_at=_visit_time(connection, context, lead_id, upload.officer_id),
        radius_m=context.config.check_in_radius_m,
        max_age=context.config.evidence_max_age,
    )
    document_id = next_id(connection, "DC")
    relative = Path(DOCUMENTS_DIR, lead_id, f"{document_id}.{EXTENSIONS[kind_of_file]}")
    _write(data_dir / relative, upload.content)
    digest = hashlib.sha256(upload.content).hexdigest()
    connection.execute(
        "INSERT INTO documents (id, lead_id, kind, sha256, size, content_type, uploaded_by,"
        " uploaded_at, taken_at, latitude, longitude, exif_verdict, storage_path, file_name,"
        " distance_m) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            document_id, lead_id, upload.kind, digest, len(upload.content), kind_of_file,
            upload.officer_id, context.stamp,
            iso(facts.taken_at) if facts.taken_at else None,
            facts.place.latitude if facts.place else None,
            facts.place.longitude if facts.place else None,
            verdict, relative.as_posix(), upload.file_name,
            distance_m(facts.place, place) if facts.place else None,
        ),
    )  # fmt: skip
    record(connection, context, lead_id, LeadEventKind.EVIDENCE_ADDED, upload.officer_id,
         f"{document_id} {upload.kind} {verdict}")  # fmt: skip
    document = _document(connection, _row(connection, document_id))
    for other in document.same_file:
        note = f"{document_id} = {other.lead_id}/{other.document_id}"
        record(connection, context, lead_id, LeadEventKind.SAME_FILE, upload.officer_id, note)
        record(connection, context, other.lead_id, LeadEventKind.SAME_FILE, upload.officer_id,
             f"{other.document_id} = {lead_id}/{document_id}")  # fmt: skip
    return document


def _accepted_type(context: Context, content: bytes) -> str:
    limit = context.config.document_max_bytes
    if not content:
        raise DocumentRefused("empty", limit)
    if len(content) > limit:
        raise DocumentRefused("too_large", limit)
    found = content_type(content)
    if found is None:
        raise DocumentRefused("type", limit)
    return found


def _visit_time(
    connection: sqlite3.Connection, context: Context, lead_id: str, officer_id: str
) -> datetime:
    """The officer's latest check-in on the lead, else now: what "before the visit" means."""
    row = fetch_one(
        connection,
        "SELECT MAX(at) AS at FROM check_ins WHERE lead_id = ? AND officer_id = ?",
        (lead_id, officer_id),
    )
    return parse_time(row["at"]) if row is not None and row["at"] else context.now


def _write(path: Path, content: bytes) -> None:
    """Whole or not at all: a crash leaves no half file under the final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(content)
    os.replace(partial, path)


def list_documents(connection: sqlite3.Connection, lead_id: str) -> list[Document]:
    lead_row(connection, lead_id)
    rows = connection.execute(
        "SELECT * FROM documents WHERE lead_id = ? ORDER BY uploaded_at, id", (lead_id,)
    ).fetchall()
    return [_document(connection, row) for row in rows]


def read_document(connection: sqlite3.Connection, data_dir: Path, document_id: str) -> bytes:
    row = _row(connection, document_id)
    path: Path = data_dir / row["storage_path"]
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise NotFound("document", "the document's file is missing") from None


def _row(connection: sqlite3.Connection, document_id: str) -> sqlite3.Row:
    row = fetch_one(connection, "SELECT * FROM documents WHERE id = ?", (document_id,))
    if row is None:
        raise NotFound("document")
    return row


def _document(connection: sqlite3.Connection, row: sqlite3.Row) -> Document:
    same = connection.execute(
        "SELECT d.id, d.lead_id, l.officer_id, l.co_officer_id FROM documents d"
        " JOIN leads l ON l.id = d.lead_id WHERE d.sha256 = ? AND d.lead_id != ?"
        " ORDER BY d.uploaded_at, d.id",
        (row["sha256"], row["lead_id"]),
    ).fetchall()
    return Document(
        id=row["id"],
        lead_id=row["lead_id"],
        kind=DocumentKind(row["kind"]),
        file_name=row["file_name"],
        sha256=row["sha256"],
        size=row["size"],
        content_type=row["content_type"],
        uploaded_by=row["uploaded_by"],
        uploaded_at=parse_time(row["uploaded_at"]),
        taken_at=parse_time(row["taken_at"]) if row["taken_at"] else None,
        latitude=row["latitude"],
        longitude=row["longitude"],
        distance_m=row["distance_m"],
        exif_verdict=ExifVerdict(row["exif_verdict"]),
        same_file=[
            SameFile(
                lead_id=other["lead_id"],
                document_id=other["id"],
                officer_id=other["officer_id"],
                co_officer_id=other["co_officer_id"],
            )
            for other in same
        ],
    )
