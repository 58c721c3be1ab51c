"""Idempotency keys: the same key and request replay the first response; a different
request under a used key is an IdempotencyConflict. For payments the bank also remembers a
refusal, and answers what became of a key (posted, refused, unknown: then closed)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from integrations.bank.errors import (
    BankError,
    IdempotencyConflict,
    InvalidRequest,
    InvalidState,
    problem_body,
)
from integrations.bank.models import OperationState, OperationStatus, Problem, Receipt
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import CommitThenRaise

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


class _Refused(Exception):
    def __init__(self, error: BankError) -> None:
        super().__init__(error.code)
        self.error = error


def run_payment_once(
    connection: sqlite3.Connection,
    context: Context,
    key: str,
    request_text: str,
    work: Callable[[], Receipt],
) -> Receipt:
    """`run_once` for a payment, remembering a refusal (so `operation_status` can tell it)
    and refusing a key that a status query already reported as not posted."""
    closed = connection.execute(
        "SELECT 1 FROM payment_outcomes WHERE key = ? AND closed = 1", (key,)
    ).fetchone()
    if closed is not None:
        raise InvalidState("this idempotency key was reported as not posted: use a new one")

    def attempt() -> Receipt:
        try:
            return work()
        except BankError as error:
            raise _Refused(error) from None

    connection.execute("SAVEPOINT payment")
    try:
        receipt = run_once(connection, context, key, request_text, Receipt, attempt)
    except _Refused as refused:
        connection.execute("ROLLBACK TO payment")
        connection.execute(
            "INSERT INTO payment_outcomes (key, refusal, closed, at) VALUES (?, ?, 0, ?)"
            " ON CONFLICT (key) DO UPDATE SET refusal = excluded.refusal, at = excluded.at",
            (key, json.dumps(problem_body(refused.error), ensure_ascii=False), context.stamp),
        )
        raise CommitThenRaise(refused.error) from None
    connection.execute("RELEASE payment")
    return receipt


def operation_status(connection: sqlite3.Connection, context: Context, key: str) -> OperationStatus:
    row = connection.execute("SELECT response FROM idempotency WHERE key = ?", (key,)).fetchone()
    if row is not None:
        try:
            receipt = Receipt.model_validate_json(row["response"])
        except ValidationError:
            raise InvalidRequest("this idempotency key was not used for a payment") from None
        return OperationStatus(idempotency_key=key, state=OperationState.POSTED, receipt=receipt)
    connection.execute(
        "INSERT INTO payment_outcomes (key, refusal, closed, at) VALUES (?, NULL, 1, ?)"
        " ON CONFLICT (key) DO UPDATE SET closed = 1",
        (key, context.stamp),
    )
    outcome = connection.execute(
        "SELECT refusal FROM payment_outcomes WHERE key = ?", (key,)
    ).fetchone()
    if outcome["refusal"] is None:
        return OperationStatus(idempotency_key=key, state=OperationState.UNKNOWN)
    refusal = Problem.model_validate_json(outcome["refusal"])
    return OperationStatus(idempotency_key=key, state=OperationState.REFUSED, refusal=refusal)
