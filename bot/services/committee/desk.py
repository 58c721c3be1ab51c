"""The committee's use cases in the chat: the presenter sends a ready case and answers the
committee's questions; members read the pack, preview changed terms and vote. The bank
decides every time who may do what; refusals are logged by ids only."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from bot.domain.committee import Affordability, affordability
from bot.domain.loan_terms import ScheduleError
from bot.domain.plans import PLANS_BY_ID
from bot.domain.schedule import Schedule
from bot.domain.worksheet import read_worksheet
from bot.services.calculator import LoanCalculator
from bot.services.committee.notices import CommitteeNotices
from bot.services.committee.sla import CommitteeSla
from bot.services.officers.staff import DeskError, StaffMember, refusal
from bot.services.worksheets import Assessment, WorksheetDesk
from integrations.bank.committee_models import (
    CaseAnswer,
    CasePack,
    CaseStatus,
    CommitteeCase,
    CommitteeSubmission,
    VoteRequest,
)
from integrations.bank.errors import BankError, Forbidden, NotFound, NotReady
from integrations.bank.models import District, Industry, Lead, RepaymentMethod
from integrations.bank.protocol import BankAdapter

log = logging.getLogger(__name__)

T = TypeVar("T")
DECIDED = (CaseStatus.APPROVED, CaseStatus.DECLINED)
PACK_PHOTOS = 12  # the first files of the lead whose thumbnails the pack shows


class NotReadyYet(Exception):
    def __init__(self, missing: list[str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = missing


class TermsRefused(Exception):
    """Changed terms that make no schedule (an amount or a term out of range)."""


@dataclass(frozen=True)
class PackFacts:
    pack: CasePack
    schedule: Schedule | None
    names: dict[str, str]  # officer id -> name, of everyone the pack mentions
    district: District | None
    industry: Industry | None
    assessment: Assessment | None  # the case's worksheet version read by the bot's domain
    files: dict[str, bytes]  # document id -> its bytes, for the thumbnails (the first files)


@dataclass(frozen=True)
class Preview:
    proposed: Affordability
    changed: Affordability


class CommitteeDesk:
    def __init__(
        self,
        bank: BankAdapter,
        calculator: LoanCalculator,
        notices: CommitteeNotices,
        sla: CommitteeSla,
        worksheets: WorksheetDesk,
    ) -> None:
        self.bank = bank
        self.calculator = calculator
        self.worksheets = worksheets
        self.notices = notices
        self.sla = sla

    async def presenting(self, member: StaffMember, lead_id: str) -> Lead:
        """The lead, when the member is its officer and the bank would take the case now."""
        lead = await self._asked(member, lead_id, "committee", self.bank.get_lead(lead_id))
        if lead.officer_id != member.officer_id:
            raise refusal(member, lead_id, "committee")
        readiness = await self._asked(
            member, lead_id, "committee", self.bank.committee_readiness(lead_id)
        )
        if readiness.missing:
            raise NotReadyYet(readiness.missing)
        return lead

    async def send(self, member: StaffMember, lead_id: str, recommendation: str) -> CommitteeCase:
        submission = CommitteeSubmission(
            officer_id=member.officer_id, recommendation=recommendation
        )
        case = await self._asked(
            member, lead_id, "committee", self.bank.send_to_committee(lead_id, submission)
        )
        await self._follow_up(case, self.sla.start, self.notices.announce)
        return case

    async def answer(self, member: StaffMember, case_id: str, text: str) -> CommitteeCase:
        answer = CaseAnswer(officer_id=member.officer_id, answer=text)
        case = await self._asked(
            member, case_id, "answer", self.bank.answer_committee(case_id, answer)
        )
        await self._follow_up(case, self.sla.start, self.notices.announce)
        return case

    async def questioned(self, member: StaffMember, case_id: str) -> CommitteeCase:
        """The case, while it waits for this presenter's answer to the committee."""
        case = await self._asked(member, case_id, "answer", self.bank.get_committee_case(case_id))
        if case.presented_by != member.officer_id:
            raise refusal(member, case_id, "answer")
        if case.status is not CaseStatus.MORE_INFO:
            raise DeskError("invalid_state")
        return case

    async def voting(self, member: StaffMember, case_id: str) -> CommitteeCase:
        """The case, while it waits for votes and the member is one who may cast one."""
        case = await self._asked(member, case_id, "vote", self.bank.get_committee_case(case_id))
        committee = await self.notices.committee_of(case)
        lead = await self.bank.get_lead(case.lead_id)
        on_lead = member.officer_id in (case.presented_by, lead.officer_id, lead.co_officer_id)
        members = {seat.officer_id for seat in committee.members}
        if on_lead or member.officer_id not in members:
            raise refusal(member, case_id, "vote")
        if case.status is not CaseStatus.VOTING:
            raise DeskError("invalid_state")
        return case

    async def vote(self, member: StaffMember, case_id: str, request: VoteRequest) -> CommitteeCase:
        case = await self._asked(member, case_id, "vote", self.bank.cast_vote(case_id, request))
        if case.status in DECIDED:
            await self.sla.stop(case.id)
            await self._follow_up(case, self.notices.decided)
        elif case.status is CaseStatus.MORE_INFO:
            await self.sla.stop(case.id)
            await self._follow_up(case, self.notices.asked)
        return case

    async def _follow_up(
        self, case: CommitteeCase, *steps: Callable[[CommitteeCase], Awaitable[None]]
    ) -> None:
        """What follows a change the bank has made: the officer is told it was made, so a
        bank error here is logged (case id only) instead of reaching them as a failure."""
        for step in steps:
            try:
                await step(case)
            except BankError:
                log.warning(
                    "committee case %s: %s skipped, the bank did not answer",
                    case.id,
                    step.__qualname__,
                )

    async def pack(self, member: StaffMember, case_id: str) -> PackFacts:
        pack = await self._asked(
            member, case_id, "pack", self.bank.get_case_pack(case_id, member.officer_id)
        )
        districts = {item.code: item for item in await self.bank.list_districts()}
        industries = {item.code: item for item in await self.bank.list_industries()}
        return PackFacts(
            pack,
            await self._schedule(pack.case),
            await self._names(pack),
            districts.get(pack.lead.district_code),
            industries.get(pack.lead.industry_code),
            await self._assessment(pack),
            await self._files(pack),
        )

    async def _files(self, pack: CasePack) -> dict[str, bytes]:
        files = {}
        for document in pack.documents[:PACK_PHOTOS]:
            try:
                files[document.id] = await self.bank.read_document(document.id)
            except NotFound:  # the file is gone from the store: the pack names it without it
                continue
            except BankError as error:
                raise DeskError.from_bank(error) from None
        return files

    async def _assessment(self, pack: CasePack) -> Assessment | None:
        worksheet = read_worksheet(pack.worksheet.body) if pack.worksheet is not None else None
        return await self.worksheets.assess(pack.lead, worksheet) if worksheet else None

    async def _schedule(self, case: CommitteeCase) -> Schedule | None:
        try:
            bounds = await self.calculator.bounds()
            return self.calculator.schedule(
                bounds, case.amount, case.term_months, case.method.value
            )
        except (KeyError, ScheduleError):
            return None

    async def _names(self, pack: CasePack) -> dict[str, str]:
        ids = {pack.case.presented_by, pack.lead.officer_id, pack.lead.co_officer_id}
        ids |= {visit.officer_id for visit in pack.check_ins}
        ids |= {document.uploaded_by for document in pack.documents}
        ids |= {line.officer_id for line in pack.checklist}
        ids |= {sheet.officer_id for sheet in (pack.worksheet, pack.review) if sheet}
        names = {}
        for officer_id in sorted(officer for officer in ids if officer):
            try:
                names[officer_id] = (await self.bank.get_officer(officer_id)).name
            except NotFound:
                continue
        return names

    async def preview(
        self, case: CommitteeCase, amount: Decimal, months: int, method: RepaymentMethod
    ) -> Preview:
        lead = await self.bank.get_lead(case.lead_id)
        cash_flow = _net_cash_flow(lead)
        bounds = await self.calculator.bounds()
        today = self.calculator.today()

        def of(principal: Decimal, term: int, plan: RepaymentMethod) -> Affordability:
            terms = PLANS_BY_ID[plan.value].terms(principal, bounds.annual_rate, term, today)
            return affordability(terms, cash_flow)

        try:
            return Preview(
                proposed=of(case.amount, case.term_months, case.method),
                changed=of(amount, months, method),
            )
        except ScheduleError:
            raise TermsRefused from None

    async def _asked(self, member: StaffMember, subject: str, action: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except NotReady as error:
            raise NotReadyYet(error.missing) from None
        except (Forbidden, NotFound):
            raise refusal(member, subject, action) from None
        except BankError as error:
            raise DeskError.from_bank(error) from None


def _net_cash_flow(lead: Lead) -> Decimal | None:
    try:
        return Decimal(str(lead.details["net_cash_flow"]))
    except (KeyError, InvalidOperation):
        return None
