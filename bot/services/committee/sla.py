"""The committee's SLA in working hours: halfway through, the members who have not voted
are reminded; at the end, the chair. One timer per case in Redis, taken by one caller."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from redis.asyncio import Redis

from bot.domain.working_hours import WorkingCalendar
from bot.redis_keys import COMMITTEE
from bot.services.committee.notices import CommitteeNotices
from bot.services.officers.staff import text_of
from integrations.bank.committee_models import CaseStatus, CommitteeCase
from integrations.bank.errors import BankError
from integrations.bank.protocol import BankAdapter

log = logging.getLogger(__name__)


class Stage(StrEnum):
    MEMBERS = "members"
    CHAIR = "chair"


@dataclass(frozen=True)
class CaseTimer:
    case_id: str
    stage: Stage
    due: datetime


class CaseTimers:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def set(self, timer: CaseTimer) -> None:
        body = json.dumps({"stage": timer.stage.value, "due": timer.due.isoformat()})
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(COMMITTEE.sla(timer.case_id), body)
            pipe.zadd(COMMITTEE.sla_due, {timer.case_id: timer.due.timestamp()})
            await pipe.execute()

    async def clear(self, case_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(COMMITTEE.sla(case_id))
            pipe.zrem(COMMITTEE.sla_due, case_id)
            await pipe.execute()

    async def take_due(self, now: datetime) -> list[CaseTimer]:
        """Due timers, each taken by exactly one caller (ZREM decides)."""
        taken = []
        for raw in await self.redis.zrangebyscore(COMMITTEE.sla_due, 0, now.timestamp()):
            case_id = text_of(raw)
            if not await self.redis.zrem(COMMITTEE.sla_due, case_id):
                continue
            body = await self.redis.get(COMMITTEE.sla(case_id))
            if body is not None:
                data = json.loads(body)
                due = datetime.fromisoformat(data["due"])
                taken.append(CaseTimer(case_id, Stage(data["stage"]), due))
        return taken


class CommitteeSla:
    def __init__(
        self,
        bank: BankAdapter,
        timers: CaseTimers,
        calendar: WorkingCalendar,
        notices: CommitteeNotices,
    ) -> None:
        self.bank = bank
        self.timers = timers
        self.calendar = calendar
        self.notices = notices

    async def start(self, case: CommitteeCase) -> None:
        committee = await self.notices.committee_of(case)
        half = timedelta(hours=committee.sla_hours) / 2
        due = self.calendar.add(case.presented_at, half)
        await self.timers.set(CaseTimer(case.id, Stage.MEMBERS, due))

    async def stop(self, case_id: str) -> None:
        await self.timers.clear(case_id)

    async def run_checks(self, now: datetime) -> int:
        """Remind what is due; returns how many reminders went out."""
        fired = 0
        for timer in await self.timers.take_due(now):
            try:
                case = await self.bank.get_committee_case(timer.case_id)
            except BankError:  # taken off the index: put back for the next pass, not lost
                log.warning("committee SLA: case %s not read, tried again later", timer.case_id)
                await self.timers.set(timer)
                continue
            if case.status is CaseStatus.VOTING:
                await self._fire(timer, case)
                fired += 1
        return fired

    async def _fire(self, timer: CaseTimer, case: CommitteeCase) -> None:
        committee = await self.notices.committee_of(case)
        voted = {vote.member_id for vote in case.votes if vote.current}
        waiting = max(committee.members_needed - len(voted), 0)
        if timer.stage is Stage.MEMBERS:
            silent = [m.officer_id for m in committee.members if m.officer_id not in voted]
            await self.notices.remind(case, silent, waiting, chair=False, due=timer.due)
            end = self.calendar.add(case.presented_at, timedelta(hours=committee.sla_hours))
            await self.timers.set(CaseTimer(case.id, Stage.CHAIR, end))
            return
        chairs = [member.officer_id for member in committee.members if member.chair]
        await self.notices.remind(case, chairs, waiting, chair=True, due=timer.due)
