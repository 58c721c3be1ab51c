"""The officers' subscriber to the bank's event feed: lead news moves timers and cards."""

from __future__ import annotations

from datetime import datetime

from bot.services.officers.cards import LeadCards
from bot.services.officers.history import LeadHistory
from bot.services.officers.sla import SlaWatch
from integrations.bank.models import BankEvent, LeadStatus, LeadStatusChanged
from integrations.bank.protocol import BankAdapter


class OfficerFeed:
    """Idempotent: it redraws from the lead's state at the bank, whatever the event says,
    and keeps the event in the leads' history (once per event id) for the team figures."""

    def __init__(
        self, bank: BankAdapter, cards: LeadCards, sla: SlaWatch, history: LeadHistory
    ) -> None:
        self.bank = bank
        self.cards = cards
        self.sla = sla
        self.history = history

    async def on_event(self, event: BankEvent, now: datetime) -> None:
        if not isinstance(event, LeadStatusChanged):
            return
        await self.history.record(event)
        lead = await self.bank.get_lead(event.lead_id)
        await self.sla.track(lead, event.at)
        await self.cards.refresh(lead)
        if lead.status is LeadStatus.UNASSIGNED:
            await self.sla.escalate(lead, "unassigned")
