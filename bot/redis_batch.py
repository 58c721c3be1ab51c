"""Automatic pipelining: script calls made in the same event-loop turn share one round trip.

With hundreds of users active at once, the cost of a Redis call is mostly the client's
per-request work and the event-loop wake-ups, not Redis itself. Batching the calls that
coroutines issue in one turn into a single pipeline pays those once per batch. Each
script still runs atomically on its own; a failed batch fails each of its callers.

On Redis Cluster the batch is a cluster pipeline: redis-py splits it by node and follows
MOVED; each script's keys are in one slot (see `bot.redis_keys`).

A call that must land (the end of an update: it marks the update done and unlocks the
user) is sent again while Redis is unreachable, for as long as the caller allows.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript
from redis.exceptions import (
    ClusterDownError,
    ConnectionError,
    NoScriptError,
    ResponseError,
    SlotNotCoveredError,
    TimeoutError,
)

log = logging.getLogger(__name__)

Call = tuple[AsyncScript, list[Any], list[Any], asyncio.Future[Any]]
# Redis away: the connection, or on a cluster the master of the key's slot (the cluster
# answers CLUSTERDOWN until it is back, or the client has no node for the slot).
UNREACHABLE = (ConnectionError, TimeoutError, OSError, ClusterDownError, SlotNotCoveredError)
RESEND_DELAY_SECONDS = 0.5


class ScriptBatcher:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._pending: list[Call] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    async def run(self, script: AsyncScript, keys: list[Any], args: list[Any]) -> Any:
        return await self._enqueue(script, keys, args)

    async def run_until_landed(
        self, script: AsyncScript, keys: list[Any], args: list[Any], within: float
    ) -> Any:
        """`run`, sent again while Redis is unreachable, for up to `within` seconds.

        Only for scripts whose second run changes nothing (the reply of the first may be
        what was lost)."""
        deadline = asyncio.get_running_loop().time() + within
        while True:
            try:
                return await self.run(script, keys, args)
            except UNREACHABLE:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(RESEND_DELAY_SECONDS)

    def submit(
        self, script: AsyncScript, keys: list[Any], args: list[Any], *, within: float = 0.0
    ) -> None:
        """Send with the next batch without waiting; while Redis is unreachable, again in
        the background for up to `within` seconds (see `run_until_landed`); a failure is
        logged."""

        def settled(future: asyncio.Future[Any]) -> None:
            error = None if future.cancelled() else future.exception()
            if within > 0 and isinstance(error, UNREACHABLE):
                self._track(self.run_until_landed(script, keys, args, within))
            else:
                _log_failure(future)

        self._enqueue(script, keys, args).add_done_callback(settled)

    def _track(self, call: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(call)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(_log_failure)

    async def drain(self) -> None:
        """Wait until every call made so far has been answered (for a clean shutdown)."""
        while self._pending or self._tasks:
            await asyncio.sleep(0)
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)

    def _enqueue(
        self, script: AsyncScript, keys: list[Any], args: list[Any]
    ) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._send)
        self._pending.append((script, keys, args, future))
        return future

    def _send(self) -> None:
        batch, self._pending = self._pending, []
        task = asyncio.create_task(self._execute(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _execute(self, batch: list[Call]) -> None:
        try:
            results = await self._pipeline(batch)
            if any(isinstance(result, NoScriptError) for result in results):
                for script in {call[0] for call in batch}:  # Redis lost its script cache
                    await self.redis.script_load(script.script)
                results = await self._pipeline(batch)
        except Exception as error:  # the whole round trip failed: every caller hears of it
            failure = _as_unreachable(error)
            for *_call, future in batch:
                if not future.done():
                    future.set_exception(failure)
            return
        self._settle(batch, results)

    async def _pipeline(self, batch: list[Call]) -> list[Any]:
        if isinstance(self.redis, RedisCluster):
            return await self._cluster_pipeline(batch)
        return await self._packed_pipeline(batch)

    async def _cluster_pipeline(self, batch: list[Call]) -> list[Any]:
        pipe = self.redis.pipeline()
        for script, keys, args, _future in batch:
            pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
        return await pipe.execute(raise_on_error=False)

    async def _packed_pipeline(self, batch: list[Call]) -> list[Any]:
        """One write of every EVALSHA and one read of the replies, packed here because
        redis-py's per-command machinery costs more than the round trip it rides on."""
        packed = b"".join(
            _pack([b"EVALSHA", script.sha, len(keys), *keys, *args])
            for script, keys, args, _future in batch
        )
        pool: Any = self.redis.connection_pool
        connection = await pool.get_connection()
        try:
            await connection.send_packed_command(packed, check_health=False)
            return [await _read_reply(connection) for _ in batch]
        except BaseException:
            await connection.disconnect()
            raise
        finally:
            await pool.release(connection)

    @staticmethod
    def _settle(batch: list[Call], results: list[Any]) -> None:
        for (*_call, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)


def _as_unreachable(error: Exception) -> Exception:
    """redis-py's asyncio client can raise AttributeError or TypeError from a connection
    that was closed under a write (a cluster node going away; redis-py issue 4287) where it
    means ConnectionError: Redis is away, and what is sent again until it is back must be."""
    frames = traceback.extract_tb(error.__traceback__)
    in_connection = bool(frames) and Path(frames[-1].filename).match("redis/asyncio/connection.py")
    if isinstance(error, AttributeError | TypeError) and in_connection:
        unreachable = ConnectionError(f"connection closed under a write: {error}")
        unreachable.__cause__ = error
        return unreachable
    return error


def _log_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("a background Redis call failed", exc_info=future.exception())


def _pack(arguments: list[Any]) -> bytes:
    parts = [b"*%d\r\n" % len(arguments)]
    for argument in arguments:
        if isinstance(argument, str):
            argument = argument.encode()
        elif isinstance(argument, int):
            argument = b"%d" % argument
        parts.append(b"$%d\r\n%s\r\n" % (len(argument), argument))
    return b"".join(parts)


async def _read_reply(connection: Any) -> Any:
    try:
        return await connection.read_response()
    except ResponseError as error:
        return error
