"""One-time codes sent by SMS: 6 digits, valid for a few minutes, single use, and after too
many wrong codes the subject (a customer or an officer) is blocked for a while.

Wrong codes are counted per subject, not per challenge, so asking for a fresh code does
not reset the count. A code is bound to what it authorises (`bound_to`); presenting it for
anything else counts as a wrong code.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import sqlite3
from dataclasses import dataclass

from integrations.bank.errors import (
    CodeExpired,
    InvalidCode,
    NotFound,
    TooManyAttempts,
)
from integrations.bank.masking import mask_phone
from integrations.bank.models import CodeChallenge
from integrations.bank.sandbox.context import Context, iso, parse_time
from integrations.bank.sandbox.db import CommitThenRaise, fetch_one, next_id

PENDING, USED, SUPERSEDED, BLOCKED = "pending", "used", "superseded", "blocked"


@dataclass(frozen=True)
class IssuedCode:
    challenge: CodeChallenge
    phone: str
    code: str


def issue_code(
    connection: sqlite3.Connection, context: Context, subject: str, phone: str, bound_to: str
) -> IssuedCode:
    _refuse_if_blocked(connection, context, subject)
    connection.execute(
        "UPDATE code_challenges SET state = ? WHERE subject = ? AND state = ?",
        (SUPERSEDED, subject, PENDING),
    )
    challenge_id = next_id(connection, "CH")
    code = f"{secrets.randbelow(10**6):06d}"
    expires_at = context.now + context.config.code_ttl
    connection.execute(
        "INSERT INTO code_challenges (id, subject, phone, code_hash, bound_to, expires_at, state)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            challenge_id,
            subject,
            phone,
            _digest(challenge_id, code),
            bound_to,
            iso(expires_at),
            PENDING,
        ),
    )
    challenge = CodeChallenge(
        id=challenge_id,
        masked_phone=mask_phone(phone),
        expires_at=expires_at,
        attempts_left=context.config.code_max_attempts - _failures(connection, subject),
    )
    return IssuedCode(challenge=challenge, phone=phone, code=code)


def consume_code(
    connection: sqlite3.Connection,
    context: Context,
    challenge_id: str,
    code: str,
    subject_prefix: str,
    bound_to: str | None = None,
) -> sqlite3.Row:
    """The challenge row once the code is accepted; otherwise a typed error (and the wrong
    attempt is committed)."""
    row = fetch_one(connection, "SELECT * FROM code_challenges WHERE id = ?", (challenge_id,))
    if row is None or not row["subject"].startswith(subject_prefix):
        raise NotFound("challenge")
    _refuse_if_blocked(connection, context, row["subject"])
    if row["state"] != PENDING or context.now >= parse_time(row["expires_at"]):
        raise CodeExpired()
    if not _matches(row, code, bound_to):
        raise CommitThenRaise(_count_failure(connection, context, row))
    connection.execute("UPDATE code_challenges SET state = ? WHERE id = ?", (USED, row["id"]))
    connection.execute("DELETE FROM code_failures WHERE subject = ?", (row["subject"],))
    return row


def _matches(row: sqlite3.Row, code: str, bound_to: str | None) -> bool:
    code_ok = hmac.compare_digest(row["code_hash"], _digest(row["id"], code))
    return code_ok and (
        bound_to is None or hmac.compare_digest(row["bound_to"].encode(), bound_to.encode())
    )


def _count_failure(
    connection: sqlite3.Connection, context: Context, row: sqlite3.Row
) -> InvalidCode | TooManyAttempts:
    failures = _failures(connection, row["subject"]) + 1
    config = context.config
    if failures < config.code_max_attempts:
        _store_failures(connection, row["subject"], failures, blocked_until=None)
        return InvalidCode(config.code_max_attempts - failures)
    _store_failures(connection, row["subject"], 0, iso(context.now + config.code_block))
    connection.execute("UPDATE code_challenges SET state = ? WHERE id = ?", (BLOCKED, row["id"]))
    return TooManyAttempts(int(config.code_block.total_seconds()))


def _refuse_if_blocked(connection: sqlite3.Connection, context: Context, subject: str) -> None:
    row = fetch_one(
        connection, "SELECT blocked_until FROM code_failures WHERE subject = ?", (subject,)
    )
    if row is None or row["blocked_until"] is None:
        return
    remaining = (parse_time(row["blocked_until"]) - context.now).total_seconds()
    if remaining > 0:
        raise TooManyAttempts(math.ceil(remaining))


def _failures(connection: sqlite3.Connection, subject: str) -> int:
    row = fetch_one(connection, "SELECT failures FROM code_failures WHERE subject = ?", (subject,))
    return int(row["failures"]) if row else 0


def _store_failures(
    connection: sqlite3.Connection, subject: str, failures: int, blocked_until: str | None
) -> None:
    connection.execute(
        "INSERT INTO code_failures (subject, failures, blocked_until) VALUES (?, ?, ?)"
        " ON CONFLICT (subject) DO UPDATE SET failures = excluded.failures,"
        " blocked_until = excluded.blocked_until",
        (subject, failures, blocked_until),
    )


def _digest(challenge_id: str, code: str) -> str:
    return hashlib.sha256(f"{challenge_id}:{code}".encode()).hexdigest()
