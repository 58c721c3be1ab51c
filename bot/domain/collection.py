"""What to do next about an overdue loan, by the kind of borrower (seed 000:211).

Four kinds, each handled differently: able and willing but late for a reason (talk, ask
them to pre-fund the next payment); able but not willing (credit awareness, escalating
step by step: message, phone, visit); willing but not able (help: restructuring); neither
(persistent pursuit, finally legal action). Each new measure is placed just before the end
of a working day, and the heavier ones (visits, restructuring, legal) just before the end
of the working week, as the seed's collection practice advises. Pressure, never threats.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.domain.working_hours import WorkingCalendar


class BorrowerKind(StrEnum):
    LATE_FOR_A_REASON = "late_for_a_reason"  # able and willing
    UNWILLING = "unwilling"  # able, not willing
    UNABLE = "unable"  # willing, not able
    NEITHER = "neither"


class CollectionStep(StrEnum):
    MESSAGE = "message"  # the bot sends it itself
    PHONE_CALL = "phone_call"
    VISIT = "visit"
    RESTRUCTURING_OFFER = "restructuring_offer"
    LEGAL = "legal"


WEEK_END_STEPS = frozenset(
    {CollectionStep.VISIT, CollectionStep.RESTRUCTURING_OFFER, CollectionStep.LEGAL}
)

# (days overdue from which the step applies, the step), in order
TIMETABLE: dict[BorrowerKind, tuple[tuple[int, CollectionStep], ...]] = {
    BorrowerKind.LATE_FOR_A_REASON: (
        (1, CollectionStep.MESSAGE),
        (3, CollectionStep.PHONE_CALL),
        (15, CollectionStep.VISIT),
    ),
    BorrowerKind.UNWILLING: (
        (1, CollectionStep.MESSAGE),
        (3, CollectionStep.PHONE_CALL),
        (7, CollectionStep.VISIT),
        (60, CollectionStep.LEGAL),
    ),
    BorrowerKind.UNABLE: (
        (1, CollectionStep.PHONE_CALL),
        (7, CollectionStep.VISIT),
        (15, CollectionStep.RESTRUCTURING_OFFER),
    ),
    BorrowerKind.NEITHER: (
        (1, CollectionStep.MESSAGE),
        (3, CollectionStep.PHONE_CALL),
        (7, CollectionStep.VISIT),
        (30, CollectionStep.LEGAL),
    ),
}


@dataclass(frozen=True)
class ProposedStep:
    step: CollectionStep
    at: datetime  # aware UTC: just before the end of a working day or week
    for_a_person: bool  # False: the bot does it (a message to the borrower)


def next_step(
    kind: BorrowerKind,
    days_overdue: int,
    steps_taken: int,
    today: date,
    calendar: WorkingCalendar,
) -> ProposedStep | None:
    """The first step of the kind's timetable not taken yet; None when all are taken.

    A step whose day has come is proposed for today (or the next working day); a later one
    for the day it becomes due.
    """
    timetable = TIMETABLE[kind]
    if steps_taken >= len(timetable):
        return None
    from_day, step = timetable[max(steps_taken, 0)]
    day = today + timedelta(days=max(from_day - days_overdue, 0))
    if step in WEEK_END_STEPS:
        day = _before_the_weekend(day, today, calendar)
    return ProposedStep(step, calendar.last_hour_of_day(day), step is not CollectionStep.MESSAGE)


def _before_the_weekend(day: date, today: date, calendar: WorkingCalendar) -> date:
    """The last working day of `day`'s week (Monday to Sunday), not before today."""
    monday = day - timedelta(days=day.weekday())
    while True:
        for offset in range(6, -1, -1):
            candidate = monday + timedelta(days=offset)
            if calendar.is_working_day(candidate) and candidate >= today:
                return candidate
        monday += timedelta(days=7)
