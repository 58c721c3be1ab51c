"""The officer's queue: open leads and post-loan tasks by deadline; tasks done or moved."""

from __future__ import annotations

from collections.abc import Awaitable
from contextlib import suppress
from datetime import date

from bot.clock import Clock
from bot.domain.working_hours import SlaPolicy
from bot.services.officers.lead_actions import NOTE_LIMIT
from bot.services.officers.staff import DeskError, StaffMember, refusal
from bot.services.officers.task_news import TaskNews
from bot.services.officers.timers import SlaTimers
from bot.views import officers as views
from integrations.bank.errors import BankError
from integrations.bank.models import Lead, LeadStatus, OfficerTask
from integrations.bank.protocol import BankAdapter

TASK_NOTE = "marked in the officers' Telegram queue"
POSTPONE_DAYS_OFFERED = 5


class DayNotOffered(Exception):
    """The day is not (or no longer) one the task may be moved to."""


class OfficerTasks:
    def __init__(
        self,
        bank: BankAdapter,
        clock: Clock,
        policy: SlaPolicy,
        timers: SlaTimers,
        news: TaskNews,
    ) -> None:
        self.bank = bank
        self.clock = clock
        self.policy = policy
        self.timers = timers
        self.news = news

    async def finish(self, member: StaffMember, task_id: str) -> OfficerTask:
        """Done; after a visit the bank plans the next monthly monitoring visit itself."""
        call = self.bank.complete_task(task_id, member.officer_id, TASK_NOTE)
        task = await task_call(member, task_id, "task_done", call)
        with suppress(BankError):  # else the next digest announces it
            await self.news.announce(member.officer_id)  # the next visit, if the bank planned one
        return task

    async def postpone_days(self, member: StaffMember, task_id: str) -> list[date]:
        """The working days the task may be moved to: the next few after it is due (after
        today, for a task already late)."""
        task = await self._open_task(member, task_id)
        calendar = self.policy.calendar
        day = max(task.due_on, self.clock.now().astimezone(calendar.zone).date())
        days: list[date] = []
        while len(days) < POSTPONE_DAYS_OFFERED:
            day = calendar.next_working_day(day)
            days.append(day)
        return days

    async def postpone(
        self, member: StaffMember, task_id: str, due_on: date, note: str
    ) -> OfficerTask:
        """To one of the days offered, with the officer's note."""
        if due_on not in await self.postpone_days(member, task_id):
            raise DayNotOffered
        call = self.bank.reschedule_task(task_id, member.officer_id, due_on, note[:NOTE_LIMIT])
        return await task_call(member, task_id, "task_reschedule", call)

    async def _open_task(self, member: StaffMember, task_id: str) -> OfficerTask:
        tasks = await self.bank.list_officer_tasks(member.officer_id)
        task = next((task for task in tasks if task.id == task_id), None)
        if task is None:
            raise refusal(member, task_id, "task_reschedule")
        return task

    async def queue(self, member: StaffMember) -> list[views.QueueItem]:
        """Open leads and tasks, the nearest deadline first (none last)."""
        leads = await self._leads(member)
        tasks: list[OfficerTask] = []
        if not member.is_supervisor:
            tasks = await self.bank.list_officer_tasks(member.officer_id)
        items = [await self._lead_item(lead) for lead in leads]
        closing = self.policy.calendar.closing
        items += [views.QueueItem(closing(task.due_on), task=task, lead=None) for task in tasks]
        return sorted(
            items, key=lambda item: (item.deadline is None, item.deadline or self.clock.now())
        )

    async def queued_lead(self, member: StaffMember, lead_id: str) -> Lead | None:
        """The lead, if it is in the officer's queue now (the supervisor's: unclaimed)."""
        return next((lead for lead in await self._leads(member) if lead.id == lead_id), None)

    async def _leads(self, member: StaffMember) -> list[Lead]:
        if member.is_supervisor:
            return await self.bank.list_unclaimed_leads(member.officer_id)
        return await self.bank.list_officer_queue(member.officer_id)

    async def _lead_item(self, lead: Lead) -> views.QueueItem:
        timer = await self.timers.get(lead.id)
        deadline = (
            lead.visit_at
            if lead.status is LeadStatus.VISIT_BOOKED
            else (timer.due if timer else None)
        )
        return views.QueueItem(deadline, task=None, lead=lead)


async def task_call(
    member: StaffMember, task_id: str, action: str, call: Awaitable[OfficerTask]
) -> OfficerTask:
    """A task change at the bank; a task that is not the officer's (or not open) is refused."""
    try:
        return await call
    except BankError as error:
        if error.code in ("forbidden", "not_found", "invalid_state"):
            raise refusal(member, task_id, action) from None
        raise DeskError.from_bank(error) from None
