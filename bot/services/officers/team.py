"""Team figures: the supervisor's /team numbers and funnel, the officer's overdue borrowers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from redis.asyncio import Redis

from bot.clock import Clock
from bot.domain.collection import BorrowerKind, ProposedStep, next_step
from bot.domain.funnel import Funnel, TrackedLead, funnel
from bot.domain.team import officer_stats
from bot.domain.working_hours import SlaPolicy
from bot.redis_keys import OFFICERS
from bot.services.officers.history import LeadHistory
from bot.services.officers.staff import StaffDirectory, StaffMember, refusal, text_of
from bot.services.officers.tasks import task_call
from bot.views import officers as views
from integrations.bank.errors import NotFound
from integrations.bank.models import District, TaskKind
from integrations.bank.protocol import BankAdapter


@dataclass(frozen=True)
class TeamFunnel:
    """The supervisor's territory this week and this month, and its districts."""

    week: Funnel
    month: Funnel
    districts: tuple[District, ...]


class TeamFigures:
    def __init__(
        self,
        bank: BankAdapter,
        redis: Redis,
        clock: Clock,
        policy: SlaPolicy,
        directory: StaffDirectory,
        history: LeadHistory,
    ) -> None:
        self.bank = bank
        self.redis = redis
        self.history = history
        self.clock = clock
        self.policy = policy
        self.directory = directory

    async def team(self, member: StaffMember) -> list[views.TeamRow]:
        """Per officer of the supervisor who uses the bot: this week's and month's numbers."""
        if not member.is_supervisor:
            raise refusal(member, "team", "team")
        return await self._rows(await self.directory.team_of(member))

    async def own(self, member: StaffMember) -> views.TeamRow:
        """The officer's own row of the supervisor's /team."""
        [row] = await self._rows([member])
        return row

    async def _rows(self, officers: list[StaffMember]) -> list[views.TeamRow]:
        week, month = self._windows()
        leads = await self.history.routed_since(min(week, month))
        history = [step for lead in leads for step in lead.transitions]
        rows = []
        for officer in officers:
            tasks = await self.bank.list_officer_tasks(officer.officer_id)
            overdue = sum(task.kind is TaskKind.OVERDUE_FOLLOW_UP for task in tasks)
            rows.append(
                views.TeamRow(
                    officer.name,
                    officer_stats(history, officer.officer_id, week),
                    officer_stats(history, officer.officer_id, month),
                    overdue,
                )
            )
        return rows

    async def funnel(self, member: StaffMember) -> TeamFunnel:
        """From new lead to payout in the territories of the supervisor's team."""
        if not member.is_supervisor:
            raise refusal(member, "funnel", "team")
        week, month = self._windows()
        recorded = await self.history.routed_since(min(week, month))
        leads = [await self._placed(lead) for lead in recorded]
        territories = await self._territories(member, leads)
        now = self.clock.now()
        districts = await self.bank.list_districts()
        return TeamFunnel(
            funnel(leads, territories, week, now, self.policy),
            funnel(leads, territories, month, now, self.policy),
            tuple(d for d in districts if d.territory_code in territories),
        )

    async def _territories(self, member: StaffMember, leads: list[TrackedLead]) -> frozenset[str]:
        """Where the supervisor's officers work, as the bank has them: the team's officers
        who use the bot, and those the recorded leads went to."""
        known = {
            officer.officer_id: officer.territory_code
            for officer in await self.directory.team_of(member)
        }
        named = {
            step.officer_id
            for lead in leads
            for step in lead.transitions
            if step.officer_id is not None and step.officer_id not in known
        }
        for officer_id in named:
            officer = await self.bank.get_officer(officer_id)
            if officer.supervisor_id == member.officer_id:
                known[officer.id] = officer.territory_code
        return frozenset(known.values())

    async def _placed(self, lead: TrackedLead) -> TrackedLead:
        """The lead with its place, asked of the bank once for a lead recorded without it."""
        if lead.territory_code is not None:
            return lead
        try:
            found = await self.bank.get_lead(lead.lead_id)
        except NotFound:  # its personal data deleted: in no territory
            return lead
        await self.history.locate(found)
        return replace(lead, territory_code=found.territory_code, district_code=found.district_code)

    def _windows(self) -> tuple[datetime, datetime]:
        """When this week (from Monday) and this month began, in the bank's time zone."""
        zone = self.policy.calendar.zone
        today = self.clock.now().astimezone(zone).date()
        week = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), zone)
        month = datetime.combine(today.replace(day=1), datetime.min.time(), zone)
        return week, month

    async def overdue_book(self, member: StaffMember) -> list[views.OverdueCase]:
        """Every overdue follow-up of the supervisor's team, the longest overdue first."""
        if not member.is_supervisor:
            raise refusal(member, "overdue_book", "team")
        cases = [
            case
            for officer in await self.directory.team_of(member)
            for case in await self.overdue(officer)
        ]
        return sorted(cases, key=lambda case: -case.loan.days_overdue)

    async def overdue(self, member: StaffMember) -> list[views.OverdueCase]:
        """The officer's overdue follow-ups: the loan, and the borrower's kind if recorded."""
        tasks = await self.bank.list_officer_tasks(member.officer_id)
        cases = []
        for task in tasks:
            if task.kind is TaskKind.OVERDUE_FOLLOW_UP:
                loan = await self.bank.get_loan(task.loan_id)
                cases.append(views.OverdueCase(task, loan, await self._kind_of(loan.id)))
        return cases

    async def classify(
        self, member: StaffMember, task_id: str, kind: BorrowerKind
    ) -> ProposedStep | None:
        """Record the borrower's kind; the next step for a person becomes the task's date.

        Messages to the borrower are the reminder worker's overdue timetable, so the
        proposal skips them and names what the officer does next."""
        case = next((c for c in await self.overdue(member) if c.task.id == task_id), None)
        if case is None:
            raise refusal(member, task_id, "classify")
        await self.redis.set(OFFICERS.borrower_kind(case.loan.id), kind.value)
        today = self.clock.now().astimezone(self.policy.calendar.zone).date()
        taken = 0
        while step := next_step(kind, case.loan.days_overdue, taken, today, self.policy.calendar):
            if step.for_a_person:
                local_day = step.at.astimezone(self.policy.calendar.zone).date()
                note = f"next step: {step.step.value}"
                call = self.bank.reschedule_task(task_id, member.officer_id, local_day, note)
                await task_call(member, task_id, "classify", call)
                return step
            taken += 1
        return None

    async def _kind_of(self, loan_id: str) -> BorrowerKind | None:
        raw = await self.redis.get(OFFICERS.borrower_kind(loan_id))
        return BorrowerKind(text_of(raw)) if raw else None
