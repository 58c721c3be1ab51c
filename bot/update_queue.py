"""A durable queue of incoming updates on a Redis Stream with a consumer group.

An update is acknowledged to Telegram once it is in the stream (AOF makes that durable);
it leaves the stream only after the Dispatcher handled it. Entries a crashed process had
taken are claimed again by any live process after `reclaim_idle_ms`; an entry that keeps
failing goes to a dead-letter stream after `max_deliveries` so it cannot block the rest.

`serve` is supervised: a Redis outage fails a round, the loop backs off and resumes by
itself; entries this consumer had taken when a round or a handler failed are taken up again
as soon as nothing is in flight; a stream or group that vanished (the database was emptied)
is created again.

`PartitionedUpdates` spreads the updates over N such streams by chat (each with its
consumer group, on a cluster each in its own slot), so that no one stream or shard carries
every update; a chat's updates always land in the same partition.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from aiogram.dispatcher.middlewares.user_context import UserContextMiddleware
from aiogram.types import Update
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bot.redis_keys import UPDATES, StreamKeys, update_partition
from bot.supervision import Backoff, Heartbeats, supervise

log = logging.getLogger(__name__)

Handle = Callable[[bytes], Awaitable[None]]
ROUND_ALLOWANCE_SECONDS = 30.0  # a consumer that has not finished a read round for this long
RECOVERY_BACKOFF = Backoff(first_delay=0.1, max_delay=2.0)


@dataclass(frozen=True)
class QueueStats:
    depth: int  # entries not handled yet: waiting and in progress
    pending: int  # taken by a consumer, not acknowledged
    oldest_age_seconds: float  # how long the oldest unhandled entry has waited (0 when empty)


class IncomingUpdates(Protocol):
    """Where the webhook and the poller put updates (one stream, or its partitions)."""

    async def put(self, raw_update: bytes) -> None: ...

    async def stats(self) -> QueueStats: ...


class UpdateQueue:
    def __init__(
        self,
        redis: Redis,
        consumer: str,
        *,
        keys: StreamKeys = UPDATES,
        concurrency: int = 64,
        reclaim_idle_ms: int = 60_000,
        max_deliveries: int = 5,
    ) -> None:
        self.redis = redis
        self.consumer = consumer
        self.name = keys.name  # for heartbeats and logs, the same on a cluster
        self.stream = keys.stream
        self.group = keys.group
        self.dead = keys.dead
        self.reclaim_idle_ms = reclaim_idle_ms
        self.max_deliveries = max_deliveries
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()
        self._ready = False  # the group is known to exist
        self._own_pending = True  # entries of ours may be waiting in the pending list

    async def prepare(self) -> None:
        try:
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except ResponseError as error:
            if "BUSYGROUP" not in str(error):
                raise
        self._ready = True

    async def put(self, raw_update: bytes) -> None:
        await self.redis.xadd(self.stream, {"update": raw_update})

    async def serve(
        self,
        handle: Handle,
        stop: asyncio.Event,
        block_ms: int = 1000,
        heartbeats: Heartbeats | None = None,
    ) -> None:
        """Handle entries until `stop` is set, then wait for those in flight.

        Each read round beats `heartbeats` under the stream's name, empty rounds included:
        no updates arriving is not being stuck.
        """
        if heartbeats is not None:
            heartbeats.register(self.name, ROUND_ALLOWANCE_SECONDS)
        rounds = itertools.count(1)
        reclaim_every = max(1, self.reclaim_idle_ms // (2 * block_ms))

        async def one_round() -> None:
            await self.serve_round(handle, block_ms, reclaim=next(rounds) % reclaim_every == 0)

        try:
            await supervise(
                self.name, one_round, stop, backoff=RECOVERY_BACKOFF, heartbeats=heartbeats
            )
            await self.drain()
        except asyncio.CancelledError:
            try:
                await self.hand_back()  # shutdown ran out of time
            except (RedisError, OSError):  # the entries are reclaimed by the next process
                log.warning("%s: could not hand back the updates in hand", self.name)
            raise

    async def serve_round(self, handle: Handle, block_ms: int, *, reclaim: bool = False) -> None:
        try:
            if not self._ready:
                await self.prepare()
                await self.reclaim(handle)
            if self._own_pending and not self._in_flight:
                await self.take_up_own(handle)
            await self.read_new(handle, block_ms)
            if reclaim:
                await self.reclaim(handle)
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            log.warning("stream %s or its group vanished; creating them again", self.stream)
            await self.prepare()
        except Exception:
            self._own_pending = True  # a reply lost on the way may have delivered entries
            raise

    async def drain(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def hand_back(self) -> None:
        """Cut what is in flight and put every entry this consumer holds back on the stream,
        where any consumer takes it at once (not after `reclaim_idle_ms`). A handler cut
        after its answer left has marked the update done: the next run skips it."""
        for task in self._in_flight:
            task.cancel()
        await asyncio.gather(*self._in_flight, return_exceptions=True)
        held: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: "0"}, count=10_000
        )
        entries = [entry for _stream, items in held or [] for entry in items]
        for entry_id, fields in entries:
            async with self.redis.pipeline(transaction=True) as pipe:
                if fields:
                    pipe.xadd(self.stream, dict(fields))
                pipe.xack(self.stream, self.group, entry_id)
                pipe.xdel(self.stream, entry_id)
                await pipe.execute()
        if entries:
            log.warning("shutdown: %d unfinished updates handed back", len(entries))

    async def reclaim(self, handle: Handle) -> None:
        """Take over entries another (dead) consumer left unacknowledged for too long."""
        start = "0-0"
        while True:
            reply: Any = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, self.reclaim_idle_ms, start, count=100
            )
            start, entries = reply[0], reply[1]
            await self._redeliver(handle, entries)
            if start in (b"0-0", "0-0") or not entries:
                return

    async def take_up_own(self, handle: Handle) -> None:
        """Entries this consumer took and did not finish (a handler or Redis failed)."""
        start: bytes | str = "0"
        while True:
            reply: Any = await self.redis.xreadgroup(
                self.group, self.consumer, {self.stream: start}, count=100
            )
            entries = [entry for _stream, items in reply or [] for entry in items]
            if not entries:
                self._own_pending = False
                return
            await self._redeliver(handle, entries)
            start = entries[-1][0]

    async def read_new(self, handle: Handle, block_ms: int) -> None:
        reply: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=100, block=block_ms
        )
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                await self._dispatch(handle, entry_id, fields)

    async def stats(self) -> QueueStats:
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xlen(self.stream)
            pipe.xrange(self.stream, count=1)
            pipe.xpending(self.stream, self.group)
            depth, oldest, pending = await pipe.execute(raise_on_error=False)
        if isinstance(depth, Exception):
            raise depth
        age = 0.0
        if isinstance(oldest, list) and oldest:
            added_ms = int(oldest[0][0].split(b"-")[0])
            age = max(0.0, time.time() - added_ms / 1000)
        count = 0 if isinstance(pending, Exception) else int(pending["pending"])
        return QueueStats(int(depth), count, age)

    async def _redeliver(self, handle: Handle, entries: list[Any]) -> None:
        for entry_id, fields in entries:
            if not fields:  # deleted meanwhile: nothing left to handle
                await self._finish(entry_id)
            elif await self._too_often_delivered(entry_id):
                await self._bury(entry_id, fields)
            else:
                await self._dispatch(handle, entry_id, fields)

    async def _dispatch(self, handle: Handle, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(self._handle_one(handle, entry_id, fields))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _handle_one(
        self, handle: Handle, entry_id: bytes, fields: dict[bytes, bytes]
    ) -> None:
        try:
            await handle(fields[b"update"])
            await self._finish(entry_id)
        except Exception as error:
            self._own_pending = True
            log.error(
                "entry %s of %s failed (%s); it stays queued and will be retried",
                entry_id.decode(),
                self.stream,
                type(error).__name__,
            )
        finally:
            self._slots.release()

    async def _too_often_delivered(self, entry_id: bytes) -> bool:
        pending: Any = await self.redis.xpending_range(
            self.stream, self.group, min=entry_id, max=entry_id, count=1
        )
        return bool(pending) and int(pending[0]["times_delivered"]) > self.max_deliveries

    async def _bury(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        log.error(
            "entry %s of %s failed %d times; moved to the dead-letter stream",
            entry_id.decode(),
            self.stream,
            self.max_deliveries,
        )
        await self.redis.xadd(self.dead, dict(fields))  # type: ignore[arg-type]
        await self._finish(entry_id)

    async def _finish(self, entry_id: bytes) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()


def partition_of(update: Update, partitions: int) -> int:
    """The partition of an update: by its chat (else its user, else its own id)."""
    context = UserContextMiddleware.resolve_event_context(update)
    if context.chat is not None:
        owner = context.chat.id
    elif context.user is not None:
        owner = context.user.id
    else:
        owner = update.update_id
    return owner % partitions


class PartitionedUpdates:
    """The incoming updates in `partitions` streams; one consumer serves them all.

    With one partition it is the one stream the bot always had, and an update is queued
    without being parsed again."""

    def __init__(
        self, redis: Redis, consumer: str, partitions: int = 1, *, concurrency: int = 64
    ) -> None:
        share = max(1, concurrency // partitions)
        self.partitions = [
            UpdateQueue(redis, consumer, keys=update_partition(index), concurrency=share)
            for index in range(partitions)
        ]

    async def put(self, raw_update: bytes) -> None:
        index = 0
        if len(self.partitions) > 1:
            index = partition_of(Update.model_validate_json(raw_update), len(self.partitions))
        await self.partitions[index].put(raw_update)

    async def serve(
        self,
        handle: Handle,
        stop: asyncio.Event,
        block_ms: int = 1000,
        heartbeats: Heartbeats | None = None,
    ) -> None:
        await asyncio.gather(
            *(queue.serve(handle, stop, block_ms, heartbeats) for queue in self.partitions)
        )

    async def stats(self) -> QueueStats:
        every = await asyncio.gather(*(queue.stats() for queue in self.partitions))
        return QueueStats(
            depth=sum(stats.depth for stats in every),
            pending=sum(stats.pending for stats in every),
            oldest_age_seconds=max(stats.oldest_age_seconds for stats in every),
        )
