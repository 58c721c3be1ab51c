"""The reminder timetable: steps, quiet hours, catch-up and priority."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot.domain.reminders import (
    Priority,
    ReminderPolicy,
    Step,
    in_quiet_hours,
    outside_quiet_hours,
    pending_steps,
    superseded,
    timetable,
)
from bot.services.reminders import ReminderIndex, ReminderKey

SHANGHAI = ZoneInfo("Asia/Shanghai")
POLICY = ReminderPolicy(zone=SHANGHAI)
DUE = date(2026, 12, 8)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_the_default_timetable() -> None:
    planned = timetable(DUE, POLICY)
    assert [item.step.offset for item in planned] == [-3, 0, 1, 3, 7, 15, 30]
    assert planned[0].fires_at == local("2026-12-05 09:00")
    assert [item.step.priority for item in planned[:3]] == [
        Priority.UPCOMING, Priority.DUE_TODAY, Priority.OVERDUE,
    ]  # fmt: skip
    assert [item.step.firmness for item in planned] == [0, 0, 1, 1, 2, 3, 3]
    assert [item.step.optional for item in planned] == [True, True] + [False] * 5


def test_a_send_time_in_quiet_hours_moves_to_their_end() -> None:
    late = ReminderPolicy(zone=SHANGHAI, send_at=time(22, 30))
    assert timetable(DUE, late)[0].fires_at == local("2026-12-06 08:00")
    assert outside_quiet_hours(local("2026-12-06 03:00"), POLICY) == local("2026-12-06 08:00")
    assert outside_quiet_hours(local("2026-12-06 08:00"), POLICY) == local("2026-12-06 08:00")


def test_first_seen_late_sends_one_catch_up_not_a_burst() -> None:
    now = local("2026-12-20 12:00")
    pending = pending_steps(DUE, POLICY, now)
    assert [item.step.offset for item in pending] == [7, 15, 30]
    assert superseded(Step(1), DUE, POLICY, now)
    assert not superseded(Step(7), DUE, POLICY, now)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)))
def test_nothing_ever_fires_in_quiet_hours(naive: datetime) -> None:
    moment = naive.replace(tzinfo=UTC)
    assert not in_quiet_hours(outside_quiet_hours(moment, POLICY), POLICY)
    assert outside_quiet_hours(moment, POLICY) - moment <= timedelta(hours=11)


async def test_overdue_goes_first_when_many_are_due(redis: Redis) -> None:
    index = ReminderIndex(redis)
    now = datetime(2026, 12, 9, 1, 0, tzinfo=UTC)
    keys = [ReminderKey("C1", f"L{offset}", 1, DUE, Step(offset)) for offset in (-3, 0, 1)]
    for key in keys:
        await index.schedule(key, now - timedelta(minutes=5))
    assert await index.due(now, budget=2) == [keys[2], keys[1]]
    assert await index.due(now, budget=10) == [keys[2], keys[1], keys[0]]
