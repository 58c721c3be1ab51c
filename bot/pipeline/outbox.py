"""The Outbox on saq: one Redis queue per Priority, and an index of what is not due yet.

saq gives each message a job whose key is the message's idempotency key (a key queued
twice is one job), retries scheduled for later, and sweeps of jobs whose process died.
saq's Redis queue has no priorities, so each Priority has its own queue and consumers
look at the urgent one first (`take`).

A message with a `not_before` goes into a sorted set scored by that moment on the bot's
Clock, and `promote_due(now)` moves what is due onto its queue. saq's own scheduling
compares with the system time (`time.time()` in its scripts' arguments), so it cannot follow
the demo's simulated clock; with the system clock the two behave alike.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aiogram.types import InlineKeyboardMarkup
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError
from saq import Job
from saq.job import Status
from saq.queue.redis import RedisQueue
from saq.utils import now as saq_now_ms

from bot.clock import Clock
from bot.redis_keys import OUTBOUND, saq_job_key
from bot.services.outbound import OutgoingMessage, Priority
from bot.services.sender import DeliveryRecord

JOB_FUNCTION = "deliver"
JOB_TIMEOUT_SECONDS = 120  # longer than any wait for a send slot; then saq sweeps it
JOB_RETRIES = 100  # saq's cap, for its sweeps; the delivery policy counts real attempts
JOB_KEEP_SECONDS = 3600
NEXT_QUEUE_WAIT_SECONDS = 0.001  # how long a look at a more urgent queue may block
PROMOTE_BATCH = 500
# saq 0.26's enqueue script (`RedisQueue._enqueue`), for many jobs in one pipeline: the job
# is written and queued unless a job of its key is queued, running or being aborted.
ENQUEUE_SCRIPT = """
if not redis.call('ZSCORE', KEYS[1], KEYS[2]) and redis.call('EXISTS', KEYS[4]) == 0 then
    redis.call('SET', KEYS[2], ARGV[1])
    redis.call('ZADD', KEYS[1], ARGV[2], KEYS[2])
    if ARGV[2] == '0' then redis.call('RPUSH', KEYS[3], KEYS[2]) end
    return 1
end
return nil
"""


class OutboxQueue(RedisQueue):
    """saq's Redis queue, with the notice of a job's new status sent in the same round trip
    as the status (saq sends it after): two fewer round trips per message.

    On Redis Cluster saq works once each queue is in one slot (a hash tag in its name and
    in its jobs' keys, see `bot.redis_keys.saq_queue_name`), but redis-py's cluster client
    has no pub/sub: saq's notices of a job's status (which it waits for while it aborts a
    swept job) go through `pubsub`, a plain connection to one node (a cluster carries
    PUBLISH to every node)."""

    def __init__(self, redis: Redis, name: str, pubsub: Redis | None = None) -> None:
        super().__init__(pubsub or redis, name=name)
        self.redis = redis
        self._notices = pubsub
        self._enqueue_all = redis.register_script(ENQUEUE_SCRIPT)

    async def enqueue_all(self, jobs: Sequence[Job]) -> list[bool]:
        """saq's `enqueue` for many jobs in one round trip; False for a job already there."""
        for job in jobs:
            job.queue = self
            job.queued = saq_now_ms()
            job.status = Status.QUEUED
            await self._before_enqueue(job)
        calls = [
            (
                [self._incomplete, job.id, self._queued, job.abort_id],
                [self.serialize(job), job.scheduled],
            )
            for job in jobs
        ]
        answers = await self._evalsha_all(calls)
        lost = [i for i, answer in enumerate(answers) if isinstance(answer, NoScriptError)]
        if lost:  # Redis lost its script cache (a restart): those again, the script loaded
            await self.redis.script_load(ENQUEUE_SCRIPT)
            again = await self._evalsha_all([calls[i] for i in lost])
            for i, answer in zip(lost, again, strict=True):
                answers[i] = answer
        for answer in answers:
            if isinstance(answer, Exception):
                raise answer
        return [bool(answer) for answer in answers]

    async def _evalsha_all(self, calls: list[tuple[list[str], list[Any]]]) -> list[Any]:
        async with self.redis.pipeline(transaction=False) as pipe:
            for keys, args in calls:
                pipe.execute_command("EVALSHA", self._enqueue_all.sha, len(keys), *keys, *args)
            return list(await pipe.execute(raise_on_error=False))

    async def notify(self, job: Job) -> None:
        await (self._notices or self.redis).publish(job.id, job.status)

    async def _update(self, job: Job, status: Status | None = None, **kwargs: Any) -> None:
        if status is None:  # saq reads the stored status first
            await super()._update(job, status, **kwargs)
            return
        job.status = status
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(job.id, self.serialize(job))
            await self._execute_and_notify(pipe, job)

    async def _finish(
        self, job: Job, status: Status, *, result: Any = None, error: str | None = None
    ) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.lrem(self.namespace("active"), 1, job.id)
            pipe.zrem(self.namespace("incomplete"), job.id)
            pipe.setex(job.id, job.ttl, self.serialize(job))  # every job here has a ttl
            await self._execute_and_notify(pipe, job)

    async def _execute_and_notify(self, pipe: Any, job: Job) -> None:
        """The transaction and the notice in one round trip; on a cluster the notice right
        after, on its own connection."""
        if self._notices is not None:
            await pipe.execute()
            await self.notify(job)
            return
        pipe.publish(job.id, job.status)
        await pipe.execute()


class SaqOutbox:
    """Implements `bot.services.outbound.Outbox`."""

    def __init__(self, redis: Redis, clock: Clock, record: DeliveryRecord) -> None:
        self.redis = redis
        self.clock = clock
        self.record = record
        pubsub = _pubsub_client(redis)
        self.queues = {p: OutboxQueue(redis, OUTBOUND.queue(p), pubsub) for p in sorted(Priority)}

    async def enqueue(self, message: OutgoingMessage) -> bool:
        """Queue the message durably; False when its key was queued before.

        The job is written before the record, so a crash in between loses nothing (the
        Sender's record still refuses a second delivery of the key)."""
        if await self.record.was_queued(message.key):
            return False
        if message.not_before is not None and message.not_before > self.clock.now():
            queued = await self._schedule(message, message.not_before)
        else:
            queued = await self._queue(message)
        return queued and await self.record.accept(message.key)

    async def enqueue_all(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        """`enqueue` for many messages in a few round trips (records read, jobs written,
        records set), whatever their number; same order, same guarantees."""
        queued_before = await self.record.queued_among([m.key for m in messages])
        now = self.clock.now()
        firsts: dict[str, OutgoingMessage] = {}  # a key twice in the batch: the first counts
        for message in messages:
            firsts.setdefault(message.key, message)
        fresh = [m for m in firsts.values() if m.key not in queued_before]
        later = [m for m in fresh if m.not_before is not None and m.not_before > now]
        written = {m.key: await self._schedule(m, m.not_before) for m in later if m.not_before}
        for priority, queue in self.queues.items():
            batch = [m for m in fresh if m.priority is priority and m.key not in written]
            if batch:
                answers = await queue.enqueue_all([self._job(queue, m) for m in batch])
                written.update(zip((m.key for m in batch), answers, strict=True))
        keys = [key for key, done in written.items() if done]
        accepted = dict(zip(keys, await self.record.accept_all(keys), strict=True))
        return [accepted.get(m.key, False) and firsts[m.key] is m for m in messages]

    async def withdraw(self, key_prefix: str) -> int:
        """Drop messages not due yet whose key starts with `key_prefix` (moved or forgotten)."""
        members = [m async for m, _s in self.redis.zscan_iter(OUTBOUND.due, match=f"{key_prefix}*")]
        if not members:
            return 0
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(OUTBOUND.due, *members)
            pipe.hdel(OUTBOUND.due_payload, *members)
            await pipe.execute()
        for member in members:
            await self.record.forget(_text(member))
        return len(members)

    async def promote_due(self, now: datetime) -> int:
        """Move messages due by `now` onto their queues (queue first, then unlist: a crash
        in between queues a key twice, which saq and the record make one delivery)."""
        members = await self.redis.zrangebyscore(
            OUTBOUND.due, "-inf", now.timestamp(), start=0, num=PROMOTE_BATCH
        )
        if not members:
            return 0
        payloads = await self.redis.hmget(OUTBOUND.due_payload, members)  # type: ignore[misc]  # redis-py 7 types
        for payload in payloads:
            if payload is not None:
                await self._queue(decode(json.loads(payload)))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(OUTBOUND.due, *members)
            pipe.hdel(OUTBOUND.due_payload, *members)
            await pipe.execute()
        return len(members)

    async def take(self, wait_seconds: float, *, only: Priority | None = None) -> Job | None:
        """The next job, the most urgent first; waits up to `wait_seconds` on the last queue.

        Each more urgent queue is looked at for a moment only, so an idle consumer spends
        its wait on the least urgent queue and comes back to the urgent one within
        `wait_seconds`. A consumer given `only` waits on that queue alone: a few of those
        take an urgent message the moment it is queued."""
        if only is not None:
            return await self.queues[only].dequeue(
                timeout=max(wait_seconds, NEXT_QUEUE_WAIT_SECONDS)
            )
        queues = list(self.queues.values())
        for queue in queues[:-1]:
            job = await queue.dequeue(timeout=NEXT_QUEUE_WAIT_SECONDS)
            if job is not None:
                return job
        return await queues[-1].dequeue(timeout=max(wait_seconds, NEXT_QUEUE_WAIT_SECONDS))

    async def waiting(self) -> int:
        """Jobs queued now, in every queue."""
        return sum([await queue.count("queued") for queue in self.queues.values()])

    async def not_due(self) -> int:
        return int(await self.redis.zcard(OUTBOUND.due))

    async def oldest_wait(self, priority: Priority) -> float:
        """Seconds the job at the head of a queue has waited (0 when the queue is empty)."""
        queue = self.queues[priority]
        head = await self.redis.lindex(queue.namespace("queued"), 0)  # type: ignore[misc]  # redis-py 7 types
        job = await queue.job(queue.job_key_from_id(_text(head))) if head is not None else None
        return max(0.0, (saq_now_ms() - job.queued) / 1000) if job is not None else 0.0

    async def move_retries_due(self) -> None:
        """saq's part of scheduling: retries whose delay has passed go back on their queue."""
        for queue in self.queues.values():
            await queue.schedule()

    async def sweep(self) -> None:
        """Jobs left active by a process that died go back on their queue."""
        for queue in self.queues.values():
            await queue.sweep()

    async def _queue(self, message: OutgoingMessage) -> bool:
        queue = self.queues[message.priority]
        return await queue.enqueue(self._job(queue, message)) is not None

    @staticmethod
    def _job(queue: OutboxQueue, message: OutgoingMessage) -> Job:
        return Job(
            function=JOB_FUNCTION,
            kwargs={"message": encode(message)},
            key=saq_job_key(queue.name, message.key),
            timeout=JOB_TIMEOUT_SECONDS,
            retries=JOB_RETRIES,
            ttl=JOB_KEEP_SECONDS,
        )

    async def _schedule(self, message: OutgoingMessage, at: datetime) -> bool:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(OUTBOUND.due, {message.key: at.timestamp()}, nx=True)
            pipe.hsetnx(OUTBOUND.due_payload, message.key, json.dumps(encode(message)))
            added, _stored = await pipe.execute()
        return bool(added)


def _pubsub_client(redis: Redis) -> Redis | None:
    """For a cluster, a plain client of the first node it was given (for saq's pub/sub)."""
    if not isinstance(redis, RedisCluster):
        return None
    node = next(iter(redis.nodes_manager.startup_nodes.values()))
    return Redis(host=node.host, port=node.port)


def encode(message: OutgoingMessage) -> dict[str, Any]:
    return {
        "key": message.key,
        "chat_id": message.chat_id,
        "text": message.text,
        "markup": message.markup.model_dump(mode="json", exclude_none=True)
        if message.markup is not None
        else None,
        "replaces": message.replaces,
        "revision": message.revision,
        "sms_text": message.sms_text,
        "phone": message.phone,
        "customer_id": message.customer_id,
        "priority": int(message.priority),
        "not_before": message.not_before.isoformat() if message.not_before else None,
    }


def decode(fields: dict[str, Any]) -> OutgoingMessage:
    markup = fields.get("markup")
    not_before = fields.get("not_before")
    return OutgoingMessage(
        key=fields["key"],
        chat_id=int(fields["chat_id"]) if fields["chat_id"] is not None else None,
        text=fields["text"],
        markup=InlineKeyboardMarkup.model_validate(markup) if markup is not None else None,
        replaces=fields.get("replaces"),
        revision=int(fields.get("revision") or 0),
        sms_text=fields.get("sms_text"),
        phone=fields.get("phone"),
        customer_id=fields.get("customer_id"),
        priority=Priority(int(fields["priority"])),
        not_before=datetime.fromisoformat(not_before) if not_before else None,
    )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
