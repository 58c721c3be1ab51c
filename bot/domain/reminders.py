"""The reminder timetable of one installment: when each step fires, in the bank's time zone.

Steps: some days before the due date (default 3), the morning of the due date, then an
overdue timetable (default days 1, 3, 7, 15, 30). Nothing fires in quiet hours: a step
that falls in them moves to their end. Pure: no I/O, times are aware datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import IntEnum
from zoneinfo import ZoneInfo


class Priority(IntEnum):
    """Lower is sent first when many are due."""

    OVERDUE = 0
    DUE_TODAY = 1
    UPCOMING = 2


@dataclass(frozen=True)
class ReminderPolicy:
    zone: ZoneInfo
    days_before: tuple[int, ...] = (3,)
    overdue_days: tuple[int, ...] = (1, 3, 7, 15, 30)
    send_at: time = time(9, 0)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)


@dataclass(frozen=True, order=True)
class Step:
    """`offset`: days from the due date (negative before it, 0 on it)."""

    offset: int

    @property
    def priority(self) -> Priority:
        if self.offset > 0:
            return Priority.OVERDUE
        return Priority.DUE_TODAY if self.offset == 0 else Priority.UPCOMING

    @property
    def optional(self) -> bool:
        """Reminders a customer may mute; overdue ones cannot be muted."""
        return self.priority is not Priority.OVERDUE

    @property
    def firmness(self) -> int:
        """0 before and on the due date, then 1, 2, 3 as the overdue timetable goes on."""
        if self.offset <= 0:
            return 0
        if self.offset <= 3:
            return 1
        return 2 if self.offset <= 7 else 3

    @property
    def code(self) -> str:
        return str(self.offset)

    @classmethod
    def from_code(cls, code: str) -> Step:
        return cls(int(code))


@dataclass(frozen=True)
class PlannedStep:
    step: Step
    fires_at: datetime


def steps(policy: ReminderPolicy) -> tuple[Step, ...]:
    offsets = {-days for days in policy.days_before} | {0} | set(policy.overdue_days)
    return tuple(Step(offset) for offset in sorted(offsets))


def timetable(due_date: date, policy: ReminderPolicy) -> tuple[PlannedStep, ...]:
    """Every step of one installment, earliest first, moved out of quiet hours."""
    return tuple(
        PlannedStep(step, outside_quiet_hours(_send_moment(due_date, step, policy), policy))
        for step in steps(policy)
    )


def pending_steps(due_date: date, policy: ReminderPolicy, now: datetime) -> tuple[PlannedStep, ...]:
    """What is still to send for an installment seen for the first time at `now`: the latest
    step already due (one catch-up, not a burst of old ones) and every later step."""
    planned = timetable(due_date, policy)
    past = [item for item in planned if item.fires_at <= now]
    future = [item for item in planned if item.fires_at > now]
    return tuple(past[-1:] + future)


def superseded(step: Step, due_date: date, policy: ReminderPolicy, now: datetime) -> bool:
    """A later step of the same installment is already due: this one is stale."""
    return any(item.step > step and item.fires_at <= now for item in timetable(due_date, policy))


def in_quiet_hours(moment: datetime, policy: ReminderPolicy) -> bool:
    local = moment.astimezone(policy.zone).time()
    if policy.quiet_start <= policy.quiet_end:
        return policy.quiet_start <= local < policy.quiet_end
    return local >= policy.quiet_start or local < policy.quiet_end


def outside_quiet_hours(moment: datetime, policy: ReminderPolicy) -> datetime:
    """`moment`, or the end of the quiet hours it falls in."""
    if not in_quiet_hours(moment, policy):
        return moment
    local = moment.astimezone(policy.zone)
    end = datetime.combine(local.date(), policy.quiet_end, policy.zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), policy.quiet_end, policy.zone)
    return end


def _send_moment(due_date: date, step: Step, policy: ReminderPolicy) -> datetime:
    return datetime.combine(due_date + timedelta(days=step.offset), policy.send_at, policy.zone)
