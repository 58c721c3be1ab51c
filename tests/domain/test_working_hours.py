"""The working-time calendar behind officers' deadlines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.working_hours import SlaPolicy, WorkingCalendar

CALENDAR = WorkingCalendar(
    holidays=frozenset({date(2026, 10, 1), date(2026, 10, 2)}),
    extra_workdays=frozenset({date(2026, 9, 27)}),
)
SUNDAY_10 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def shanghai(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CALENDAR.zone)


def test_weekend_time_counts_from_monday_opening() -> None:
    assert CALENDAR.add(SUNDAY_10, timedelta(minutes=30)) == shanghai(date(2026, 11, 23), 9, 30)


def test_time_left_at_closing_carries_to_the_next_working_day() -> None:
    friday_17 = shanghai(date(2026, 11, 27), 17, 0)
    assert CALENDAR.add(friday_17, timedelta(hours=2)) == shanghai(date(2026, 11, 30), 10, 30)


def test_holidays_are_skipped_and_make_up_days_worked() -> None:
    assert CALENDAR.next_working_day(date(2026, 9, 30)) == date(2026, 10, 5)
    assert CALENDAR.is_working_day(date(2026, 9, 27))  # a Sunday worked (调休)


def test_one_working_day_to_contact() -> None:
    policy = SlaPolicy(calendar=CALENDAR)
    friday_16 = shanghai(date(2026, 11, 27), 16, 0)
    assert policy.contact_due(friday_16) == shanghai(date(2026, 11, 30), 16, 0)


def test_escalation_two_working_hours_after_the_reminder() -> None:
    policy = SlaPolicy(calendar=CALENDAR)
    reminder = policy.claim_reminder_due(SUNDAY_10)
    assert policy.claim_escalation_due(reminder) == shanghai(date(2026, 11, 23), 11, 30)


def test_last_working_day_of_the_week() -> None:
    assert CALENDAR.last_working_day_of_week(date(2026, 11, 23)) == date(2026, 11, 27)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
)
durations = st.integers(min_value=0, max_value=60 * 24 * 20).map(lambda m: timedelta(minutes=m))


@given(moments, durations)
def test_adding_working_time_is_measured_back_exactly(start: datetime, duration: timedelta) -> None:
    end = CALENDAR.add(start, duration)
    assert CALENDAR.between(start, end) == duration


@given(moments, durations)
def test_the_end_is_always_inside_working_hours(start: datetime, duration: timedelta) -> None:
    end = CALENDAR.add(start, duration).astimezone(CALENDAR.zone)
    assert CALENDAR.is_working_day(end.date())
    assert CALENDAR.opening(end.date()) <= end <= CALENDAR.closing(end.date())
