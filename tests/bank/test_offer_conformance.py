"""Conformance: the merchant's offer after the committee approves, its acceptance with a
code bound to exactly its terms, expiry, the decline as the merchant may hear it, and the
lead's timeline; on both adapters."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta
from decimal import Decimal
from functools import partial

import pytest

from integrations.bank.errors import InvalidCode, InvalidState, NotFound
from integrations.bank.models import DeclineReason, LeadStatus, LoanDisbursed, TaskKind
from integrations.bank.offer_models import (
    OfferAcceptance,
    OfferExpired,
    OfferOpened,
    OfferStatus,
    TimelineKind,
)
from integrations.bank.sandbox.seed import MERCHANT_PHONE, NEWCOMER_PHONE
from tests.support.committee_cases import approve, decline

from .support import BankWorld
from .test_conformance import submit


async def approved_lead(bank: BankWorld, phone: str = NEWCOMER_PHONE, **terms: int) -> str:
    lead = await submit(bank, phone=phone)
    await bank.adapter.claim_lead(lead.id, bank.seeded.officer_id)
    await bank.admin(partial(approve, lead_id=lead.id, **terms))
    return lead.id


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def test_an_approved_case_opens_an_offer_on_the_decided_terms(bank: BankWorld) -> None:
    cursor = (await bank.adapter.list_events()).next_cursor
    lead_id = await approved_lead(bank, amount_fen=4_000_000, term_months=6)

    offer = await bank.adapter.get_lead_offer(lead_id)

    assert (offer.status, offer.amount, offer.term_months) == (OfferStatus.OPEN, Decimal(40000), 6)
    assert offer.annual_rate == Decimal(12)
    assert offer.expires_at == bank.clock.now + timedelta(days=7)
    assert offer.masked_account is None  # a newcomer: a new current account
    assert [row.number for row in offer.schedule] == [1, 2, 3, 4, 5, 6]
    assert sum(row.principal for row in offer.schedule) == Decimal(40000)
    assert (await bank.adapter.get_offer(offer.id)) == offer
    events = (await bank.adapter.list_events(after=cursor)).events
    assert [event.offer_id for event in events if isinstance(event, OfferOpened)] == [offer.id]


async def test_an_existing_customer_sees_their_masked_current_account(bank: BankWorld) -> None:
    lead_id = await approved_lead(bank, phone=MERCHANT_PHONE)
    offer = await bank.adapter.get_lead_offer(lead_id)
    assert offer.masked_account is not None and offer.masked_account.startswith("****")


async def test_accepting_with_a_wrong_then_the_right_code_pays_out(bank: BankWorld) -> None:
    lead_id = await approved_lead(bank)
    offer = await bank.adapter.get_lead_offer(lead_id)
    cursor = (await bank.adapter.list_events()).next_cursor

    challenge = await bank.adapter.request_offer_code(offer.id)
    sms = bank.sms.last_to(NEWCOMER_PHONE) or ""
    code = bank.last_code(NEWCOMER_PHONE)
    with pytest.raises(InvalidCode) as refused:
        await bank.adapter.accept_offer(offer.id, OfferAcceptance(challenge_id=challenge.id,
                                                                  code=wrong(code)))  # fmt: skip
    accepted = await bank.adapter.accept_offer(
        offer.id, OfferAcceptance(challenge_id=challenge.id, code=code)
    )
    again = await bank.adapter.accept_offer(
        offer.id, OfferAcceptance(challenge_id=challenge.id, code=code)
    )

    assert offer.id in sms and "50,000.00" in sms and "12期" in sms
    assert refused.value.attempts_left == challenge.attempts_left - 1
    assert accepted.status == OfferStatus.ACCEPTED and accepted.loan_id is not None
    assert again == accepted
    assert accepted.masked_account is not None
    assert (await bank.adapter.get_lead(lead_id)).status == LeadStatus.DISBURSED
    loan = await bank.adapter.get_loan(accepted.loan_id)
    assert (loan.principal, loan.term_months) == (offer.amount, offer.term_months)
    assert [row.total for row in loan.schedule] == [row.total for row in accepted.schedule]
    events = (await bank.adapter.list_events(after=cursor)).events
    assert [e.lead_id for e in events if isinstance(e, LoanDisbursed)] == [lead_id]
    tasks = await bank.adapter.list_officer_tasks(bank.seeded.officer_id)
    assert any(t.kind == TaskKind.FIRST_VISIT and t.loan_id == loan.id for t in tasks)


async def test_the_acceptance_keeps_the_codes_binding_a_newcomers_new_account(
    bank: BankWorld,
) -> None:
    lead_id = await approved_lead(bank)
    offer = await bank.adapter.get_lead_offer(lead_id)
    challenge = await bank.adapter.request_offer_code(offer.id)
    code = bank.last_code(NEWCOMER_PHONE)
    await bank.adapter.accept_offer(offer.id, OfferAcceptance(challenge_id=challenge.id, code=code))

    connection = sqlite3.connect(bank.db_path)
    try:
        (binding,) = connection.execute(
            "SELECT accepted_binding FROM offers WHERE id = ?", (offer.id,)
        ).fetchone()
    finally:
        connection.close()
    assert json.loads(binding) == {
        "offer": offer.id, "amount_fen": 5_000_000, "term_months": 12,
        "method": "equal_installments", "annual_rate": "12", "account": "new",
    }  # fmt: skip


async def test_a_code_for_another_offer_does_not_accept_this_one(bank: BankWorld) -> None:
    first = await bank.adapter.get_lead_offer(await approved_lead(bank))
    second = await bank.adapter.get_lead_offer(await approved_lead(bank, phone=MERCHANT_PHONE))
    challenge = await bank.adapter.request_offer_code(first.id)
    code = bank.last_code(NEWCOMER_PHONE)

    with pytest.raises(InvalidCode):
        await bank.adapter.accept_offer(
            second.id, OfferAcceptance(challenge_id=challenge.id, code=code)
        )
    assert (await bank.adapter.get_offer(second.id)).status == OfferStatus.OPEN


async def test_an_offer_expires_after_seven_days_and_is_refused(bank: BankWorld) -> None:
    lead_id = await approved_lead(bank)
    offer = await bank.adapter.get_lead_offer(lead_id)
    challenge = await bank.adapter.request_offer_code(offer.id)
    code = bank.last_code(NEWCOMER_PHONE)
    cursor = (await bank.adapter.list_events()).next_cursor

    bank.clock.advance(timedelta(days=7))
    events = (await bank.adapter.list_events(after=cursor)).events

    assert [e.offer_id for e in events if isinstance(e, OfferExpired)] == [offer.id]
    assert (await bank.adapter.get_offer(offer.id)).status == OfferStatus.EXPIRED
    with pytest.raises(InvalidState):
        await bank.adapter.accept_offer(
            offer.id, OfferAcceptance(challenge_id=challenge.id, code=code)
        )
    with pytest.raises(InvalidState):
        await bank.adapter.request_offer_code(offer.id)
    assert (await bank.adapter.get_lead(lead_id)).status == LeadStatus.APPROVED


async def test_a_decline_is_told_by_reason_and_shared_note(bank: BankWorld) -> None:
    lead = await submit(bank)
    await bank.adapter.claim_lead(lead.id, bank.seeded.officer_id)
    await bank.admin(
        partial(decline, lead_id=lead.id, reason="debt_too_high", note=" 先还清信用卡 ")
    )
    other = await submit(bank, phone=MERCHANT_PHONE)
    await bank.adapter.claim_lead(other.id, bank.seeded.officer_id)
    await bank.admin(partial(decline, lead_id=other.id, reason="internal_code_x", note=None))

    told = await bank.adapter.get_decline(lead.id)
    unknown = await bank.adapter.get_decline(other.id)

    assert (told.reason, told.shared_note) == (DeclineReason.DEBT_TOO_HIGH, "先还清信用卡")
    assert (unknown.reason, unknown.shared_note) == (DeclineReason.OTHER, None)
    with pytest.raises(NotFound):
        await bank.adapter.get_decline((await submit(bank)).id)
    with pytest.raises(NotFound):
        await bank.adapter.get_lead_offer(lead.id)


async def test_the_timeline_holds_history_votes_offer_and_acceptance(bank: BankWorld) -> None:
    lead_id = await approved_lead(bank)
    offer = await bank.adapter.get_lead_offer(lead_id)
    challenge = await bank.adapter.request_offer_code(offer.id)
    code = bank.last_code(NEWCOMER_PHONE)
    await bank.adapter.accept_offer(offer.id, OfferAcceptance(challenge_id=challenge.id, code=code))

    entries = await bank.adapter.list_lead_timeline(lead_id)

    kinds = [entry.kind for entry in entries]
    assert kinds[0] == TimelineKind.LEAD_EVENT and entries[0].detail == "submitted"
    assert {TimelineKind.VOTE, TimelineKind.OFFER, TimelineKind.ACCEPTANCE} <= set(kinds)
    assert [entry.at for entry in entries] == sorted(entry.at for entry in entries)
    with pytest.raises(NotFound):
        await bank.adapter.list_lead_timeline("LD999999")
