"""The SLA in working time: a routed lead nobody claims reminds its officer, then goes to
the supervisor; a claimed lead nobody contacts within a working day goes there too."""

from __future__ import annotations

from datetime import datetime

from aiogram.utils.i18n import I18n

from bot.domain.working_hours import SlaPolicy
from bot.services.officers.cards import CardRole, LeadCards
from bot.services.officers.facts import UNCLAIMED
from bot.services.officers.staff import StaffDirectory, StaffMember
from bot.services.officers.timers import SlaStage, SlaTimer, SlaTimers
from bot.services.outbound import OutgoingMessage, Priority
from bot.views import officers as views
from integrations.bank.models import Lead, LeadStatus
from integrations.bank.protocol import BankAdapter


class SlaWatch:
    def __init__(
        self,
        bank: BankAdapter,
        i18n: I18n,
        policy: SlaPolicy,
        timers: SlaTimers,
        cards: LeadCards,
    ) -> None:
        self.bank = bank
        self.i18n = i18n
        self.policy = policy
        self.timers = timers
        self.cards = cards
        self.directory: StaffDirectory = cards.directory

    async def track(self, lead: Lead, at: datetime) -> None:
        """Start, keep or stop the lead's timer for the status the bank reports."""
        current = await self.timers.get(lead.id)
        if lead.status is LeadStatus.ROUTED:
            waiting = (SlaStage.REMIND, SlaStage.ESCALATE)
            if current and current.officer_id == lead.officer_id and current.stage in waiting:
                return
            due = self.policy.claim_reminder_due(at)
            await self.timers.set(SlaTimer(lead.id, SlaStage.REMIND, due, lead.officer_id, at))
        elif lead.status is LeadStatus.CLAIMED and lead.claimed_at is not None:
            if current and current.stage is SlaStage.CONTACT:
                return
            due = self.policy.contact_due(lead.claimed_at)
            await self.timers.set(
                SlaTimer(lead.id, SlaStage.CONTACT, due, lead.officer_id, lead.claimed_at)
            )
        else:
            await self.timers.clear(lead.id)

    async def run_checks(self, now: datetime) -> int:
        """Remind and escalate what is due; returns how many timers fired."""
        fired = 0
        for timer in await self.timers.take_due(now):
            lead = await self.bank.get_lead(timer.lead_id)
            fired += await self._fire(timer, lead)
        return fired

    async def _fire(self, timer: SlaTimer, lead: Lead) -> int:
        still_unclaimed = lead.status in UNCLAIMED and lead.officer_id == timer.officer_id
        if timer.stage is SlaStage.REMIND and still_unclaimed:
            await self._remind(timer, lead)
            due = self.policy.claim_escalation_due(timer.due)
            await self.timers.set(
                SlaTimer(lead.id, SlaStage.ESCALATE, due, lead.officer_id, timer.since)
            )
            return 1
        if timer.stage is SlaStage.ESCALATE and still_unclaimed:
            await self.escalate(lead, "unclaimed")
            return 1
        if timer.stage is SlaStage.CONTACT and lead.status is LeadStatus.CLAIMED:
            await self.escalate(lead, "not_contacted")
            return 1
        return 0

    async def _remind(self, timer: SlaTimer, lead: Lead) -> None:
        member = await self.directory.by_officer(lead.officer_id)
        if member is None:
            return
        escalation = self.policy.claim_escalation_due(timer.due)
        locale = await self.directory.locale_of(member)
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = views.claim_reminder(lead.id, escalation, self.policy.calendar.timezone, locale)
        key = f"sla:remind:{lead.id}:{member.officer_id}:{int(timer.due.timestamp())}"
        await self.cards.outbox.enqueue(
            OutgoingMessage(key=key, chat_id=member.chat_id, text=text, priority=Priority.URGENT)
        )

    async def escalate(self, lead: Lead, reason: str) -> None:
        for supervisor in await self._supervisors_of(lead):
            await self.cards.show(supervisor, lead, CardRole.SUPERVISOR, reason)

    async def _supervisors_of(self, lead: Lead) -> list[StaffMember]:
        if lead.officer_id is not None:
            officer = await self.bank.get_officer(lead.officer_id)
            supervisor = await self.directory.by_officer(officer.supervisor_id)
            return [supervisor] if supervisor else []
        found = []
        for member in await self.directory.everyone():
            if member.is_supervisor and any(
                unclaimed.id == lead.id
                for unclaimed in await self.bank.list_unclaimed_leads(member.officer_id)
            ):
                found.append(member)
        return found
