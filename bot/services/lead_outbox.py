"""Leads that are never lost: a Redis Stream outbox and its delivery through a consumer group.

`LeadOutbox.enqueue` writes the lead once per idempotency key (a script: the key and the
stream entry together). `LeadDelivery` reads new entries with XREADGROUP, submits each to
the bank with its idempotency key and acknowledges it only after the bank answered and the
merchant was told; an entry whose delivery failed stays pending and is claimed again after
a backoff that doubles with each attempt up to 30 s (XPENDING's delivery count, XCLAIM).
The bank's idempotency makes a repeated delivery return the first lead: exactly one lead
per key.

While the bank is not answering (a shared mark in Redis, set by any process whose delivery
met BankUnavailable and cleared by the next success) the waiting leads do not each knock on
their own schedule: once a second, one process (a Redis lock) tries the lead that waited
longest, as a probe. When the probe gets through, every waiting lead goes at once, so the
leads reach the bank within seconds of its return.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.redis_keys import LEAD_OUTBOX, LEADS
from bot.services.bank_feed import FeedWakeUp
from bot.services.later import LaterMessage, LaterMessages
from bot.supervision import Backoff
from integrations.bank.errors import BankError, BankUnavailable
from integrations.bank.models import (
    ConsentPurpose,
    ConsentRequest,
    Lead,
    LeadStatus,
    LeadStatusChanged,
    LeadSubmission,
    LoanDisbursed,
)
from integrations.bank.protocol import BankAdapter

log = logging.getLogger(__name__)

DAY_AHEAD = timedelta(days=1)  # a visit booked further ahead gets a reminder this long before
KEEP_SECONDS = 90 * 86_400
BANK_DOWN_SECONDS = 600  # the mark fades if nobody tries for this long
PROBE_MS = 1_000  # one probe of a bank that is down, per second, across processes

ENQUEUE_SCRIPT = """
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
redis.call('XADD', KEYS[2], '*', 'key', ARGV[3], 'user', ARGV[1], 'locale', ARGV[4],
           'submission', ARGV[5])
redis.call('SADD', KEYS[3], KEYS[1])
redis.call('EXPIRE', KEYS[3], ARGV[2])
redis.call('SET', KEYS[4], ARGV[6], 'EX', ARGV[2])
return 1
"""


@dataclass(frozen=True)
class OutboxEntry:
    idempotency_key: str
    user_id: int
    locale: str
    submission: LeadSubmission

    @classmethod
    def from_fields(cls, fields: dict[bytes, bytes]) -> OutboxEntry:
        return cls(
            idempotency_key=fields[b"key"].decode(),
            user_id=int(fields[b"user"]),
            locale=fields[b"locale"].decode(),
            submission=LeadSubmission.model_validate_json(fields[b"submission"]),
        )


@dataclass(frozen=True)
class Recipient:
    user_id: int
    locale: str


class LeadMessenger(Protocol):
    """Tells the merchant, in their language, what became of their lead."""

    async def lead_received(self, recipient: Recipient, lead: Lead) -> None: ...

    async def lead_changed(
        self,
        recipient: Recipient,
        event: LeadStatusChanged | LoanDisbursed,
        officer_name: str | None,
        visit_at: datetime | None = None,
    ) -> None: ...


def consumer_name() -> str:
    """This process's name in the consumer group."""
    return f"{socket.gethostname()}-{os.getpid()}"


class LeadOutbox:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._enqueue = redis.register_script(ENQUEUE_SCRIPT)

    async def enqueue(self, entry: OutboxEntry) -> bool:
        """False when this key was enqueued before (Submit pressed twice)."""
        keys = [
            LEADS.submitted(entry.idempotency_key),
            LEAD_OUTBOX.stream,
            LEADS.user(entry.user_id),
            LEADS.phone(entry.user_id),
        ]
        args: list[str | int] = [
            entry.user_id,
            KEEP_SECONDS,
            entry.idempotency_key,
            entry.locale,
            entry.submission.model_dump_json(),
            entry.submission.phone,
        ]
        return bool(await self._enqueue(keys, args))

    async def waiting(self) -> int:
        """Entries not yet delivered (new and pending)."""
        return int(await self.redis.xlen(LEAD_OUTBOX.stream))

    async def applied_phone(self, user_id: int) -> str | None:
        """The phone number the user last applied with."""
        phone = await self.redis.get(LEADS.phone(user_id))
        return _text(phone) if phone is not None else None

    async def forget_user(self, user_id: int) -> None:
        """Drop the user's keys and lead ownership records."""
        members = {_text(member) for member in await self.redis.smembers(LEADS.user(user_id))}  # type: ignore[misc]  # redis-py 7 types
        await self.redis.delete(LEADS.user(user_id), LEADS.phone(user_id), *members)


LEAD_BACKOFF = Backoff(first_delay=1.0, max_delay=30.0)  # between tries of one lead


class LeadDelivery:
    def __init__(
        self,
        redis: Redis,
        bank: BankAdapter,
        consumer: str,
        backoff: Backoff | None = None,
        later: LaterMessages | None = None,
    ) -> None:
        """`later` takes the merchant's reminder the day before a booked visit."""
        self.later = later
        self.redis = redis
        self.bank = bank
        self.consumer = consumer
        self.backoff = backoff or LEAD_BACKOFF
        self.feed = FeedWakeUp(redis)
        self._group_ready = False

    def _wait_ms(self, deliveries: int) -> int:
        """Before the next try of a lead; Redis Streams count idle time in milliseconds."""
        return int(self.backoff.delay(deliveries) * 1000)

    async def deliver_new(
        self, messenger: LeadMessenger, block_ms: int | None = None, count: int = 50
    ) -> int:
        """Deliver up to `count` entries nobody has read yet; waits up to `block_ms` for one."""
        reply: Any = await self._in_group(
            lambda: self.redis.xreadgroup(
                LEAD_OUTBOX.group,
                self.consumer,
                {LEAD_OUTBOX.stream: ">"},
                count=count,
                block=block_ms,
            )
        )
        entries = [entry for _stream, items in reply or [] for entry in items]
        return await self._deliver_all(entries, messenger)

    async def retry_due(self, messenger: LeadMessenger) -> int:
        """Claim and deliver pending entries whose backoff has passed; while the bank is
        down, probe it with one entry and, once it answers, deliver all of them."""
        pending = await self._pending()
        if not pending:
            return 0
        if await self.bank_down():
            return await self._probe(pending, messenger)
        due = [
            item
            for item in pending
            if item["time_since_delivered"] >= self._wait_ms(item["times_delivered"])
        ]
        min_idle = min((self._wait_ms(item["times_delivered"]) for item in due), default=0)
        return await self._claim_and_deliver(due, min_idle, messenger)

    async def bank_down(self) -> bool:
        """Whether the last delivery attempt, in any process, found the bank not answering."""
        return bool(await self.redis.exists(LEADS.bank_down))

    async def _probe(self, pending: list[dict[str, Any]], messenger: LeadMessenger) -> int:
        if not await self.redis.set(LEADS.probe, self.consumer, nx=True, px=PROBE_MS):
            return 0  # another process probes this second
        probe = max(pending, key=lambda item: int(item["time_since_delivered"]))
        delivered = await self._claim_and_deliver([probe], 0, messenger)
        if not delivered:
            return 0
        # The bank is back: all the others go now, not when their backoff ends, a page at a
        # time. Entries claimed in the last moment (a Submit delivering its own) are left to
        # whoever holds them.
        start = "-"
        while page := await self._pending(start):
            delivered += await self._claim_and_deliver(page, self._wait_ms(1), messenger)
            start = "(" + _text(page[-1]["message_id"])
        return delivered

    async def _pending(self, start: str = "-") -> list[dict[str, Any]]:
        """A page of pending entries, the oldest first, from `start` ("(id": after id)."""
        pending: list[dict[str, Any]] = await self._in_group(
            lambda: self.redis.xpending_range(
                LEAD_OUTBOX.stream, LEAD_OUTBOX.group, min=start, max="+", count=100
            )
        )
        return pending

    async def _claim_and_deliver(
        self, items: list[dict[str, Any]], min_idle_ms: int, messenger: LeadMessenger
    ) -> int:
        if not items:
            return 0
        claimed: Any = await self.redis.xclaim(
            LEAD_OUTBOX.stream,
            LEAD_OUTBOX.group,
            self.consumer,
            min_idle_time=min_idle_ms,
            message_ids=[item["message_id"] for item in items],
        )
        return await self._deliver_all(claimed, messenger)

    async def run(self, messenger: LeadMessenger, stop: asyncio.Event) -> None:
        """The worker: block on the stream for new leads; retry failed ones in between."""
        while not stop.is_set():
            await self.retry_due(messenger)
            await self.deliver_new(messenger, block_ms=min(self._wait_ms(1), 5_000))

    async def relay(
        self, event: LeadStatusChanged | LoanDisbursed, messenger: LeadMessenger
    ) -> bool:
        """Tell the merchant about a bank event on their lead; False if it is not ours."""
        if event.lead_id is None:
            return False
        owner = await self.redis.get(LEADS.owner(event.lead_id))
        if owner is None:
            return False
        recipient = Recipient(**json.loads(owner))
        officer = await self._officer_name(event)
        visit_at = await self._visit_time(event)
        await messenger.lead_changed(recipient, event, officer, visit_at)
        if visit_at is not None and self.later is not None and visit_at - event.at > DAY_AHEAD:
            details = {"lead": event.lead_id, "at": visit_at.isoformat(), "officer": officer}
            reminder = LaterMessage("visit", recipient.user_id, recipient.locale, details)
            await self.later.schedule(
                reminder, visit_at - timedelta(days=1), f"visit:{event.lead_id}"
            )
        return True

    async def _visit_time(self, event: LeadStatusChanged | LoanDisbursed) -> datetime | None:
        if not isinstance(event, LeadStatusChanged) or event.status is not LeadStatus.VISIT_BOOKED:
            return None
        return (await self.bank.get_lead(event.lead_id)).visit_at

    async def _officer_name(self, event: LeadStatusChanged | LoanDisbursed) -> str | None:
        if event.officer_id is None:
            return None
        try:
            return (await self.bank.get_officer(event.officer_id)).name
        except BankError:
            return None

    async def _deliver_all(self, entries: list[Any], messenger: LeadMessenger) -> int:
        """Independent leads go to the bank side by side, not one after another."""
        results = await asyncio.gather(
            *(self._deliver(entry_id, fields, messenger) for entry_id, fields in entries if fields)
        )
        return sum(results)

    async def _deliver(
        self, entry_id: bytes, fields: dict[bytes, bytes], messenger: LeadMessenger
    ) -> bool:
        entry = OutboxEntry.from_fields(fields)
        try:
            await self._record_consent(entry)  # on file before any officer sees the lead
            lead = await self.bank.submit_lead(
                entry.submission, idempotency_key=entry.idempotency_key
            )
        except BankUnavailable:
            log.info("bank unavailable; outbox entry %s stays pending", entry_id.decode())
            await self.redis.set(LEADS.bank_down, 1, ex=BANK_DOWN_SECONDS)
            return False
        except BankError as error:
            log.error("bank refused outbox entry %s: %s", entry_id.decode(), error.code)
            await self._done(entry_id, dead=fields)
            return False
        recipient = Recipient(entry.user_id, entry.locale)
        await self._remember_owner(recipient, lead)
        # The feed holds the routed lead now: its reader need not wait for the bank's push
        # (or its poll) to draw the officer's card. Rung once the owner is known, so that
        # the merchant's news of the event finds them.
        await self.feed.ring()
        await messenger.lead_received(recipient, lead)
        await self._done(entry_id)
        return True

    async def _record_consent(self, entry: OutboxEntry) -> None:
        """The bank keeps the merchant's consent (and the 征信 authorisation) with its version."""
        version = entry.submission.details.get("consent_version")
        recorded = LEADS.consent_recorded(entry.idempotency_key)
        if version is None or await self.redis.exists(recorded):
            return  # a retry after the bank was down: the consent is already on record
        await self.bank.record_consent(
            ConsentRequest(
                phone=entry.submission.phone,
                purposes=[ConsentPurpose.LOAN_APPLICATION, ConsentPurpose.CREDIT_BUREAU_CHECK],
                text_version=str(version),
                chat_user_id=entry.user_id,
            )
        )
        await self.redis.set(recorded, 1, ex=30 * 86_400)

    async def _remember_owner(self, recipient: Recipient, lead: Lead) -> None:
        owner_key = LEADS.owner(lead.id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(owner_key, json.dumps(recipient.__dict__), ex=KEEP_SECONDS)
            pipe.sadd(LEADS.user(recipient.user_id), owner_key)
            pipe.expire(LEADS.user(recipient.user_id), KEEP_SECONDS)
            await pipe.execute()

    async def _done(self, entry_id: bytes, dead: dict[bytes, bytes] | None = None) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(LEADS.bank_down)  # the bank answered, whatever it said
            if dead is not None:
                pipe.xadd(LEAD_OUTBOX.dead, {b"key": dead[b"key"], b"user": dead[b"user"]})
            pipe.xack(LEAD_OUTBOX.stream, LEAD_OUTBOX.group, entry_id)
            pipe.xdel(LEAD_OUTBOX.stream, entry_id)
            await pipe.execute()

    async def _in_group(self, call: Callable[[], Awaitable[Any]]) -> Any:
        """`call` on the consumer group, made again if Redis lost it (emptied, failed over)."""
        await self._ensure_group()
        try:
            return await call()
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
        self._group_ready = False
        await self._ensure_group()
        return await call()

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.redis.xgroup_create(
                LEAD_OUTBOX.stream, LEAD_OUTBOX.group, id="0", mkstream=True
            )
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._group_ready = True


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
