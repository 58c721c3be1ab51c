"""Idempotency keys: the same key and request replay the first response; a different
request under a used key is an IdempotencyConflict."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from integrations.bank.errors import IdempotencyConflict, InvalidRequest
from integrations.bank.sandbox.context import Context

ResponseT = TypeVar("ResponseT", bound=BaseModel)
MAX_KEY_LENGTH = 200


def canonical_request(operation: str, request: BaseModel) -> str:
    """The operation and its request as text that does not depend on key order."""
    body = json.dumps(request.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return f"{operation}\n{body}"


def run_once(
    connection: sqlite3.Connection,
    context: Context,
    key: str,
    request_text: str,
    response_type: type[ResponseT],
    work: Callable[[], ResponseT],
) -> ResponseT:
    """`request_text` names the operation and its request exactly (canonical JSON)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"an idempotency key of 1 to {MAX_KEY_LENGTH} characters is required")
    request_hash = hashlib.sha256(request_text.encode()).hexdigest()
    row = connection.execute(
        "SELECT request_hash, response FROM idempotency WHERE key = ?", (key,)
    ).fetchone()
    if row is not None:
        if row["request_hash"] != request_hash:
            raise IdempotencyConflict(f"key {key!r} was used for a different request")
        return response_type.model_validate_json(row["response"])
    response = work()
    connection.execute(
        "INSERT INTO idempotency (key, request_hash, response, created_at) VALUES (?, ?, ?, ?)",
        (key, request_hash, response.model_dump_json(), context.stamp),
    )
    return response
