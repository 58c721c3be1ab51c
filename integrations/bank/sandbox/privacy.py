"""Consent records and erasure of a person's data on request."""

from __future__ import annotations

import json
import sqlite3

from integrations.bank.masking import mask_phone
from integrations.bank.models import (
    Consent,
    ConsentRequest,
    DeletionReport,
    LeadStatus,
    RetainedRecord,
)
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import next_id


def record_consent(
    connection: sqlite3.Connection, context: Context, request: ConsentRequest
) -> Consent:
    consent_id = next_id(connection, "CS")
    purposes = [purpose.value for purpose in request.purposes]
    connection.execute(
        "INSERT INTO consents (id, phone, purposes, text_version, chat_user_id, recorded_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            consent_id,
            request.phone,
            json.dumps(purposes),
            request.text_version,
            request.chat_user_id,
            context.stamp,
        ),
    )
    return Consent(
        id=consent_id,
        masked_phone=mask_phone(request.phone),
        purposes=request.purposes,
        text_version=request.text_version,
        recorded_at=context.now,
    )


def delete_person_data(connection: sqlite3.Connection, phone: str) -> DeletionReport:
    customer = connection.execute("SELECT id FROM customers WHERE phone = ?", (phone,)).fetchone()
    deleted = {  # bindings first: they are found through the consents too
        "chat bindings": _delete_bindings(connection, phone, customer["id"] if customer else None),
        "consents": _count(connection.execute("DELETE FROM consents WHERE phone = ?", (phone,))),
        "applications": _delete_leads(connection, phone),
        "one-time codes": _count(
            connection.execute("DELETE FROM code_challenges WHERE phone = ?", (phone,))
        ),
    }
    retained = [RetainedRecord.CUSTOMER_RECORD] if customer else []
    if _has_disbursed_leads(connection, phone):
        retained.append(RetainedRecord.CREDIT_FILE)
    return DeletionReport(
        deleted=[f"{category}: {count}" for category, count in deleted.items() if count],
        retained=retained,
    )


def _count(cursor: sqlite3.Cursor) -> int:
    return max(cursor.rowcount, 0)


def _delete_leads(connection: sqlite3.Connection, phone: str) -> int:
    lead_ids = [
        row[0]
        for row in connection.execute(
            "SELECT id FROM leads WHERE phone = ? AND status != ?", (phone, LeadStatus.DISBURSED)
        )
    ]
    for lead_id in lead_ids:
        connection.execute("DELETE FROM lead_events WHERE lead_id = ?", (lead_id,))
        connection.execute("DELETE FROM lead_passes WHERE lead_id = ?", (lead_id,))
        connection.execute("DELETE FROM leads WHERE id = ?", (lead_id,))
    return len(lead_ids)


def _delete_bindings(connection: sqlite3.Connection, phone: str, customer_id: str | None) -> int:
    cursor = connection.execute(
        "DELETE FROM bindings WHERE customer_id = ? OR chat_user_id IN"
        " (SELECT chat_user_id FROM consents WHERE phone = ?)",
        (customer_id, phone),
    )
    return _count(cursor)


def _has_disbursed_leads(connection: sqlite3.Connection, phone: str) -> bool:
    row = connection.execute(
        "SELECT 1 FROM leads WHERE phone = ? AND status = ? LIMIT 1",
        (phone, LeadStatus.DISBURSED),
    ).fetchone()
    return row is not None
