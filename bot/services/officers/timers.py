"""The SLA timers of leads in Redis: one per lead, a sorted set by due time plus the timer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from redis.asyncio import Redis

from bot.redis_keys import OFFICERS
from bot.services.officers.staff import text_of


class SlaStage(StrEnum):
    REMIND = "remind"  # unclaimed: remind the officer
    ESCALATE = "escalate"  # still unclaimed: the supervisor
    CONTACT = "contact"  # claimed, not contacted: the supervisor


@dataclass(frozen=True)
class SlaTimer:
    lead_id: str
    stage: SlaStage
    due: datetime
    officer_id: str | None
    since: datetime


class SlaTimers:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def set(self, timer: SlaTimer) -> None:
        body = json.dumps(
            {
                "lead_id": timer.lead_id,
                "stage": timer.stage.value,
                "due": timer.due.isoformat(),
                "officer_id": timer.officer_id,
                "since": timer.since.isoformat(),
            }
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(OFFICERS.sla(timer.lead_id), body)
            pipe.zadd(OFFICERS.sla_due, {timer.lead_id: timer.due.timestamp()})
            await pipe.execute()

    async def get(self, lead_id: str) -> SlaTimer | None:
        raw = await self.redis.get(OFFICERS.sla(lead_id))
        if raw is None:
            return None
        data = json.loads(raw)
        return SlaTimer(
            lead_id=data["lead_id"],
            stage=SlaStage(data["stage"]),
            due=datetime.fromisoformat(data["due"]),
            officer_id=data["officer_id"],
            since=datetime.fromisoformat(data["since"]),
        )

    async def clear(self, lead_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(OFFICERS.sla(lead_id))
            pipe.zrem(OFFICERS.sla_due, lead_id)
            await pipe.execute()

    async def take_due(self, now: datetime) -> list[SlaTimer]:
        """Due timers, each taken by exactly one caller (ZREM decides)."""
        lead_ids = await self.redis.zrangebyscore(OFFICERS.sla_due, 0, now.timestamp())
        taken = []
        for raw in lead_ids:
            lead_id = text_of(raw)
            if await self.redis.zrem(OFFICERS.sla_due, lead_id):
                timer = await self.get(lead_id)
                if timer is not None:
                    taken.append(timer)
        return taken
