"""One reader of the bank's event feed, fanning each event out to its subscribers.

One process at a time reads (a lock in Redis, renewed with each page, that also fences the
cursor): it pages through `BankAdapter.list_events` after the shared cursor, hands every
event to every subscriber, then moves the cursor past the page. Events about different
leads or customers are handed out at once, each lead's or customer's in the feed's order.
Delivery is at least once per subscriber: a page is read again after a crash before its
cursor moved, so subscribers are idempotent by event id. A subscriber that raises does not
hold up the others: the event is parked for that subscriber alone and retried with capped
backoff, then dead-lettered with the error's type after `MAX_ATTEMPTS` (no personal data
is logged).

A bank push to `/bank/events` rings `FeedWakeUp`: a reader waiting for its next poll reads
at once. The push sets a "pending" flag before it rings, and a reader checks the flag after
releasing the lock, so a push that lands while another process reads is not left waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import traceback
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import TypeAdapter
from redis.asyncio import Redis

from bot.clock import Clock
from bot.redis_keys import BANK_FEED
from bot.supervision import Backoff, Heartbeats, supervise
from integrations.bank.errors import BankError
from integrations.bank.models import BankEvent, LeadStatusChanged
from integrations.bank.offer_models import OfferExpired, OfferOpened
from integrations.bank.protocol import BankAdapter

log = logging.getLogger(__name__)

PAGE_SIZE = 100
LOCK_MS = 30_000
POLL_SECONDS = 0.5  # without pushes, how soon a bank event is seen
MAX_ATTEMPTS = 10
CONCURRENCY = 32  # events about different leads or customers handled at once
RETRY_BACKOFF = Backoff(first_delay=1.0, max_delay=300.0)

_EVENT: TypeAdapter[BankEvent] = TypeAdapter(BankEvent)

# Renew the lock if it is still ours and, when given, move the cursor under it.
_EXTEND = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('pexpire', KEYS[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('set', KEYS[2], ARGV[3]) end
return 1
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class FeedSubscriber(Protocol):
    async def on_event(self, event: BankEvent, now: datetime) -> None:
        """Act on one event; may be called again with the same event (same `event.id`)."""


class FeedWakeUp:
    """The bank pushed something: whichever reader waits reads now."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def ring(self) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(BANK_FEED.pending, 1, ex=60)
            pipe.lpush(BANK_FEED.wake, 1)
            pipe.ltrim(BANK_FEED.wake, 0, 0)
            pipe.expire(BANK_FEED.wake, 60)
            await pipe.execute()

    async def wait(self, seconds: float, stop: asyncio.Event) -> None:
        """Until rung, `seconds` pass, or `stop` is set."""
        rung = asyncio.ensure_future(self.redis.blpop([BANK_FEED.wake], timeout=seconds))  # type: ignore[arg-type]  # redis-py 7 types
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait((rung, stopped), return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            if not rung.done():
                rung.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await rung
        if rung.done() and not rung.cancelled():
            rung.result()  # a Redis error belongs to the supervised loop


class ParkedEvents:
    """Per subscriber: events it failed on, retried with backoff, then dead-lettered."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def park(
        self, name: str, event: BankEvent, attempts: int, error: Exception, now: datetime
    ) -> None:
        reason = type(error).__name__
        where = "".join(traceback.format_tb(error.__traceback__))
        if attempts >= MAX_ATTEMPTS:
            log.error("subscriber %s gave up on event %s (%s)\n%s", name, event.id, reason, where)
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.hset(BANK_FEED.dead(name), event.id, f"{reason} after {attempts}")
                pipe.hdel(BANK_FEED.parked(name), event.id)
                pipe.zrem(BANK_FEED.retry(name), event.id)
                await pipe.execute()
            return
        log.warning("subscriber %s failed on event %s (%s), attempt %d\n%s",
                    name, event.id, reason, attempts, where)  # fmt: skip
        due = now + timedelta(seconds=RETRY_BACKOFF.delay(attempts))
        body = f"{attempts}:{_EVENT.dump_json(event).decode()}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(BANK_FEED.parked(name), event.id, body)
            pipe.zadd(BANK_FEED.retry(name), {event.id: due.timestamp()})
            await pipe.execute()

    async def due(self, name: str, now: datetime) -> list[tuple[BankEvent, int]]:
        """The subscriber's parked events due for another try, with the attempts so far."""
        ids = await self.redis.zrangebyscore(BANK_FEED.retry(name), 0, now.timestamp())
        if not ids:
            return []
        bodies = await self.redis.hmget(BANK_FEED.parked(name), ids)  # type: ignore[misc]  # redis-py 7 types
        found = []
        for body in bodies:
            if body is not None:
                attempts, raw = _text(body).split(":", 1)
                found.append((_EVENT.validate_json(raw), int(attempts)))
        return found

    async def done(self, name: str, event_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(BANK_FEED.parked(name), event_id)
            pipe.zrem(BANK_FEED.retry(name), event_id)
            await pipe.execute()

    async def dead(self, name: str) -> dict[str, str]:
        """Event id -> why it was given up (operators' view)."""
        raw = await self.redis.hgetall(BANK_FEED.dead(name))  # type: ignore[misc]  # redis-py 7 types
        return {_text(key): _text(value) for key, value in raw.items()}


class BankFeedReader:
    def __init__(
        self,
        redis: Redis,
        bank: BankAdapter,
        clock: Clock,
        *,
        page_size: int = PAGE_SIZE,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.redis = redis
        self.bank = bank
        self.clock = clock
        self.page_size = page_size
        self.poll_seconds = poll_seconds
        self.wake_up = FeedWakeUp(redis)
        self.parked = ParkedEvents(redis)
        self._subscribers: dict[str, FeedSubscriber] = {}
        self._extend = redis.register_script(_EXTEND)
        self._release = redis.register_script(_RELEASE)
        # The token of the lock this reader took and has not been seen to let go of (Redis
        # went away before the release): let go of first, not left to expire.
        self._held: str | None = None

    def subscribe(self, name: str, subscriber: FeedSubscriber) -> None:
        """`name` is stable across restarts: the subscriber's parked events are kept by it."""
        self._subscribers[name] = subscriber

    async def serve(self, stop: asyncio.Event, heartbeats: Heartbeats | None = None) -> None:
        """Read, then wait for a push or the poll interval; supervised as "bank-feed"."""

        async def round_() -> None:
            await self.read()
            await self.wake_up.wait(self.poll_seconds, stop)

        await supervise("bank-feed", round_, stop, heartbeats=heartbeats)

    async def read(self) -> int:
        """Read the feed to its end if no other process is reading; the events handed out."""
        handled = 0
        if self._held is not None:
            await self._let_go(self._held)
        while True:
            token = os.urandom(8).hex()
            if not await self.redis.set(BANK_FEED.lock, token, nx=True, px=LOCK_MS):
                return handled  # the holder reads what is pending before it lets go
            self._held = token
            try:
                await self.redis.delete(BANK_FEED.pending)
                handled += await self._read_locked(token)
            except BankError:
                log.warning("the bank's event feed is not available; reading again later")
                return handled
            finally:
                await self._let_go(token)
            if not await self.redis.exists(BANK_FEED.pending):
                return handled

    async def _let_go(self, token: str) -> None:
        await self._release(keys=[BANK_FEED.lock], args=[token])
        self._held = None

    async def _read_locked(self, token: str) -> int:
        await self._retry_parked(self.clock.now())
        raw = await self.redis.get(BANK_FEED.cursor) or await self.redis.get(
            BANK_FEED.legacy_cursor
        )
        cursor = _text(raw) if raw is not None else None
        handled = 0
        while True:
            page = await self.bank.list_events(after=cursor, limit=self.page_size)
            await self._fan_out(page.events)
            handled += len(page.events)
            advanced = page.next_cursor is not None and page.next_cursor != cursor
            cursor = page.next_cursor if advanced else cursor
            moved = cursor if advanced and cursor is not None else ""
            if not await self._extend(
                keys=[BANK_FEED.lock, BANK_FEED.cursor], args=[token, LOCK_MS, moved]
            ):
                log.warning("the bank feed's lock expired while reading; another reader goes on")
                return handled
            if len(page.events) < self.page_size or not advanced:
                return handled

    async def _fan_out(self, events: list[BankEvent]) -> None:
        """Events about different subjects at once, each subject's in the feed's order."""
        by_subject: dict[str, list[BankEvent]] = {}
        for event in events:
            by_subject.setdefault(_subject(event), []).append(event)
        limit = asyncio.Semaphore(CONCURRENCY)

        async def in_order(group: list[BankEvent]) -> None:
            async with limit:
                for event in group:
                    await self._hand_out(event, self.clock.now())

        async with asyncio.TaskGroup() as tasks:
            for group in by_subject.values():
                tasks.create_task(in_order(group))

    async def _hand_out(self, event: BankEvent, now: datetime) -> None:
        for name, subscriber in self._subscribers.items():
            try:
                await subscriber.on_event(event, now)
            except Exception as error:
                await self.parked.park(name, event, 1, error, now)

    async def _retry_parked(self, now: datetime) -> None:
        for name, subscriber in self._subscribers.items():
            for event, attempts in await self.parked.due(name, now):
                try:
                    await subscriber.on_event(event, now)
                except Exception as error:
                    await self.parked.park(name, event, attempts + 1, error, now)
                else:
                    await self.parked.done(name, event.id)


def _subject(event: BankEvent) -> str:
    """What the event is about: a lead, else a customer."""
    if isinstance(event, LeadStatusChanged | OfferOpened | OfferExpired):
        return f"lead:{event.lead_id}"
    return f"customer:{event.customer_id}"


def _text(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)
