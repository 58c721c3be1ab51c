"""The leads' status changes, kept by the officers' feed subscriber for the team figures.

Per lead, its transitions by event id (an event handed out twice is kept once), where it is
(territory and district, for the supervisor's funnel), and an index of leads by when they
were last routed: /team and the funnel read the leads routed in their window instead of the
bank's whole event feed. A lead is kept two months after its last change.
A deployment that had a feed reader before this store existed adopts the feed's history
once (`adopt_feed`)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from redis.asyncio import Redis

from bot.domain.funnel import TrackedLead
from bot.domain.team import Transition
from bot.redis_keys import OFFICERS
from bot.services.officers.staff import text_of
from integrations.bank.models import Lead, LeadStatus, LeadStatusChanged
from integrations.bank.protocol import BankAdapter

FEED_PAGE = 500
KEEP = timedelta(days=62)  # /team looks back a month at most (this week may start in the last)
INDEXED = (LeadStatus.ROUTED, LeadStatus.UNASSIGNED)  # a lead comes in with one of these


class LeadHistory:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def record(self, event: LeadStatusChanged) -> None:
        body = json.dumps(
            {
                "officer_id": event.officer_id,
                "status": event.status.value,
                "at": event.at.isoformat(),
            }
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(OFFICERS.transitions(event.lead_id), event.id, body)
            pipe.expire(OFFICERS.transitions(event.lead_id), KEEP)
            if event.status in INDEXED:
                pipe.zadd(OFFICERS.routed_leads, {event.lead_id: event.at.timestamp()}, gt=True)
                pipe.zremrangebyscore(OFFICERS.routed_leads, "-inf", (event.at - KEEP).timestamp())
            await pipe.execute()

    async def locate(self, lead: Lead) -> None:
        """Keep where the lead is, as long as its transitions are kept."""
        place = json.dumps({"territory": lead.territory_code, "district": lead.district_code})
        await self.redis.set(OFFICERS.lead_place(lead.id), place, ex=KEEP)

    async def routed_since(self, moment: datetime) -> list[TrackedLead]:
        """The leads last routed at `moment` or later: every transition, and the place."""
        lead_ids = [
            text_of(raw)
            for raw in await self.redis.zrangebyscore(
                OFFICERS.routed_leads, moment.timestamp(), "+inf"
            )
        ]
        async with self.redis.pipeline(transaction=False) as pipe:
            for lead_id in lead_ids:
                pipe.hvals(OFFICERS.transitions(lead_id))
                pipe.get(OFFICERS.lead_place(lead_id))
            found = await pipe.execute()
        return [
            _tracked(lead_id, bodies, place)
            for lead_id, bodies, place in zip(lead_ids, found[::2], found[1::2], strict=True)
        ]

    async def adopt_feed(self, bank: BankAdapter) -> int:
        """Once per deployment: record what the bank's feed held before this store did."""
        if await self.redis.exists(OFFICERS.history_adopted):
            return 0
        recorded, cursor = 0, None
        while True:
            page = await bank.list_events(after=cursor, limit=FEED_PAGE)
            for event in page.events:
                if isinstance(event, LeadStatusChanged):
                    await self.record(event)
                    recorded += 1
            if not page.events or page.next_cursor in (None, cursor):
                break
            cursor = page.next_cursor
        await self.redis.set(OFFICERS.history_adopted, 1)
        return recorded


def _tracked(lead_id: str, bodies: list[bytes], place: bytes | None) -> TrackedLead:
    where = json.loads(place) if place else {}
    return TrackedLead(
        lead_id,
        where.get("territory"),
        where.get("district"),
        tuple(_transition(lead_id, json.loads(body)) for body in bodies),
    )


def _transition(lead_id: str, fields: dict[str, str]) -> Transition:
    return Transition(
        lead_id, fields["officer_id"], fields["status"], datetime.fromisoformat(fields["at"])
    )
