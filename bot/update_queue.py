"""A durable queue of incoming updates on a Redis Stream with a consumer group.

An update is acknowledged to Telegram once it is in the stream (AOF makes that durable);
it leaves the stream only after the Dispatcher handled it. Entries a crashed process had
taken are claimed again by any live process after `reclaim_idle_ms`; an entry that keeps
failing goes to a dead-letter stream after `max_deliveries` so it cannot block the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

log = logging.getLogger(__name__)

Handle = Callable[[bytes], Awaitable[None]]


class UpdateQueue:
    def __init__(
        self,
        redis: Redis,
        consumer: str,
        *,
        stream: str = "bot:updates",
        group: str = "handlers",
        concurrency: int = 64,
        reclaim_idle_ms: int = 60_000,
        max_deliveries: int = 5,
    ) -> None:
        self.redis = redis
        self.consumer = consumer
        self.stream = stream
        self.group = group
        self.reclaim_idle_ms = reclaim_idle_ms
        self.max_deliveries = max_deliveries
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[None]] = set()

    async def prepare(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: the group exists already
            await self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)

    async def put(self, raw_update: bytes) -> None:
        await self.redis.xadd(self.stream, {"update": raw_update})

    async def serve(self, handle: Handle, stop: asyncio.Event, block_ms: int = 1000) -> None:
        """Handle entries until `stop` is set, then wait for those in flight."""
        await self.prepare()
        await self.reclaim(handle)
        reclaim_every = max(1, self.reclaim_idle_ms // (2 * block_ms))
        rounds = 0
        while not stop.is_set():
            await self.read_new(handle, block_ms)
            rounds += 1
            if rounds % reclaim_every == 0:
                await self.reclaim(handle)
        await self.drain()

    async def drain(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def reclaim(self, handle: Handle) -> None:
        """Take over entries another (dead) consumer left unacknowledged for too long."""
        start = "0-0"
        while True:
            reply: Any = await self.redis.xautoclaim(
                self.stream, self.group, self.consumer, self.reclaim_idle_ms, start, count=100
            )
            start, entries = reply[0], reply[1]
            for entry_id, fields in entries:
                if await self._too_often_delivered(entry_id):
                    await self._bury(entry_id, fields)
                else:
                    await self._dispatch(handle, entry_id, fields)
            if start in (b"0-0", "0-0") or not entries:
                return

    async def read_new(self, handle: Handle, block_ms: int) -> None:
        reply: Any = await self.redis.xreadgroup(
            self.group, self.consumer, {self.stream: ">"}, count=100, block=block_ms
        )
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
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
        except Exception:
            log.exception("update %s failed; it stays queued and will be retried", entry_id)
        finally:
            self._slots.release()

    async def _too_often_delivered(self, entry_id: bytes) -> bool:
        pending: Any = await self.redis.xpending_range(
            self.stream, self.group, min=entry_id, max=entry_id, count=1
        )
        return bool(pending) and int(pending[0]["times_delivered"]) > self.max_deliveries

    async def _bury(self, entry_id: bytes, fields: dict[bytes, bytes]) -> None:
        log.error(
            "update %s failed %d times; moved to the dead-letter stream",
            entry_id,
            self.max_deliveries,
        )
        await self.redis.xadd(f"{self.stream}:dead", dict(fields))  # type: ignore[arg-type]
        await self._finish(entry_id)

    async def _finish(self, entry_id: bytes) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, self.group, entry_id)
            pipe.xdel(self.stream, entry_id)
            await pipe.execute()
