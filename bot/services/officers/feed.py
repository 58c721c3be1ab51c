"""The officers' subscriber to the bank's event feed: lead news moves timers and cards;
payouts and overdue installments bring new tasks."""

from __future__ import annotations

from datetime import datetime

from bot.services.officers.cards import LeadCards
from bot.services.officers.history import LeadHistory
from bot.services.officers.sla import SlaWatch
from bot.services.officers.task_news import TaskNews
from integrations.bank.models import (
    BankEvent,
    LeadStatus,
    LeadStatusChanged,
    LoanDisbursed,
    LoanOverdue,
)
from integrations.bank.protocol import BankAdapter


class OfficerFeed:
    """Idempotent: it redraws from the lead's state at the bank, whatever the event says,
    and keeps the event in the leads' history (once per event id) for the team figures."""

    def __init__(
        self,
        bank: BankAdapter,
        cards: LeadCards,
        sla: SlaWatch,
        news: TaskNews,
        history: LeadHistory,
    ) -> None:
        self.bank = bank
        self.cards = cards
        self.sla = sla
        self.news = news
        self.history = history

    async def on_event(self, event: BankEvent, now: datetime) -> None:
        if isinstance(event, LoanDisbursed | LoanOverdue):  # they come with new tasks
            await self.news.announce(event.officer_id)
            return
        if not isinstance(event, LeadStatusChanged):
            return
        await self.history.record(event)
        lead = await self.bank.get_lead(event.lead_id)
        await self.history.locate(lead)
        await self.sla.track(lead, event.at)
        await self.cards.refresh(lead)
        if lead.status is LeadStatus.UNASSIGNED:
            await self.sla.escalate(lead, "unassigned")
