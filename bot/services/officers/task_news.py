"""Post-loan and overdue tasks pushed to the officer: each new task once, as a message, and
each working day a digest of the tasks due that day (or late), once per officer.

The bank has no "task created" event: its tasks come with a payout, an overdue installment
or a finished visit, so those are when the officer's open tasks are compared with the ones
already announced. The tasks an officer had when linking the chat are not news."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.clock import Clock
from bot.domain.working_hours import SlaPolicy
from bot.redis_keys import OFFICERS
from bot.services.officers.staff import StaffDirectory, StaffMember, text_of
from bot.services.outbound import Outbox, OutgoingMessage
from bot.views import officers as views
from integrations.bank.models import OfficerTask
from integrations.bank.protocol import BankAdapter

LINKED = "-"  # the member of a seen-set that says the officer's tasks were looked at
DIGEST_SENT_KEPT = timedelta(days=3)


class TaskNews:
    def __init__(
        self,
        bank: BankAdapter,
        redis: Redis,
        i18n: I18n,
        clock: Clock,
        policy: SlaPolicy,
        directory: StaffDirectory,
        outbox: Outbox,
    ) -> None:
        self.bank = bank
        self.redis = redis
        self.i18n = i18n
        self.clock = clock
        self.policy = policy
        self.directory = directory
        self.outbox = outbox

    async def linked(self, member: StaffMember) -> None:
        """The tasks open now are in the officer's queue and digest, not news."""
        tasks = await self.bank.list_officer_tasks(member.officer_id)
        await self.redis.sadd(
            OFFICERS.tasks_seen(member.officer_id), LINKED, *(task.id for task in tasks)
        )  # type: ignore[misc]  # redis-py 7 types

    async def announce(self, officer_id: str | None) -> int:
        """Queue a message for each of the officer's tasks not announced yet; how many."""
        member = await self.directory.by_officer(officer_id)
        if member is None or member.is_supervisor:
            return 0
        seen_key = OFFICERS.tasks_seen(member.officer_id)
        raw_seen = await self.redis.smembers(seen_key)  # type: ignore[misc]  # redis-py 7 types
        seen = {text_of(raw) for raw in raw_seen}
        if LINKED not in seen:
            await self.linked(member)
            return 0
        tasks = await self.bank.list_officer_tasks(member.officer_id)
        new = [task for task in tasks if task.id not in seen]
        if not new:
            return 0
        locale = await self.directory.locale_of(member)
        for task in new:
            with self.i18n.context(), self.i18n.use_locale(locale):
                text = views.new_task(task, locale)
            message = OutgoingMessage(key=f"task:new:{task.id}", chat_id=member.chat_id, text=text)
            await self.outbox.enqueue(message)
        await self.redis.sadd(OFFICERS.tasks_seen(member.officer_id), *(task.id for task in new))  # type: ignore[misc]  # redis-py 7 types
        return len(new)

    async def run_once(self, now: datetime) -> int:
        """On a working day once the bank opens: each officer's digest, if not sent today."""
        calendar = self.policy.calendar
        local = now.astimezone(calendar.zone)
        today = local.date()
        if not calendar.is_working_day(today):
            return 0
        if not calendar.opening(today) <= local < calendar.closing(today):
            return 0
        sent = 0
        for member in await self.directory.everyone():
            if member.is_supervisor or await self._digest_sent(member, today):
                continue
            await self.announce(member.officer_id)  # anything the bank made without news
            tasks = await self.bank.list_officer_tasks(member.officer_id)
            sent += await self._digest(member, today, [t for t in tasks if t.due_on <= today])
        return sent

    async def _digest(self, member: StaffMember, today: date, due: list[OfficerTask]) -> int:
        if due:
            locale = await self.directory.locale_of(member)
            with self.i18n.context(), self.i18n.use_locale(locale):
                text = views.task_digest(due, today, locale)
            key = f"task:digest:{member.officer_id}:{today.isoformat()}"
            await self.outbox.enqueue(OutgoingMessage(key=key, chat_id=member.chat_id, text=text))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(OFFICERS.digest_sent(today), member.officer_id)
            pipe.expire(OFFICERS.digest_sent(today), DIGEST_SENT_KEPT)
            await pipe.execute()
        return 1 if due else 0

    async def _digest_sent(self, member: StaffMember, today: date) -> bool:
        return bool(await self.redis.sismember(OFFICERS.digest_sent(today), member.officer_id))  # type: ignore[misc]  # redis-py 7 types
