"""Binding a chat user to a customer (by phone) or an officer (by staff code) with a code
the bank sends by SMS to the phone it has on record."""

from __future__ import annotations

import sqlite3

from integrations.bank.errors import InvalidRequest, NotFound
from integrations.bank.models import Binding, BindingRole, BindingStart
from integrations.bank.sandbox.codes import IssuedCode, consume_code, issue_code
from integrations.bank.sandbox.context import Context, parse_time
from integrations.bank.sandbox.people import customer_row_by_phone

SUBJECT_PREFIX = "bind:"


def binding_sms(code: str, minutes: int) -> str:
    return f"【微贷助手】验证码 {code}，用于绑定账户，{minutes}分钟内有效。请勿告诉任何人。"


def start_binding(
    connection: sqlite3.Connection, context: Context, request: BindingStart
) -> IssuedCode:
    if (request.phone is None) == (request.staff_code is None):
        raise InvalidRequest("give either a phone or a staff code")
    subject, phone = _subject_and_phone(connection, request)
    return issue_code(connection, context, subject, phone, f"chat:{request.chat_user_id}")


def _subject_and_phone(connection: sqlite3.Connection, request: BindingStart) -> tuple[str, str]:
    if request.phone is not None:
        customer = customer_row_by_phone(connection, request.phone)
        if customer is None:
            raise NotFound("customer")
        return f"{SUBJECT_PREFIX}customer:{customer['id']}", customer["phone"]
    officer = connection.execute(
        "SELECT * FROM officers WHERE staff_code = ?", (request.staff_code,)
    ).fetchone()
    if officer is None:
        raise NotFound("officer")
    return f"{SUBJECT_PREFIX}officer:{officer['id']}", officer["phone"]


def confirm_binding(
    connection: sqlite3.Connection, context: Context, challenge_id: str, code: str
) -> Binding:
    challenge = consume_code(connection, context, challenge_id, code, SUBJECT_PREFIX)
    kind, subject_id = challenge["subject"].removeprefix(SUBJECT_PREFIX).split(":", 1)
    chat_user_id = int(challenge["bound_to"].removeprefix("chat:"))
    role, customer_id, officer_id = _role(connection, kind, subject_id)
    connection.execute(
        "INSERT OR REPLACE INTO bindings (chat_user_id, role, customer_id, officer_id, bound_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (chat_user_id, role, customer_id, officer_id, context.stamp),
    )
    return get_binding(connection, chat_user_id)


def _role(
    connection: sqlite3.Connection, kind: str, subject_id: str
) -> tuple[BindingRole, str | None, str | None]:
    if kind == "customer":
        return BindingRole.CUSTOMER, subject_id, None
    row = connection.execute("SELECT role FROM officers WHERE id = ?", (subject_id,)).fetchone()
    return BindingRole(row["role"]), None, subject_id


def get_binding(connection: sqlite3.Connection, chat_user_id: int) -> Binding:
    row = connection.execute(
        "SELECT * FROM bindings WHERE chat_user_id = ?", (chat_user_id,)
    ).fetchone()
    if row is None:
        raise NotFound("binding")
    return Binding(
        chat_user_id=row["chat_user_id"],
        role=BindingRole(row["role"]),
        customer_id=row["customer_id"],
        officer_id=row["officer_id"],
        bound_at=parse_time(row["bound_at"]),
    )


def unbind(connection: sqlite3.Connection, chat_user_id: int) -> None:
    connection.execute("DELETE FROM bindings WHERE chat_user_id = ?", (chat_user_id,))


def bind_directly(
    connection: sqlite3.Connection, context: Context, chat_user_id: int, customer_id: str
) -> None:
    """For seeding a demo user who is already bound."""
    connection.execute(
        "INSERT OR REPLACE INTO bindings (chat_user_id, role, customer_id, officer_id, bound_at)"
        " VALUES (?, ?, ?, NULL, ?)",
        (chat_user_id, BindingRole.CUSTOMER, customer_id, context.stamp),
    )
