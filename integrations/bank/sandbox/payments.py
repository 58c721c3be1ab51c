"""Transfers, bill payments and mobile top-ups; the payee name check; operation codes."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from integrations.bank.errors import (
    AccountClosed,
    InsufficientFunds,
    InvalidRequest,
    UnknownPayee,
)
from integrations.bank.masking import mask_account, mask_phone
from integrations.bank.models import (
    AccountStatus,
    Biller,
    BillPaymentRequest,
    OperationIntent,
    OperationKind,
    Payee,
    PayeeCheck,
    PaymentPosted,
    Receipt,
    TopUpRequest,
    TransactionKind,
    TransferRequest,
)
from integrations.bank.money import format_money, from_fen, to_fen
from integrations.bank.sandbox.accounts import (
    CLEARING,
    CURRENCY,
    CUSTOMER_TYPES,
    TELCO,
    require_customer,
    source_account,
)
from integrations.bank.sandbox.codes import IssuedCode, consume_code, issue_code
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.events import emit
from integrations.bank.sandbox.ledger import Leg, LimitedSpend, balance_fen, post_entry
from integrations.bank.sandbox.limits import check_limits, is_new_payee
from integrations.bank.sandbox.reference import reference_names

ACCOUNT_NUMBER = re.compile(r"[0-9]{10,25}")
OPERATION_SUBJECT = "pay:"
SMS_LOCALE = "zh_Hans"  # the sandbox bank texts its customers in Chinese
OPERATION_LABELS = {
    OperationKind.TRANSFER: "转账",
    OperationKind.BILL_PAYMENT: "缴费",
    OperationKind.TOP_UP: "充值",
    OperationKind.REPAYMENT: "还款",
}


@dataclass(frozen=True)
class Destination:
    number: str
    name: str
    account_id: str  # the account credited here: the payee's own, or interbank clearing
    alias: str | None


def pay_out(
    connection: sqlite3.Connection,
    context: Context,
    source: sqlite3.Row,
    debit_kind: TransactionKind,
    credits: Sequence[Leg],
    counterparty: str,
    spend: LimitedSpend | None = None,
) -> Receipt:
    """Debit the customer's account by the sum of `credits`, post, and emit the receipt."""
    amount_fen = sum(leg.amount_fen for leg in credits)
    available = balance_fen(connection, source["id"])
    if amount_fen > available:
        raise InsufficientFunds(from_fen(available))
    debit = Leg(source["id"], -amount_fen, debit_kind, counterparty)
    legs = [debit, *(leg for leg in credits if leg.amount_fen)]
    entry_id = post_entry(connection, context, debit_kind, legs, spend)
    receipt = Receipt(
        id=entry_id,
        kind=debit_kind,
        amount=from_fen(amount_fen),
        fee=from_fen(0),
        posted_at=context.now,
        from_masked_account=mask_account(source["number"]),
        counterparty=counterparty,
        balance_after=from_fen(available - amount_fen),
    )
    emit(connection, context, PaymentPosted, customer_id=source["customer_id"], receipt=receipt)
    return receipt


def resolve_destination(
    connection: sqlite3.Connection, customer_id: str, destination: str
) -> Destination:
    payee = connection.execute(
        "SELECT * FROM payees WHERE customer_id = ? AND alias = ?", (customer_id, destination)
    ).fetchone()
    number = payee["account_number"] if payee else destination
    alias = payee["alias"] if payee else None
    if not ACCOUNT_NUMBER.fullmatch(number):
        raise UnknownPayee(f"no saved payee {shown_destination(destination)!r}")
    internal = connection.execute(
        "SELECT * FROM accounts WHERE number = ? AND type IN (?, ?)", (number, *CUSTOMER_TYPES)
    ).fetchone()
    if internal is not None:
        if internal["status"] != AccountStatus.OPEN:
            raise AccountClosed(f"account {mask_account(number)} is closed")
        return Destination(number, internal["holder_name"], internal["id"], alias)
    external = connection.execute(
        "SELECT holder_name FROM external_accounts WHERE number = ?", (number,)
    ).fetchone()
    if external is None:
        raise UnknownPayee(f"no account {mask_account(number)}")
    return Destination(number, external["holder_name"], CLEARING, alias)


def check_payee(connection: sqlite3.Connection, customer_id: str, destination: str) -> PayeeCheck:
    require_customer(connection, customer_id)
    found = resolve_destination(connection, customer_id, destination)
    return PayeeCheck(
        destination=destination,
        registered_name=found.name,
        masked_account=mask_account(found.number),
        saved_alias=found.alias,
        first_payment=is_new_payee(connection, customer_id, found.number),
    )


def list_payees(connection: sqlite3.Connection, customer_id: str) -> list[Payee]:
    require_customer(connection, customer_id)
    rows = connection.execute(
        "SELECT p.*, COALESCE(a.holder_name, x.holder_name, '') AS holder_name FROM payees p"
        " LEFT JOIN accounts a ON a.number = p.account_number"
        " LEFT JOIN external_accounts x ON x.number = p.account_number"
        " WHERE p.customer_id = ? ORDER BY p.alias",
        (customer_id,),
    ).fetchall()
    return [
        Payee(
            id=row["id"],
            alias=row["alias"],
            name=row["holder_name"],
            masked_account=mask_account(row["account_number"]),
        )
        for row in rows
    ]


def transfer(connection: sqlite3.Connection, context: Context, request: TransferRequest) -> Receipt:
    source = source_account(connection, request.customer_id, request.from_account_id)
    destination = resolve_destination(connection, request.customer_id, request.destination)
    if destination.account_id == source["id"]:
        raise InvalidRequest("cannot transfer to the same account")
    amount_fen = to_fen(request.amount)
    check_limits(connection, context, request.customer_id, amount_fen, destination.number)
    counterparty = f"{destination.name} {mask_account(destination.number)}"
    credit = Leg(
        destination.account_id,
        amount_fen,
        TransactionKind.TRANSFER_IN,
        f"{source['holder_name']} {mask_account(source['number'])} {request.memo}".strip(),
    )
    spend = LimitedSpend(request.customer_id, amount_fen, destination.number)
    return pay_out(
        connection, context, source, TransactionKind.TRANSFER_OUT, [credit], counterparty, spend
    )


def list_billers(connection: sqlite3.Connection) -> list[Biller]:
    names = reference_names(connection, "biller")
    rows = connection.execute("SELECT * FROM billers ORDER BY code").fetchall()
    return [
        Biller(code=row["code"], name=row["name"], names=names.get(row["code"], []),
               bill_account_pattern=row["bill_account_pattern"])
        for row in rows
    ]  # fmt: skip


def pay_bill(
    connection: sqlite3.Connection, context: Context, request: BillPaymentRequest
) -> Receipt:
    source = source_account(connection, request.customer_id, request.from_account_id)
    biller = connection.execute(
        "SELECT * FROM billers WHERE code = ? OR name = ?",
        (request.biller_code.upper(), request.biller_code),
    ).fetchone()
    if biller is None:
        raise UnknownPayee(f"no biller {request.biller_code!r}")
    if not re.fullmatch(biller["bill_account_pattern"], request.bill_account):
        raise InvalidRequest(f"not a {biller['name']} bill account number")
    amount_fen = to_fen(request.amount)
    check_limits(connection, context, request.customer_id, amount_fen, payee_number=None)
    counterparty = f"{biller['name']} {mask_account(request.bill_account)}"
    credit = Leg(
        biller["settlement_account_id"], amount_fen, TransactionKind.BILL_PAYMENT, counterparty
    )
    spend = LimitedSpend(request.customer_id, amount_fen, payee_number=None)
    return pay_out(
        connection, context, source, TransactionKind.BILL_PAYMENT, [credit], counterparty, spend
    )


def top_up(connection: sqlite3.Connection, context: Context, request: TopUpRequest) -> Receipt:
    source = source_account(connection, request.customer_id, request.from_account_id)
    amount_fen = to_fen(request.amount)
    check_limits(connection, context, request.customer_id, amount_fen, payee_number=None)
    counterparty = f"话费 {mask_phone(request.phone)}"
    credit = Leg(TELCO, amount_fen, TransactionKind.TOP_UP, counterparty)
    spend = LimitedSpend(request.customer_id, amount_fen, payee_number=None)
    return pay_out(
        connection, context, source, TransactionKind.TOP_UP, [credit], counterparty, spend
    )


def request_operation_code(
    connection: sqlite3.Connection, context: Context, intent: OperationIntent
) -> tuple[IssuedCode, str]:
    """The issued code and the SMS text that says exactly what it authorises."""
    customer = require_customer(connection, intent.customer_id)
    subject = f"{OPERATION_SUBJECT}customer:{customer['id']}"
    issued = issue_code(connection, context, subject, customer["phone"], intent.model_dump_json())
    minutes = int(context.config.code_ttl.total_seconds() // 60)
    amount = format_money(intent.amount, CURRENCY, SMS_LOCALE)
    text = (
        f"【微贷助手】验证码 {issued.code}，用于{OPERATION_LABELS[intent.kind]} "
        f"{shown_destination(intent.destination)} {amount}，{minutes}分钟内有效。"
        "请勿告诉任何人。"
    )
    return issued, text


def verify_operation_code(
    connection: sqlite3.Connection,
    context: Context,
    challenge_id: str,
    code: str,
    intent: OperationIntent,
) -> None:
    consume_code(
        connection, context, challenge_id, code, OPERATION_SUBJECT, intent.model_dump_json()
    )


def shown_destination(destination: str) -> str:
    """An alias as it is, anything that looks like a number masked to its last 4."""
    digits = sum(character.isdigit() for character in destination)
    return mask_account(destination) if digits >= 7 else destination
