"""Supervised loops restart after errors and report their health truthfully."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.supervision import Backoff, Heartbeats, supervise


async def test_a_failing_loop_restarts_and_recovers(caplog: pytest.LogCaptureFixture) -> None:
    stop = asyncio.Event()
    beats = Heartbeats()
    beats.register("worker", allowance=60)
    rounds: list[str] = []
    phone = "+86139" + "00000011"

    async def body() -> None:
        rounds.append("round")
        if len(rounds) <= 3:
            raise KeyError(phone)  # its message must not reach the log
        if len(rounds) == 5:
            stop.set()

    with caplog.at_level(logging.ERROR):
        await supervise("worker", body, stop, backoff=Backoff(0.001, 0.002), heartbeats=beats)
    assert len(rounds) == 5
    assert beats.problems() == []
    assert "KeyError (ref " in caplog.text
    assert phone not in caplog.text


async def test_health_reports_a_failing_and_a_stuck_loop() -> None:
    now = [100.0]
    beats = Heartbeats(clock=lambda: now[0])
    beats.register("updates", allowance=30)
    beats.register("sms", allowance=30)
    beats.failed("updates", "ConnectionError (ref abc)")
    now[0] += 31
    assert beats.problems() == [
        "updates: ConnectionError (ref abc)",
        "sms: no progress for 31s",
    ]
    beats.beat("updates")
    beats.beat("sms")
    assert beats.problems() == []


def test_backoff_is_capped() -> None:
    backoff = Backoff(first_delay=0.1, max_delay=5)
    assert [backoff.delay(n) for n in (1, 2, 3, 10, 100)] == [0.1, 0.2, 0.4, 5, 5]
