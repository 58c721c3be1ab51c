"""What an officer does to a lead. The bank decides who may do what; we check first that
the officer is on the lead (or is the supervisor it was escalated to; for a reassignment,
the supervisor of the lead's territory and of the officer it goes to) and log refusals."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime
from enum import StrEnum

from bot.services.officers.cards import CardRegistry
from bot.services.officers.staff import DeskError, Refused, StaffDirectory, StaffMember, refusal
from integrations.bank.errors import BankError, NotFound
from integrations.bank.models import (
    Lead,
    LeadStatus,
    OfficerSettableStatus,
    StatusUpdate,
    VisitBooking,
)
from integrations.bank.protocol import BankAdapter

NOTE_LIMIT = 500
# a supervisor moves a lead nobody has claimed, or one claimed and not yet contacted
REASSIGNABLE = (LeadStatus.ROUTED, LeadStatus.UNASSIGNED, LeadStatus.CLAIMED)


class NotReassignable(StrEnum):
    NO_LEAD = "no_lead"
    OUTSIDE_TERRITORY = "outside_territory"
    NOT_OPEN = "not_open"
    NOT_IN_TEAM = "not_in_team"
    SAME_OFFICER = "same_officer"


class ReassignRefused(Refused):
    """Why the supervisor may not give this lead to this officer."""

    def __init__(self, reason: NotReassignable) -> None:
        super().__init__("reassign")
        self.reason = reason


class LeadActions:
    def __init__(
        self, bank: BankAdapter, registry: CardRegistry, directory: StaffDirectory
    ) -> None:
        self.bank = bank
        self.registry = registry
        self.directory = directory

    async def lead_for(self, member: StaffMember, lead_id: str, action: str) -> Lead:
        """The lead, if this officer may see it: on it, or a supervisor it was escalated to."""
        try:
            lead = await self.bank.get_lead(lead_id)
        except NotFound:
            raise refusal(member, lead_id, action) from None
        on_lead = member.officer_id in (lead.officer_id, lead.co_officer_id)
        escalated = member.is_supervisor and await self.registry.card(lead_id, member.officer_id)
        if not (on_lead or escalated or action == "claim"):
            raise refusal(member, lead_id, action)
        return lead

    async def claimed_lead_for(self, member: StaffMember, lead_id: str, action: str) -> Lead:
        lead = await self.lead_for(member, lead_id, action)
        if lead.claimed_at is None or member.officer_id not in (
            lead.officer_id,
            lead.co_officer_id,
        ):
            raise refusal(member, lead_id, action)
        return lead

    async def claim(self, member: StaffMember, lead_id: str) -> Lead:
        await self.lead_for(member, lead_id, "claim")
        call = self.bank.claim_lead(lead_id, member.officer_id)
        return await _guarded(member, lead_id, "claim", call)

    async def pass_on(self, member: StaffMember, lead_id: str, reason: str) -> Lead:
        await self.lead_for(member, lead_id, "pass")
        call = self.bank.pass_lead(lead_id, member.officer_id, reason)
        return await _guarded(member, lead_id, "pass", call)

    async def set_status(
        self, member: StaffMember, lead_id: str, status: OfficerSettableStatus
    ) -> Lead:
        await self.claimed_lead_for(member, lead_id, "status")
        update = StatusUpdate(officer_id=member.officer_id, status=status)
        call = self.bank.update_lead_status(lead_id, update)
        return await _guarded(member, lead_id, "status", call)

    async def add_note(self, member: StaffMember, lead_id: str, note: str) -> Lead:
        await self.lead_for(member, lead_id, "note")
        call = self.bank.add_lead_note(lead_id, member.officer_id, note[:NOTE_LIMIT])
        return await _guarded(member, lead_id, "note", call)

    async def book_visit(self, member: StaffMember, lead_id: str, at: datetime) -> Lead:
        await self.claimed_lead_for(member, lead_id, "visit")
        call = self.bank.book_visit(lead_id, VisitBooking(officer_id=member.officer_id, at=at))
        return await _guarded(member, lead_id, "visit", call)

    async def reassign(self, member: StaffMember, lead_id: str, officer_id: str) -> Lead:
        """To an officer of the supervisor's team, a lead of its territory that is not yet
        contacted; the bank checks the same again."""
        if not member.is_supervisor:
            raise refusal(member, lead_id, "reassign")
        try:
            lead: Lead | None = await self.bank.get_lead(lead_id)
        except NotFound:
            lead = None
        team = {officer.officer_id for officer in await self.directory.team_of(member)}
        ours = lead is not None and await self._in_territory(member, lead)
        reason = _not_reassignable(lead, ours, officer_id in team, officer_id)
        if reason is not None:
            refusal(member, lead_id, "reassign")
            raise ReassignRefused(reason)
        call = self.bank.reassign_lead(lead_id, member.officer_id, officer_id)
        return await _guarded(member, lead_id, "reassign", call)

    async def reassignable(self, member: StaffMember) -> list[Lead]:
        """The leads of the supervisor's territory a supervisor may move: nobody's yet, or
        claimed and not contacted; the oldest first."""
        if not member.is_supervisor:
            raise refusal(member, "leads", "reassign")
        leads = {lead.id: lead for lead in await self.bank.list_unclaimed_leads(member.officer_id)}
        for officer in await self.directory.team_of(member):
            for lead in await self.bank.list_officer_queue(officer.officer_id):
                if lead.status is LeadStatus.CLAIMED and lead.officer_id == officer.officer_id:
                    leads.setdefault(lead.id, lead)
        return sorted(leads.values(), key=lambda lead: (lead.submitted_at, lead.id))

    async def _in_territory(self, member: StaffMember, lead: Lead) -> bool:
        """As the bank has it: the lead's officer is one the supervisor leads, or the lead
        waits among the supervisor's unclaimed leads."""
        if lead.officer_id is not None:
            officer = await self.bank.get_officer(lead.officer_id)
            if officer.supervisor_id == member.officer_id:
                return True
        unclaimed = await self.bank.list_unclaimed_leads(member.officer_id)
        return any(waiting.id == lead.id for waiting in unclaimed)


def _not_reassignable(
    lead: Lead | None, in_territory: bool, in_team: bool, officer_id: str
) -> NotReassignable | None:
    if lead is None:
        return NotReassignable.NO_LEAD
    if not in_territory:
        return NotReassignable.OUTSIDE_TERRITORY
    if lead.status not in REASSIGNABLE:
        return NotReassignable.NOT_OPEN
    if not in_team:
        return NotReassignable.NOT_IN_TEAM
    if officer_id == lead.officer_id:
        return NotReassignable.SAME_OFFICER
    return None


async def _guarded(member: StaffMember, lead_id: str, action: str, call: Awaitable[Lead]) -> Lead:
    """Run a bank call for the officer; the bank's Forbidden and NotFound are refusals."""
    try:
        return await call
    except BankError as error:
        if error.code in ("forbidden", "not_found"):
            raise refusal(member, lead_id, action) from None
        raise DeskError.from_bank(error) from None
