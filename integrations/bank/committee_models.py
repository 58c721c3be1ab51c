"""The credit committee (贷审会) in the bank contract: sending a case, the members' votes,
the decision, and the case pack's facts (what the visit and the worksheet recorded)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, Field, model_validator

from integrations.bank.models import (
    DeclineReason,
    Identifier,
    Lead,
    Model,
    PositiveMoney,
    Rate,
    RepaymentMethod,
    Request,
    Text,
)

Months = Annotated[int, Field(ge=1, le=360)]


class CaseStatus(StrEnum):
    VOTING = "voting"
    APPROVED = "approved"
    DECLINED = "declined"
    MORE_INFO = "more_info"  # a member asked the presenter for more: back to the officer


class VoteKind(StrEnum):
    APPROVE = "approve"
    APPROVE_CHANGED = "approve_changed"  # approve on other terms (amount, term or method)
    DECLINE = "decline"
    MORE_INFO = "more_info"


class CommitteeMember(Model):
    officer_id: str
    name: str
    chair: bool


class Committee(Model):
    code: str
    name: str
    max_amount: PositiveMoney | None  # its approval authority; None: no ceiling
    members_needed: int  # the quorum: current votes before a decision
    approvals_needed: int
    chair_veto: bool  # a decline by the chair declines the case
    sla_hours: int  # working hours to decide
    members: list[CommitteeMember]


class CommitteeVote(Model):
    member_id: str
    member_name: str
    vote: VoteKind
    amount: PositiveMoney | None
    term_months: int | None
    method: RepaymentMethod | None
    reason: DeclineReason | None
    note: str
    at: AwareDatetime
    current: bool  # a changed vote keeps its old row, no longer current


class CommitteeCase(Model):
    id: str
    lead_id: str
    committee_code: str
    presented_by: str
    presented_at: AwareDatetime
    worksheet_version: int
    amount: PositiveMoney
    term_months: int
    method: RepaymentMethod
    recommendation: str
    status: CaseStatus
    decided_at: AwareDatetime | None
    decided_amount: PositiveMoney | None
    decided_term_months: int | None
    decided_method: RepaymentMethod | None
    decline_reason: DeclineReason | None
    shared_note: str | None
    question: str | None
    offer_id: str | None
    votes: list[CommitteeVote]  # oldest first, with the changed ones


class CommitteeReadiness(Model):
    """What still stops the case (`checklist:<item>`, `worksheet`, `co_check_in`,
    `co_review`), and the committee that would take it."""

    lead_id: str
    missing: list[str]
    committee_code: str | None


class CommitteeSubmission(Request):
    """The presenter sends the lead's case; without terms, the lead's proposed ones."""

    officer_id: Identifier
    recommendation: Annotated[str, Field(min_length=1, max_length=1000)]
    amount: PositiveMoney | None = None
    term_months: Months | None = None
    method: RepaymentMethod | None = None


class VoteRequest(Request):
    member_id: Identifier
    vote: VoteKind
    amount: PositiveMoney | None = None
    term_months: Months | None = None
    method: RepaymentMethod | None = None
    reason: DeclineReason | None = None
    note: Text = ""

    @model_validator(mode="after")
    def _fits_the_vote(self) -> Self:
        changed = (self.amount, self.term_months, self.method)
        if self.vote is VoteKind.APPROVE_CHANGED:
            if None in changed:
                raise ValueError("approve_changed needs the amount, term and method")
        elif changed != (None, None, None):
            raise ValueError("only approve_changed carries terms")
        if (self.vote is VoteKind.DECLINE) != (self.reason is not None):
            raise ValueError("a decline, and only a decline, carries a reason")
        if self.vote is VoteKind.MORE_INFO and not self.note.strip():
            raise ValueError("asking for more needs the question")
        return self


class CaseAnswer(Request):
    """The presenter answers the committee's question; the case goes back to the vote."""

    officer_id: Identifier
    answer: Annotated[str, Field(min_length=1, max_length=1000)]


class ChecklistLine(Model):
    item_code: str
    required: bool
    ticked: bool
    officer_id: str | None
    note: str


class CheckInFact(Model):
    officer_id: str
    at: AwareDatetime
    distance_m: int
    measured_from: str
    within_limit: bool
    reason: str


class DocumentFact(Model):
    id: str
    kind: str
    uploaded_by: str
    uploaded_at: AwareDatetime
    taken_at: AwareDatetime | None
    exif_verdict: str
    seen_on_other_lead: bool  # the same file (sha256) on another lead: a red flag


class WorksheetFact(Model):
    version: int
    officer_id: str
    saved_at: AwareDatetime
    body: dict[str, Any]


class ReviewFact(Model):
    officer_id: str
    version: int
    verdict: str  # confirmed | dissent
    note: str
    at: AwareDatetime


class CasePack(Model):
    """What the committee reads: the case, the lead and what the officers recorded."""

    case: CommitteeCase
    lead: Lead
    committee: Committee
    annual_rate: Rate
    checklist: list[ChecklistLine]
    check_ins: list[CheckInFact]
    documents: list[DocumentFact]
    worksheet: WorksheetFact | None
    review: ReviewFact | None
