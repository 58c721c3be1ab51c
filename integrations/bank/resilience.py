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
    """After `failure_threshold` failures in a row, refuse calls for `reset_after` seconds;
    then let calls through on trial: one success closes it, one failure opens it again."""

    def __init__(
        self,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = failure_threshold
        self._reset_after = reset_after
        self._monotonic = monotonic
        self._failures = 0
        self._opened_at = 0.0
        self._state = BreakerState.CLOSED

    @property
    def state(self) -> BreakerState:
        if self._state == BreakerState.OPEN and self._cooled_down():
            self._state = BreakerState.HALF_OPEN
        return self._state

    def before_call(self) -> None:
        if self.state == BreakerState.OPEN:
            remaining = self._reset_after - (self._monotonic() - self._opened_at)
            raise BankUnavailable(
                f"circuit open: the bank failed repeatedly, retry in {remaining:.0f} s"
            )

    def record_success(self) -> None:
        self._failures = 0
        self._state = BreakerState.CLOSED

    def record_failure(self) -> None:
        self._failures += 1
        if self.state == BreakerState.HALF_OPEN or self._failures >= self._threshold:
            self._state = BreakerState.OPEN
            self._opened_at = self._monotonic()

    def _cooled_down(self) -> bool:
        return self._monotonic() - self._opened_at >= self._reset_after
