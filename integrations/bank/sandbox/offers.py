"""The merchant's offer: opened when the credit committee approves a case, on the terms it
decided (or the proposed ones), at the product's rate, valid for `offer_validity`.

Accepting takes a one-time code texted to the applicant's phone and bound to exactly the
offer's terms and payout account (what you see is what you sign); the acceptance keeps that
binding, and the loan is booked and paid out in the same transaction. Open offers past
their time are swept to `expired` (with a bank event) whenever the feed or an offer is read.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import Decimal

from integrations.bank.errors import InvalidState, NotFound
from integrations.bank.masking import mask_account
from integrations.bank.models import (
    AccountType,
    DeclineReason,
    DisbursementRequest,
    RepaymentMethod,
)
from integrations.bank.money import format_money, from_fen
from integrations.bank.offer_models import (
    Decline,
    Offer,
    OfferAcceptance,
    OfferExpired,
    OfferInstallment,
    OfferOpened,
    OfferStatus,
)
from integrations.bank.sandbox._schedule import equal_installments
from integrations.bank.sandbox.accounts import CURRENCY
from integrations.bank.sandbox.codes import IssuedCode, consume_code, issue_code
from integrations.bank.sandbox.context import Context, iso, parse_time
from integrations.bank.sandbox.db import fetch_one, next_id
from integrations.bank.sandbox.disbursement import disburse_loan
from integrations.bank.sandbox.events import emit
from integrations.bank.sandbox.leads import lead_row
from integrations.bank.sandbox.people import customer_row_by_phone
from integrations.bank.sandbox.reference import get_product

SUBJECT_PREFIX = "offer:"
SMS_LOCALE = "zh_Hans"  # the sandbox bank texts its customers in Chinese
NEW_ACCOUNT = "new"  # the binding's account when the borrower gets a new current account


def open_offer(connection: sqlite3.Connection, context: Context, case_id: str) -> str:
    """The id of the open offer for an approved case; called in the approving transaction."""
    case = fetch_one(connection, "SELECT * FROM committee_cases WHERE id = ?", (case_id,))
    if case is None or case["status"] != "approved":
        raise InvalidState("only an approved case gets an offer")
    lead = lead_row(connection, case["lead_id"])
    product = get_product(connection, context.config.product_code)
    offer_id = next_id(connection, "OR")
    expires_at = context.now + context.config.offer_validity
    connection.execute(
        "INSERT INTO offers (id, lead_id, case_id, customer_id, account_id, amount_fen, "
        "term_months, method, annual_rate, created_at, expires_at, status) "
        "VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 'open')",
        (
            offer_id, case["lead_id"], case_id, lead["customer_id"],
            case["decided_amount_fen"] or case["amount_fen"],
            case["decided_term_months"] or case["term_months"],
            case["decided_method"] or case["method"],
            str(product.annual_rate), context.stamp, iso(expires_at),
        ),
    )  # fmt: skip
    emit(connection, context, OfferOpened, lead_id=case["lead_id"], offer_id=offer_id,
         expires_at=expires_at)  # fmt: skip
    return offer_id


def sweep_offers(connection: sqlite3.Connection, context: Context) -> None:
    """Open offers whose time has passed become expired, each with a bank event."""
    rows = connection.execute(
        "SELECT id, lead_id FROM offers WHERE status = ? AND expires_at <= ?",
        (OfferStatus.OPEN, context.stamp),
    ).fetchall()
    for row in rows:
        connection.execute(
            "UPDATE offers SET status = ? WHERE id = ?", (OfferStatus.EXPIRED, row["id"])
        )
        emit(connection, context, OfferExpired, lead_id=row["lead_id"], offer_id=row["id"])


def get_offer(connection: sqlite3.Connection, context: Context, offer_id: str) -> Offer:
    sweep_offers(connection, context)
    return _offer_model(connection, context, _offer_row(connection, offer_id))


def get_lead_offer(connection: sqlite3.Connection, context: Context, lead_id: str) -> Offer:
    """The lead's latest offer, whatever its status."""
    lead_row(connection, lead_id)
    sweep_offers(connection, context)
    row = fetch_one(
        connection, "SELECT * FROM offers WHERE lead_id = ? ORDER BY id DESC LIMIT 1", (lead_id,)
    )
    if row is None:
        raise NotFound("offer")
    return _offer_model(connection, context, row)


def request_offer_code(
    connection: sqlite3.Connection, context: Context, offer_id: str
) -> tuple[IssuedCode, str]:
    """The code texted to the applicant, bound to the offer's terms, and the SMS text."""
    sweep_offers(connection, context)
    row = _open_offer_row(connection, offer_id)
    lead = lead_row(connection, row["lead_id"])
    account_id = _payout_account(connection, lead)
    issued = issue_code(
        connection, context, _subject(row), lead["phone"], _binding(row, account_id)
    )
    minutes = int(context.config.code_ttl.total_seconds() // 60)
    amount = format_money(from_fen(row["amount_fen"]), CURRENCY, SMS_LOCALE)
    account = _masked(connection, account_id) or "新开结算账户"
    text = (
        f"【微贷助手】验证码 {issued.code}，用于接受贷款要约 {row['id']}：{amount}，"
        f"{row['term_months']}期，年利率{row['annual_rate']}%，放款至{account}。"
        f"{minutes}分钟内有效。请勿告诉任何人。"
    )
    return issued, text


def accept_offer(
    connection: sqlite3.Connection, context: Context, offer_id: str, acceptance: OfferAcceptance
) -> Offer:
    """Book and pay out the loan once the code matches the offer as it stands; accepting
    again with the same challenge returns the accepted offer."""
    sweep_offers(connection, context)
    row = _offer_row(connection, offer_id)
    if row["status"] == OfferStatus.ACCEPTED and row["challenge_id"] == acceptance.challenge_id:
        return _offer_model(connection, context, row)
    row = _open_offer_row(connection, offer_id)
    lead = lead_row(connection, row["lead_id"])
    binding = _binding(row, _payout_account(connection, lead))
    consume_code(
        connection, context, acceptance.challenge_id, acceptance.code, SUBJECT_PREFIX, binding
    )
    payout = DisbursementRequest(
        officer_id=lead["officer_id"], principal=from_fen(row["amount_fen"]),
        term_months=row["term_months"], method=RepaymentMethod(row["method"]),
    )  # fmt: skip
    loan = disburse_loan(connection, context, row["lead_id"], payout)
    loan_row = fetch_one(
        connection, "SELECT customer_id, account_id FROM loans WHERE id = ?", (loan.id,)
    )
    assert loan_row is not None  # just booked
    connection.execute(
        "UPDATE offers SET status = ?, accepted_at = ?, challenge_id = ?, loan_id = ?,"
        " customer_id = ?, account_id = ?, accepted_binding = ? WHERE id = ?",
        (OfferStatus.ACCEPTED, context.stamp, acceptance.challenge_id, loan.id,
         loan_row["customer_id"], loan_row["account_id"], binding, offer_id),
    )  # fmt: skip
    return _offer_model(connection, context, _offer_row(connection, offer_id))


def get_decline(connection: sqlite3.Connection, lead_id: str) -> Decline:
    """The committee's latest decline of the lead, as the merchant may be told it."""
    lead_row(connection, lead_id)
    row = fetch_one(
        connection,
        "SELECT * FROM committee_cases WHERE lead_id = ? AND status = 'declined'"
        " ORDER BY presented_at DESC, id DESC LIMIT 1",
        (lead_id,),
    )
    if row is None:
        raise NotFound("decline")
    known = {reason.value for reason in DeclineReason}
    reason = row["decline_reason"] if row["decline_reason"] in known else DeclineReason.OTHER
    return Decline(
        lead_id=lead_id,
        decided_at=parse_time(row["decided_at"]) if row["decided_at"] else None,
        reason=DeclineReason(reason),
        shared_note=(row["shared_note"] or "").strip() or None,
    )


def _offer_row(connection: sqlite3.Connection, offer_id: str) -> sqlite3.Row:
    row = fetch_one(connection, "SELECT * FROM offers WHERE id = ?", (offer_id,))
    if row is None:
        raise NotFound("offer")
    return row


def _open_offer_row(connection: sqlite3.Connection, offer_id: str) -> sqlite3.Row:
    row = _offer_row(connection, offer_id)
    if row["status"] != OfferStatus.OPEN:
        raise InvalidState(f"the offer is {row['status']}")
    return row


def _subject(row: sqlite3.Row) -> str:
    return f"{SUBJECT_PREFIX}lead:{row['lead_id']}"


def _binding(row: sqlite3.Row, account_id: str | None) -> str:
    """Exactly what the code authorises: the offer, its terms and the payout account."""
    return json.dumps(
        {
            "offer": row["id"], "amount_fen": row["amount_fen"],
            "term_months": row["term_months"], "method": row["method"],
            "annual_rate": row["annual_rate"], "account": account_id or NEW_ACCOUNT,
        },
        sort_keys=True,
    )  # fmt: skip


def _payout_account(connection: sqlite3.Connection, lead: sqlite3.Row) -> str | None:
    """The current account the payout goes to (as disbursement picks it); None: a new one."""
    customer = customer_row_by_phone(connection, lead["phone"])
    if customer is None:
        return None
    account = connection.execute(
        "SELECT id FROM accounts WHERE customer_id = ? AND type = ? AND status = 'open'"
        " ORDER BY id LIMIT 1",
        (customer["id"], AccountType.CURRENT),
    ).fetchone()
    return account["id"] if account is not None else None


def _masked(connection: sqlite3.Connection, account_id: str | None) -> str | None:
    if account_id is None:
        return None
    row = fetch_one(connection, "SELECT number FROM accounts WHERE id = ?", (account_id,))
    return mask_account(row["number"]) if row is not None else None


def _offer_model(connection: sqlite3.Connection, context: Context, row: sqlite3.Row) -> Offer:
    lead = lead_row(connection, row["lead_id"])
    accepted = row["status"] == OfferStatus.ACCEPTED
    account_id = row["account_id"] if accepted else _payout_account(connection, lead)
    start = _schedule_start(connection, context, row["loan_id"])
    rate = Decimal(row["annual_rate"])
    schedule = [
        OfferInstallment(
            number=item.number, due_date=item.due_date, principal=from_fen(item.principal_fen),
            interest=from_fen(item.interest_fen),
            total=from_fen(item.principal_fen + item.interest_fen),
        )
        for item in equal_installments(row["amount_fen"], rate, row["term_months"], start)
    ]  # fmt: skip
    guarantor = json.loads(lead["details"]).get("guarantor")
    return Offer(
        id=row["id"], lead_id=row["lead_id"], status=OfferStatus(row["status"]),
        amount=from_fen(row["amount_fen"]), term_months=row["term_months"],
        method=RepaymentMethod(row["method"]), annual_rate=rate,
        created_at=parse_time(row["created_at"]), expires_at=parse_time(row["expires_at"]),
        masked_account=_masked(connection, account_id),
        guarantor=guarantor if guarantor not in (None, "none") else None,
        schedule_start=start, schedule=schedule,
        accepted_at=parse_time(row["accepted_at"]) if row["accepted_at"] else None,
        loan_id=row["loan_id"],
    )  # fmt: skip


def _schedule_start(connection: sqlite3.Connection, context: Context, loan_id: str | None) -> date:
    """The day the loan was paid out, or today for an offer not yet accepted."""
    if loan_id is not None:
        loan = fetch_one(connection, "SELECT disbursed_on FROM loans WHERE id = ?", (loan_id,))
        if loan is not None:
            return date.fromisoformat(loan["disbursed_on"])
    return context.today
