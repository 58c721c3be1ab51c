"""Takes jobs off the outbox, urgent first, has the Sender deliver each and settles the job.

`run_due(now)` does it all in-process until nothing is due (the demo after each line and
after moving its simulated clock; the tests); `serve` keeps consumers, the promotion of
messages whose time came, saq's retries and sweeps and the metrics going, each loop
supervised, so a process never stops because one message or Redis failed.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis
from saq import Job
from saq.job import Status
from saq.utils import now as saq_now_ms

from bot.clock import Clock
from bot.pipeline.outbox import JOB_TIMEOUT_SECONDS, SaqOutbox, decode
from bot.pipeline.sender import Dead, Done, Later, Sender, Why
from bot.redis_keys import OUTBOUND
from bot.services.outbound import OutgoingMessage, Priority
from bot.services.sender import DeadLetter, DeadLetters, Outcome
from bot.supervision import Backoff, Heartbeats, sleep_unless_stopped, supervise
from bot.telemetry import WorkerMetrics

log = logging.getLogger(__name__)

TAKE_WAIT_SECONDS = 0.5
URGENT_ONLY_SHARE = 4  # a quarter of the consumers wait on the urgent queue alone
UPKEEP_SECONDS = 0.25  # how soon a message whose time came is queued
SWEEP_SECONDS = 30.0
DRAIN_LIMIT = 10_000  # jobs one `run_due` handles at most (a runaway guard)


SEND_BACKOFF = Backoff(first_delay=1.0, max_delay=60.0)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # failed tries before a dead letter (flood control not counted)
    max_throttled: int = 5  # 429s before a dead letter
    backoff: Backoff = SEND_BACKOFF


class OutboundDelivery:
    def __init__(
        self,
        outbox: SaqOutbox,
        sender: Sender,
        dead_letters: DeadLetters,
        clock: Clock,
        metrics: WorkerMetrics,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.outbox = outbox
        self.sender = sender
        self.dead_letters = dead_letters
        self.clock = clock
        self.metrics = metrics
        self.policy = policy or RetryPolicy()

    async def run_due(self, now: datetime) -> int:
        """Deliver everything due by `now`, in this process; the number of jobs handled."""
        await self.outbox.promote_due(now)
        await self.outbox.move_retries_due()
        handled = 0
        while handled < DRAIN_LIMIT and await self.outbox.waiting():
            job = await self.outbox.take(wait_seconds=0)
            if job is None:
                break
            await self.handle(job)
            handled += 1
        return handled

    async def handle(self, job: Job) -> None:
        job.started = saq_now_ms()
        job.attempts += 1
        await job.update(status=Status.ACTIVE)
        message = decode((job.kwargs or {})["message"])
        verdict = await self.sender.deliver(message)
        if isinstance(verdict, Done):
            self.metrics.sent.labels(message.kind, verdict.how.value).inc()
            await job.finish(Status.COMPLETE)
        elif isinstance(verdict, Dead):
            await self._give_up(job, message, verdict.reason)
        else:
            await self._later(job, message, verdict)

    async def _later(self, job: Job, message: OutgoingMessage, verdict: Later) -> None:
        counts = dict(job.meta.get("not_counted", {}))
        if verdict.why is not Why.FAILED:
            counts[verdict.why.value] = counts.get(verdict.why.value, 0) + 1
        job.meta["not_counted"] = counts
        failures = job.attempts - sum(counts.values())
        if failures >= self.policy.max_attempts or (
            counts.get(Why.THROTTLED.value, 0) > self.policy.max_throttled
        ):
            await self._give_up(job, message, verdict.reason)
            return
        seconds = verdict.seconds
        if seconds is None:
            seconds = self.policy.backoff.delay(failures)
        job.retry_delay, job.retry_backoff = seconds, False
        self.metrics.retried.labels(message.kind).inc()
        log.info("%s message put off %.1fs (%s)", message.kind, seconds, verdict.reason)
        await job.retry(verdict.reason)

    async def _give_up(self, job: Job, message: OutgoingMessage, reason: str) -> None:
        await self.dead_letters.add(DeadLetter(message.key, message.kind, reason, job.attempts))
        await self.sender.record.settled(message.key, Outcome.DEAD)
        self.metrics.dead.labels(message.kind).inc()
        log.warning("%s message given up after %d tries (%s)", message.kind, job.attempts, reason)
        await job.finish(Status.FAILED, error=reason)

    async def serve(self, stop: asyncio.Event, heartbeats: Heartbeats, consumers: int) -> None:
        """Until `stop`: `consumers` concurrent senders and the upkeep loops, supervised."""
        heartbeats.register("outbound-consumers", allowance=60)
        heartbeats.register("outbound-upkeep", allowance=60)
        heartbeats.register("outbound-sweep", allowance=SWEEP_SECONDS * 4)

        async def consume() -> None:
            job = await self.outbox.take(TAKE_WAIT_SECONDS)
            if job is not None:
                await self.handle(job)

        async def consume_urgent() -> None:
            job = await self.outbox.take(TAKE_WAIT_SECONDS, only=Priority.URGENT)
            if job is not None:
                await self.handle(job)

        async def upkeep() -> None:
            await self.outbox.promote_due(self.clock.now())
            await self.outbox.move_retries_due()
            await self._measure()
            await sleep_unless_stopped(stop, UPKEEP_SECONDS)

        async def sweep() -> None:
            await sweep_abandoned(self.outbox)
            await sleep_unless_stopped(stop, SWEEP_SECONDS)

        urgent_only = max(1, consumers // URGENT_ONLY_SHARE)
        loops = [
            supervise("outbound-consumers", consume, stop, heartbeats=heartbeats)
            for _ in range(consumers - urgent_only)
        ]
        loops += [
            supervise("outbound-consumers", consume_urgent, stop, heartbeats=heartbeats)
            for _ in range(urgent_only)
        ]
        loops.append(supervise("outbound-upkeep", upkeep, stop, heartbeats=heartbeats))
        loops.append(supervise("outbound-sweep", sweep, stop, heartbeats=heartbeats))
        await asyncio.gather(*loops)

    async def _measure(self) -> None:
        for priority in Priority:
            name = OUTBOUND.queue(priority)
            queue = self.outbox.queues[priority]
            self.metrics.waiting.labels(name).set(await queue.count("queued"))
            self.metrics.lag.labels(name).set(await self.outbox.oldest_wait(priority))
        self.metrics.waiting.labels("not_due").set(await self.outbox.not_due())


async def sweep_abandoned(outbox: SaqOutbox) -> int:
    """Jobs left active by a process that died (or lost Redis mid-job) go back on their queue.

    saq's own sweep aborts through pub/sub and waits for the owner; here the owner is gone
    by the time the job is past its timeout, so the job is retried directly. A job still
    being sent after all is harmless: the record lets one delivery of a key through."""
    redis: Redis = outbox.redis
    if not await redis.set(OUTBOUND.sweep_lock, 1, nx=True, ex=int(SWEEP_SECONDS)):
        return 0
    swept = 0
    deadline_ms = saq_now_ms() - JOB_TIMEOUT_SECONDS * 1000
    for queue in outbox.queues.values():
        active = queue.namespace("active")
        for job_id in await redis.lrange(active, 0, -1):  # type: ignore[misc]  # redis-py 7 types
            key = queue.job_key_from_id(job_id.decode() if isinstance(job_id, bytes) else job_id)
            job = await queue.job(key)
            if job is None:
                await redis.lrem(active, 0, job_id)  # type: ignore[misc]  # redis-py 7 types
            elif job.stuck or (job.status is not Status.ACTIVE and job.touched < deadline_ms):
                await queue.retry(job, "swept")
                swept += 1
    return swept
