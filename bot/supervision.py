"""Every long-running loop is supervised: it restarts after an error, with capped backoff.

`supervise(name, body, stop)` runs `body()` until `stop` is set. When the body raises, the
exception is logged with a reference id and no personal data (its type and where it
happened, never its message, which may carry a phone number or an amount), the loop waits
(doubling from `first_delay` up to `max_delay`) and runs the body again; a body that returns
normally is run again at once, so a body is "one round" or "serve until something breaks".
A process never exits because one loop failed.

`Heartbeats` is what `/healthz` reads: each loop beats after every round that made progress
(or found nothing to do); a loop that has not beaten for longer than its allowance, or whose
last round failed, makes the process unhealthy, with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Body = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Backoff:
    first_delay: float = 0.1
    max_delay: float = 5.0

    def delay(self, failures: int) -> float:
        return float(min(self.first_delay * 2 ** max(failures - 1, 0), self.max_delay))


@dataclass
class LoopHealth:
    name: str
    allowance: float  # seconds without a beat before the loop counts as stuck
    last_beat: float = field(default_factory=time.monotonic)
    failing: str | None = None  # the last error's type and reference id, while it lasts

    def problem(self, now: float) -> str | None:
        if self.failing is not None:
            return f"{self.name}: {self.failing}"
        idle = now - self.last_beat
        if idle > self.allowance:
            return f"{self.name}: no progress for {idle:.0f}s"
        return None


class Heartbeats:
    """The health of this process's loops, by name."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._loops: dict[str, LoopHealth] = {}
        self._clock = clock

    def register(self, name: str, allowance: float) -> LoopHealth:
        health = LoopHealth(name, allowance, last_beat=self._clock())
        self._loops[name] = health
        return health

    def beat(self, name: str) -> None:
        health = self._loops.get(name)
        if health is not None:
            health.last_beat = self._clock()
            health.failing = None

    def failed(self, name: str, reason: str) -> None:
        health = self._loops.get(name)
        if health is not None:
            health.failing = reason

    def problems(self) -> list[str]:
        now = self._clock()
        return [p for health in self._loops.values() if (p := health.problem(now)) is not None]


async def supervise(
    name: str,
    body: Body,
    stop: asyncio.Event,
    *,
    backoff: Backoff | None = None,
    heartbeats: Heartbeats | None = None,
) -> None:
    """Run `body` again and again until `stop` is set; never raise (but for cancellation)."""
    backoff = backoff or Backoff()
    failures = 0
    while not stop.is_set():
        try:
            await body()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            failures += 1
            reference = uuid.uuid4().hex[:8]
            reason = f"{type(error).__name__} (ref {reference})"
            log.error(
                "loop %s failed (%s), attempt %d; restarting\n%s",
                name,
                reason,
                failures,
                where_it_failed(error),
                extra={"ref": reference, "loop": name},
            )
            if heartbeats is not None:
                heartbeats.failed(name, reason)
            await sleep_unless_stopped(stop, backoff.delay(failures))
            continue
        failures = 0
        if heartbeats is not None:
            heartbeats.beat(name)


def where_it_failed(error: BaseException) -> str:
    """The traceback without the exception's message, which may carry personal data."""
    return "".join(traceback.format_tb(error.__traceback__))


async def sleep_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less when `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
