"""Retries with exponential backoff and full jitter, and a circuit breaker, for bank calls."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from integrations.bank.errors import BankUnavailable


@dataclass(frozen=True)
class RetryPolicy:
    """At most `attempts` tries; before try n+1 wait a random time up to base * 2**(n-1),
    capped ("full jitter", so many clients retrying do not arrive together)."""

    attempts: int = 3
    base_delay: float = 0.2
    max_delay: float = 2.0
    random_fraction: Callable[[], float] = field(default=random.random, repr=False)

    def delay_before(self, next_attempt: int) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (next_attempt - 2))
        return ceiling * self.random_fraction()


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """After `failure_threshold` failures in a row, refuse calls for a short open period;
    when it ends, let exactly one call through as a probe: its success closes the breaker,
    its failure opens it again for twice as long, up to `max_open_for` seconds. So a bank
    that is down costs one call per open period, and one that is back is used again within
    seconds. A probe that never reports back (cancelled) frees its place after
    `probe_timeout` seconds."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after: float = 1.0,
        max_open_for: float = 5.0,
        probe_timeout: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failure_threshold
        self._reset_after = reset_after
        self._max_open_for = max(max_open_for, reset_after)
        self._probe_timeout = probe_timeout
        self._monotonic = monotonic
        self._failures = 0
        self._open_for = reset_after
        self._opened_at = 0.0
        self._probe_started: float | None = None
        self._state = BreakerState.CLOSED

    @property
    def state(self) -> BreakerState:
        if self._state == BreakerState.OPEN and self._cooled_down():
            self._state = BreakerState.HALF_OPEN
        return self._state

    def before_call(self) -> None:
        state = self.state
        if state == BreakerState.OPEN:
            remaining = self._open_for - (self._monotonic() - self._opened_at)
            raise BankUnavailable(
                f"circuit open: the bank failed repeatedly, retry in {remaining:.0f} s"
            )
        if state == BreakerState.HALF_OPEN:
            now = self._monotonic()
            if self._probe_started is not None and now - self._probe_started < self._probe_timeout:
                raise BankUnavailable("circuit half open: a probe call is under way")
            self._probe_started = now

    def record_success(self) -> None:
        self._failures = 0
        self._open_for = self._reset_after
        self._probe_started = None
        self._state = BreakerState.CLOSED

    def record_failure(self) -> None:
        self._failures += 1
        if self.state == BreakerState.HALF_OPEN:
            self._open_for = min(self._open_for * 2, self._max_open_for)
            self._open()
        elif self._failures >= self._threshold:
            self._open()

    def _open(self) -> None:
        self._probe_started = None
        self._state = BreakerState.OPEN
        self._opened_at = self._monotonic()

    def _cooled_down(self) -> bool:
        return self._monotonic() - self._opened_at >= self._open_for
