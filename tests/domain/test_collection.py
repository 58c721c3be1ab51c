"""The overdue escalation timetable by kind of borrower."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.collection import (
    TIMETABLE,
    WEEK_END_STEPS,
    BorrowerKind,
    CollectionStep,
    next_step,
)
from bot.domain.working_hours import WorkingCalendar

CALENDAR = WorkingCalendar()
SUNDAY = date(2026, 11, 22)


def test_willing_but_unable_is_offered_help_not_pressure() -> None:
    steps = [step for _day, step in TIMETABLE[BorrowerKind.UNABLE]]
    assert CollectionStep.RESTRUCTURING_OFFER in steps and CollectionStep.LEGAL not in steps


def test_neither_able_nor_willing_ends_in_legal_action() -> None:
    assert TIMETABLE[BorrowerKind.NEITHER][-1][1] is CollectionStep.LEGAL


def test_a_message_is_the_bots_job_and_lands_before_the_end_of_the_next_working_day() -> None:
    proposed = next_step(BorrowerKind.UNWILLING, 1, 0, SUNDAY, CALENDAR)
    assert proposed is not None
    assert proposed.step is CollectionStep.MESSAGE and not proposed.for_a_person
    assert proposed.at == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # Monday 16:30 in Shanghai


def test_a_visit_waits_for_the_end_of_the_working_week() -> None:
    proposed = next_step(BorrowerKind.UNWILLING, 3, 2, date(2026, 11, 24), CALENDAR)
    assert proposed is not None and proposed.step is CollectionStep.VISIT
    assert proposed.at == datetime(2026, 11, 27, 8, 30, tzinfo=UTC)  # Friday 16:30


def test_nothing_left_after_the_last_step() -> None:
    taken = len(TIMETABLE[BorrowerKind.LATE_FOR_A_REASON])
    assert next_step(BorrowerKind.LATE_FOR_A_REASON, 40, taken, SUNDAY, CALENDAR) is None


@given(
    kind=st.sampled_from(list(BorrowerKind)),
    days_overdue=st.integers(min_value=1, max_value=400),
    steps_taken=st.integers(min_value=0, max_value=5),
    today=st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)),
)
def test_every_proposal_is_in_working_hours_not_in_the_past_and_in_order(
    kind: BorrowerKind, days_overdue: int, steps_taken: int, today: date
) -> None:
    proposed = next_step(kind, days_overdue, steps_taken, today, CALENDAR)
    if steps_taken >= len(TIMETABLE[kind]):
        assert proposed is None
        return
    assert proposed is not None
    assert proposed.step is TIMETABLE[kind][steps_taken][1]
    local = proposed.at.astimezone(CALENDAR.zone)
    assert CALENDAR.is_working_day(local.date())
    assert CALENDAR.opening(local.date()) <= proposed.at < CALENDAR.closing(local.date())
    assert local.date() >= today
    if proposed.step in WEEK_END_STEPS:
        next_day = local.date() + timedelta(days=1)
        same_week = next_day.isocalendar()[1] == local.date().isocalendar()[1]
        assert not (same_week and CALENDAR.is_working_day(next_day))
