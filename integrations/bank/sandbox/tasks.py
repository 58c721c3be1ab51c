"""Officers' post-loan work: the first visit within 7 days of payout, monthly monitoring
(each done visit schedules the next while the loan is active) and overdue follow-ups."""

from __future__ import annotations

import sqlite3
from datetime import date

from integrations.bank.errors import Forbidden, InvalidState, NotFound
from integrations.bank.models import OfficerTask, TaskKind, TaskStatus
from integrations.bank.sandbox._schedule import add_months
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import fetch_one, next_id
from integrations.bank.sandbox.people import officer_row

_VISITS = (TaskKind.FIRST_VISIT, TaskKind.MONTHLY_MONITORING)


def create_task(
    connection: sqlite3.Connection,
    officer_id: str,
    kind: TaskKind,
    loan_id: str,
    customer_id: str,
    due_on: date,
) -> str:
    task_id = next_id(connection, "TK")
    connection.execute(
        "INSERT INTO tasks (id, officer_id, kind, loan_id, customer_id, due_on, status, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, '')",
        (task_id, officer_id, kind, loan_id, customer_id, due_on.isoformat(), TaskStatus.OPEN),
    )
    return task_id


def list_officer_tasks(connection: sqlite3.Connection, officer_id: str) -> list[OfficerTask]:
    officer_row(connection, officer_id)
    rows = connection.execute(
        "SELECT * FROM tasks WHERE officer_id = ? AND status = ? ORDER BY due_on, id",
        (officer_id, TaskStatus.OPEN),
    ).fetchall()
    return [_task_model(row) for row in rows]


def complete_task(
    connection: sqlite3.Connection, context: Context, task_id: str, officer_id: str, note: str
) -> OfficerTask:
    row = _open_task_of(connection, task_id, officer_id)
    connection.execute(
        "UPDATE tasks SET status = ?, note = ? WHERE id = ?", (TaskStatus.DONE, note, task_id)
    )
    if row["kind"] in _VISITS and _loan_is_active(connection, row["loan_id"]):
        create_task(
            connection,
            officer_id,
            TaskKind.MONTHLY_MONITORING,
            row["loan_id"],
            row["customer_id"],
            add_months(context.today, 1),
        )
    return _task(connection, task_id)


def reschedule_task(
    connection: sqlite3.Connection, task_id: str, officer_id: str, due_on: date, note: str
) -> OfficerTask:
    _open_task_of(connection, task_id, officer_id)
    connection.execute(
        "UPDATE tasks SET due_on = ?, note = ? WHERE id = ?", (due_on.isoformat(), note, task_id)
    )
    return _task(connection, task_id)


def _open_task_of(connection: sqlite3.Connection, task_id: str, officer_id: str) -> sqlite3.Row:
    row = fetch_one(connection, "SELECT * FROM tasks WHERE id = ?", (task_id,))
    if row is None:
        raise NotFound("task")
    if row["officer_id"] != officer_id:
        raise Forbidden("the task belongs to another officer")
    if row["status"] != TaskStatus.OPEN:
        raise InvalidState("the task is already done")
    return row


def _loan_is_active(connection: sqlite3.Connection, loan_id: str) -> bool:
    row = fetch_one(connection, "SELECT status FROM loans WHERE id = ?", (loan_id,))
    return row is not None and row["status"] == "active"


def _task(connection: sqlite3.Connection, task_id: str) -> OfficerTask:
    return _task_model(
        connection.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
    )


def _task_model(row: sqlite3.Row) -> OfficerTask:
    return OfficerTask(
        id=row["id"],
        officer_id=row["officer_id"],
        kind=TaskKind(row["kind"]),
        loan_id=row["loan_id"],
        customer_id=row["customer_id"],
        due_on=date.fromisoformat(row["due_on"]),
        status=TaskStatus(row["status"]),
        note=row["note"],
    )
