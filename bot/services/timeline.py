"""A lead's timeline for the officers on it and the supervisor of its territory, a page at
a time, with the names of the people in it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.officers.staff import StaffMember
from integrations.bank.errors import BankError, NotFound
from integrations.bank.models import Lead
from integrations.bank.offer_models import TimelineEntry
from integrations.bank.protocol import BankAdapter

PAGE_ENTRIES = 10


class TimelineUnavailable(Exception):
    """The bank did not answer."""


class NotOnLead(Exception):
    """No such lead, or the viewer is neither on it nor its territory's supervisor."""


@dataclass(frozen=True)
class TimelinePage:
    lead_id: str
    entries: list[TimelineEntry]
    page: int
    pages: int
    names: dict[str, str]  # officer id -> name, for the people on this page


class LeadTimeline:
    def __init__(self, bank: BankAdapter) -> None:
        self.bank = bank

    async def page(self, member: StaffMember, lead_id: str, page: int) -> TimelinePage:
        try:
            lead = await self.bank.get_lead(lead_id)
            if not await self._may_see(member, lead):
                raise NotOnLead()
            entries = await self.bank.list_lead_timeline(lead_id)
        except NotFound:
            raise NotOnLead() from None
        except BankError:
            raise TimelineUnavailable() from None
        pages = max(1, (len(entries) + PAGE_ENTRIES - 1) // PAGE_ENTRIES)
        page = min(page, pages - 1)
        shown = entries[page * PAGE_ENTRIES : (page + 1) * PAGE_ENTRIES]
        return TimelinePage(lead_id, shown, page, pages, await self._names(shown))

    async def _may_see(self, member: StaffMember, lead: Lead) -> bool:
        """The officers on the lead, and the supervisor of its territory or of its officers."""
        on_lead = [officer for officer in (lead.officer_id, lead.co_officer_id) if officer]
        if member.officer_id in on_lead:
            return True
        if not member.is_supervisor:
            return False
        if member.territory_code == lead.territory_code:
            return True
        for officer_id in on_lead:
            if (await self.bank.get_officer(officer_id)).supervisor_id == member.officer_id:
                return True
        return False

    async def _names(self, entries: list[TimelineEntry]) -> dict[str, str]:
        names = {}
        for actor in {entry.actor_id for entry in entries if entry.actor_id}:
            try:
                names[actor] = (await self.bank.get_officer(actor)).name
            except BankError:
                continue  # shown by id
        return names
