"""The bank breaker: short, capped open periods and exactly one probe when one ends."""

from __future__ import annotations

import pytest

from integrations.bank.errors import BankUnavailable
from integrations.bank.resilience import BreakerState, CircuitBreaker


class Monotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def opened(monotonic: Monotonic) -> CircuitBreaker:
    breaker = CircuitBreaker(
        failure_threshold=2, reset_after=1, max_open_for=5, probe_timeout=15, monotonic=monotonic
    )
    breaker.record_failure()
    breaker.record_failure()
    return breaker


def test_when_the_open_period_ends_exactly_one_probe_goes_and_its_success_closes() -> None:
    monotonic = Monotonic()
    breaker = opened(monotonic)
    with pytest.raises(BankUnavailable, match="circuit open"):
        breaker.before_call()
    monotonic.now += 1
    breaker.before_call()  # the probe
    with pytest.raises(BankUnavailable, match="probe"):
        breaker.before_call()  # everyone else waits for its answer
    breaker.record_success()
    assert breaker.state == BreakerState.CLOSED
    breaker.before_call()
    breaker.before_call()


def test_failed_probes_reopen_for_longer_but_never_more_than_the_cap() -> None:
    monotonic = Monotonic()
    breaker = opened(monotonic)
    periods = []
    for _ in range(6):
        waited = 0.0
        while breaker.state == BreakerState.OPEN:
            monotonic.now += 0.5
            waited += 0.5
        periods.append(waited)
        breaker.before_call()
        breaker.record_failure()
    assert periods == [1, 2, 4, 5, 5, 5]
    monotonic.now += 5
    breaker.before_call()
    breaker.record_success()  # the bank is back: the next outage starts short again
    breaker.record_failure()
    breaker.record_failure()
    monotonic.now += 1
    assert breaker.state == BreakerState.HALF_OPEN


def test_a_probe_that_never_answers_frees_its_place() -> None:
    monotonic = Monotonic()
    breaker = opened(monotonic)
    monotonic.now += 1
    breaker.before_call()  # this probe is cancelled and never reports
    monotonic.now += 14
    with pytest.raises(BankUnavailable):
        breaker.before_call()
    monotonic.now += 1
    breaker.before_call()  # a new probe
