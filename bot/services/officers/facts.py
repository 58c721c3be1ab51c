"""Everything a lead card shows besides the lead itself: names, the monthly payment, the
share of the cash flow, and the deadline of the SLA step the lead is in."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.clock import Clock
from bot.domain.loan_terms import ScheduleError
from bot.domain.working_hours import SlaPolicy
from bot.services.calculator import LoanCalculator
from bot.services.officers.staff import StaffMember
from bot.services.officers.timers import SlaTimers
from bot.views import officers as views
from integrations.bank.models import District, Industry, Lead, LeadStatus
from integrations.bank.protocol import BankAdapter

UNCLAIMED = (LeadStatus.ROUTED, LeadStatus.UNASSIGNED)


class LeadFactsSource:
    def __init__(
        self,
        bank: BankAdapter,
        calculator: LoanCalculator,
        clock: Clock,
        policy: SlaPolicy,
        timers: SlaTimers,
        currency: str,
    ) -> None:
        self.bank = bank
        self.calculator = calculator
        self.clock = clock
        self.policy = policy
        self.timers = timers
        self.currency = currency
        self._names: dict[str, str] = {}  # officers and reference data change rarely
        self._districts: dict[str, District] = {}
        self._industries: dict[str, Industry] = {}

    async def facts(self, lead: Lead) -> views.LeadFacts:
        deadline = await self.deadline(lead)
        now = self.clock.now()
        between = self.policy.calendar.between
        return views.LeadFacts(
            lead=lead,
            district=await self._district(lead.district_code),
            industry=await self._industry(lead.industry_code),
            monthly_payment=await self._monthly_payment(lead),
            cash_flow_share=_cash_flow_share(lead.details),
            officer_name=await self.officer_name(lead.officer_id),
            co_officer_name=await self.officer_name(lead.co_officer_id),
            deadline=deadline,
            deadline_left=between(now, deadline) if deadline else None,
            overdue=between(deadline, now) if deadline and deadline < now else None,
            currency=self.currency,
            timezone=self.policy.calendar.timezone,
        )

    async def deadline(self, lead: Lead) -> datetime | None:
        """Claim by (the next SLA step while unclaimed) or contact by (once claimed)."""
        if lead.status is LeadStatus.CLAIMED and lead.claimed_at is not None:
            return self.policy.contact_due(lead.claimed_at)
        timer = await self.timers.get(lead.id)
        if lead.status in UNCLAIMED and timer and timer.officer_id == lead.officer_id:
            return timer.due
        return None

    async def area(self, member: StaffMember) -> views.StaffArea:
        """The officer's territory and team, with the reference data that describes them."""
        districts = await self.bank.list_districts()
        industries = await self.bank.list_industries()
        return views.StaffArea(
            member.territory_code,
            member.team_code,
            tuple(d for d in districts if d.territory_code == member.territory_code),
            tuple(i for i in industries if i.team_code == member.team_code),
        )

    async def officer_name(self, officer_id: str | None) -> str | None:
        if officer_id is None:
            return None
        if officer_id not in self._names:
            self._names[officer_id] = (await self.bank.get_officer(officer_id)).name
        return self._names[officer_id]

    async def _district(self, code: str) -> District | None:
        if code not in self._districts:
            self._districts.update({item.code: item for item in await self.bank.list_districts()})
        return self._districts.get(code)

    async def _industry(self, code: str) -> Industry | None:
        if code not in self._industries:
            self._industries.update({item.code: item for item in await self.bank.list_industries()})
        return self._industries.get(code)

    async def _monthly_payment(self, lead: Lead) -> Decimal | None:
        try:
            bounds = await self.calculator.bounds()
            schedule = self.calculator.schedule(
                bounds, lead.amount, lead.term_months, lead.method.value
            )
        except (KeyError, ScheduleError):
            return None
        return schedule.first_payment


def _cash_flow_share(details: dict[str, Any]) -> Decimal | None:
    try:
        installment = Decimal(str(details["largest_installment"]))
        cash_flow = Decimal(str(details["net_cash_flow"]))
    except (KeyError, InvalidOperation):
        return None
    return installment / cash_flow if cash_flow > 0 else None
