"""What an officer does to a lead. The bank decides who may do what; we check first that
the officer is on the lead (or is the supervisor it was escalated to) and log refusals."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime

from bot.services.officers.cards import CardRegistry
from bot.services.officers.staff import DeskError, StaffMember, refusal
from integrations.bank.errors import BankError, NotFound
from integrations.bank.models import Lead, OfficerSettableStatus, StatusUpdate, VisitBooking
from integrations.bank.protocol import BankAdapter

NOTE_LIMIT = 500


class LeadActions:
    def __init__(self, bank: BankAdapter, registry: CardRegistry) -> None:
        self.bank = bank
        self.registry = registry

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
        if not member.is_supervisor:
            raise refusal(member, lead_id, "reassign")
        await self.lead_for(member, lead_id, "reassign")
        call = self.bank.reassign_lead(lead_id, member.officer_id, officer_id)
        return await _guarded(member, lead_id, "reassign", call)


async def _guarded(member: StaffMember, lead_id: str, action: str, call: Awaitable[Lead]) -> Lead:
    """Run a bank call for the officer; the bank's Forbidden and NotFound are refusals."""
    try:
        return await call
    except BankError as error:
        if error.code in ("forbidden", "not_found"):
            raise refusal(member, lead_id, action) from None
        raise DeskError.from_bank(error) from None
