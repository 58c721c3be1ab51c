"""The merchant's offer and the lead's timeline: what the bank tells the bot once the credit
committee has decided, and the events it raises about offers.

Money is Decimal yuan with 2 places; the payout account appears only masked.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from integrations.bank.models import (
    DeclineReason,
    Identifier,
    Model,
    Money,
    Rate,
    RepaymentMethod,
    Request,
)


class OfferStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class OfferInstallment(Model):
    number: int
    due_date: date
    principal: Money
    interest: Money
    total: Money


class Offer(Model):
    """The terms as the bank will book them if accepted now: the schedule starts today."""

    id: str
    lead_id: str
    status: OfferStatus
    amount: Money
    term_months: int
    method: RepaymentMethod
    annual_rate: Rate
    created_at: AwareDatetime
    expires_at: AwareDatetime
    masked_account: str | None  # None: a new current account is opened for the borrower
    guarantor: str | None  # who guarantees it (the application's answer), if anyone
    schedule_start: date
    schedule: list[OfferInstallment]
    accepted_at: AwareDatetime | None
    loan_id: str | None


class OfferAcceptance(Request):
    challenge_id: Identifier
    code: Annotated[str, Field(max_length=20)]


class Decline(Model):
    lead_id: str
    decided_at: AwareDatetime | None
    reason: DeclineReason
    shared_note: str | None  # what the committee chose to tell the merchant


class TimelineKind(StrEnum):
    LEAD_EVENT = "lead_event"  # detail: the lead event's kind; status: the lead's status then
    DOCUMENT = "document"  # detail: the document's kind
    WORKSHEET = "worksheet"  # version: its number
    VOTE = "vote"  # detail: the vote (approve, approve_changed, decline, more_info)
    OFFER = "offer"  # amount, term, status
    ACCEPTANCE = "acceptance"  # amount, loan id in `note`


class TimelineEntry(Model):
    at: AwareDatetime
    kind: TimelineKind
    actor_id: str | None
    detail: str = ""
    status: str = ""
    note: str = ""
    version: int | None = None
    amount: Money | None = None
    term_months: int | None = None


class OfferOpened(Model):
    type: Literal["offer_opened"] = "offer_opened"
    id: str
    at: AwareDatetime
    lead_id: str
    offer_id: str
    expires_at: AwareDatetime


class OfferExpired(Model):
    type: Literal["offer_expired"] = "offer_expired"
    id: str
    at: AwareDatetime
    lead_id: str
    offer_id: str
