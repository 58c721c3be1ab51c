"""The officer's worksheet: drafts kept in Redis until saved (resumable), versions saved at
the bank, what follows from them (figures, ratios, cross-checks against the application),
and the co-investigator's review, which the bank alone accepts or refuses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.domain.cross_checks import CrossChecks, cross_check, declared_in
from bot.domain.forms.definition import Position
from bot.domain.loan_terms import ScheduleError
from bot.domain.plans import PLANS_BY_ID
from bot.domain.worksheet import Figures, Proposal, Worksheet, figures, read_worksheet
from bot.domain.worksheet_form import WORKSHEET, WorksheetAnswers, WorksheetDraft, answers_of
from bot.redis_keys import WORKSHEETS
from bot.services.calculator import LoanCalculator
from bot.services.officers.staff import DeskError, StaffDirectory, StaffMember, refusal
from bot.services.outbound import Outbox, OutgoingMessage, Priority
from integrations.bank.errors import BankError, NotFound
from integrations.bank.models import Lead, LeadStatus
from integrations.bank.protocol import BankAdapter
from integrations.bank.worksheet_models import (
    ReviewVerdict,
    WorksheetReview,
    WorksheetReviewRequest,
    WorksheetSave,
    WorksheetVersion,
)

T = TypeVar("T")
# (the saved version, the presenter's name) -> the co-investigator's message and its button
SavedNotice = Callable[[WorksheetVersion, str], tuple[str, InlineKeyboardMarkup]]
DRAFT_SECONDS = 14 * 86_400
CLOSED = (LeadStatus.DECLINED, LeadStatus.WITHDRAWN, LeadStatus.DISBURSED)


@dataclass(frozen=True)
class WorksheetPolicy:
    installment_share: Decimal
    tolerance: Decimal


@dataclass(frozen=True)
class Assessment:
    """A worksheet read against the lead: what the officer and the committee see."""

    lead: Lead
    worksheet: Worksheet
    figures: Figures
    checks: CrossChecks
    version: WorksheetVersion | None = None  # None: not saved yet


@dataclass(frozen=True)
class CoInvestigatorNews:
    """Tells the lead's co-investigator, in their language, that a version waits for them."""

    directory: StaffDirectory
    outbox: Outbox
    i18n: I18n
    render: SavedNotice

    async def saved(self, lead: Lead, version: WorksheetVersion, presenter: str) -> None:
        member = await self.directory.by_officer(lead.co_officer_id)
        if member is None:
            return  # no co-investigator, or not linked in the chat
        with self.i18n.context(), self.i18n.use_locale(await self.directory.locale_of(member)):
            text, markup = self.render(version, presenter)
        key = f"worksheet:saved:{lead.id}:{version.version}:{member.officer_id}"
        await self.outbox.enqueue(
            OutgoingMessage(
                key=key, chat_id=member.chat_id, text=text, markup=markup, priority=Priority.URGENT
            )
        )


class WorksheetDesk:
    def __init__(
        self,
        bank: BankAdapter,
        redis: Redis,
        calculator: LoanCalculator,
        policy: WorksheetPolicy,
        news: CoInvestigatorNews,
    ) -> None:
        self.bank = bank
        self.redis = redis
        self.calculator = calculator
        self.policy = policy
        self.news = news

    # --- the presenting officer --------------------------------------------------------------

    async def presenter_lead(self, member: StaffMember, lead_id: str) -> Lead:
        """The lead, if this officer is its claimed, open, presenting officer."""
        lead = await self._lead(member, lead_id, "worksheet")
        if lead.officer_id != member.officer_id or lead.claimed_at is None or _closed(lead):
            raise refusal(member, lead_id, "worksheet")
        return lead

    async def draft(self, member: StaffMember, lead: Lead) -> WorksheetDraft:
        """The draft in progress, else a new one from the latest saved version (at its
        review), else an empty one at the first question."""
        raw = await self.redis.get(WORKSHEETS.draft(member.officer_id, lead.id))
        if raw is not None:
            return WorksheetDraft.model_validate_json(raw)
        latest = await self.latest(lead.id)
        saved = read_worksheet(latest.body) if latest is not None else None
        if saved is not None:
            return WorksheetDraft(lead_id=lead.id, answers=answers_of(saved), at=Position())
        filled = WORKSHEET.begin(WorksheetAnswers())
        return WorksheetDraft(lead_id=lead.id, answers=filled.answers, at=filled.at)

    async def keep(self, member: StaffMember, draft: WorksheetDraft) -> None:
        key = WORKSHEETS.draft(member.officer_id, draft.lead_id)
        await self.redis.set(key, draft.model_dump_json(), ex=DRAFT_SECONDS)

    async def drop(self, member: StaffMember, lead_id: str) -> None:
        await self.redis.delete(WORKSHEETS.draft(member.officer_id, lead_id))

    async def save(self, member: StaffMember, lead: Lead, worksheet: Worksheet) -> WorksheetVersion:
        save = WorksheetSave(officer_id=member.officer_id, body=worksheet.model_dump(mode="json"))
        version = await self._guarded(member, lead.id, self.bank.save_worksheet(lead.id, save))
        await self.drop(member, lead.id)
        await self.news.saved(lead, version, member.name)
        return version

    # --- reading -----------------------------------------------------------------------------

    async def latest(self, lead_id: str) -> WorksheetVersion | None:
        try:
            return await self.bank.latest_worksheet(lead_id)
        except NotFound:
            return None
        except BankError as error:
            raise DeskError.from_bank(error) from None

    async def assess(self, lead: Lead, worksheet: Worksheet) -> Assessment:
        result = figures(worksheet, await self._proposal(lead), self.policy.installment_share)
        checks = cross_check(worksheet, result, declared_in(lead.details), self.policy.tolerance)
        return Assessment(lead, worksheet, result, checks)

    async def latest_assessment(self, member: StaffMember, lead_id: str) -> Assessment | None:
        """The latest saved version, assessed, for an officer on the lead."""
        lead = await self._lead(member, lead_id, "review_worksheet")
        if member.officer_id not in (lead.officer_id, lead.co_officer_id):
            raise refusal(member, lead_id, "review_worksheet")
        latest = await self.latest(lead_id)
        worksheet = read_worksheet(latest.body) if latest is not None else None
        if latest is None or worksheet is None:
            return None
        assessment = await self.assess(lead, worksheet)
        return Assessment(lead, worksheet, assessment.figures, assessment.checks, latest)

    async def officer_name(self, officer_id: str) -> str:
        try:
            return (await self.bank.get_officer(officer_id)).name
        except BankError:
            return officer_id

    # --- the co-investigator -------------------------------------------------------------------

    async def review(
        self,
        member: StaffMember,
        lead_id: str,
        version: int,
        verdict: ReviewVerdict,
        note: str = "",
    ) -> WorksheetReview:
        """Whoever asks: the bank decides who may review, and when."""
        request = WorksheetReviewRequest(
            officer_id=member.officer_id, version=version, verdict=verdict, note=note[:500]
        )
        return await self._guarded(member, lead_id, self.bank.review_worksheet(lead_id, request))

    # --- helpers -----------------------------------------------------------------------------

    async def _lead(self, member: StaffMember, lead_id: str, action: str) -> Lead:
        try:
            return await self.bank.get_lead(lead_id)
        except NotFound:
            raise refusal(member, lead_id, action) from None
        except BankError as error:
            raise DeskError.from_bank(error) from None

    async def _proposal(self, lead: Lead) -> Proposal | None:
        plan = PLANS_BY_ID.get(lead.method.value)
        if plan is None:
            return None
        bounds = await self.calculator.bounds()
        try:
            terms = plan.terms(
                lead.amount, bounds.annual_rate, lead.term_months, self.calculator.today()
            )
        except ScheduleError:
            return None
        return Proposal(terms)

    async def _guarded(self, member: StaffMember, lead_id: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except BankError as error:
            if error.code in ("forbidden", "not_found"):
                raise refusal(member, lead_id, "worksheet") from None
            raise DeskError.from_bank(error) from None


def _closed(lead: Lead) -> bool:
    return lead.status in CLOSED
