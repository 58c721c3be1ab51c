"""Working time: the bank's opening hours, weekends, holidays and make-up working days (调休).

Officers' deadlines (claim a lead within 30 working minutes, contact within one working day)
count only working time, so a lead that arrives on Sunday is due on Monday morning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS_SEARCHED = 366


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: str = "Asia/Shanghai"
    opens: time = time(9, 0)
    closes: time = time(17, 30)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday is 0
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()  # weekend days worked instead of a holiday

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError("the working day must close after it opens")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def opening(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, tzinfo=self.zone)

    def closing(self, day: date) -> datetime:
        return datetime.combine(day, self.closes, tzinfo=self.zone)

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        for offset in range(1, MAX_DAYS_SEARCHED + 1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise ValueError("no working day within a year")

    def working_day_on_or_after(self, day: date) -> date:
        return day if self.is_working_day(day) else self.next_working_day(day)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of working time after `start` (aware), in UTC."""
        if duration < timedelta(0):
            raise ValueError("working time only moves forward")
        current = self._next_working_moment(start.astimezone(self.zone))
        remaining = duration
        while True:
            left_today = self.closing(current.date()) - current
            if remaining <= left_today:
                return (current + remaining).astimezone(UTC)
            remaining -= left_today
            current = self.opening(self.next_working_day(current.date()))

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero when `end` is not later)."""
        current = self._next_working_moment(start.astimezone(self.zone))
        end = end.astimezone(self.zone)
        total = timedelta(0)
        while current < end:
            day_end = min(self.closing(current.date()), end)
            total += max(day_end - current, timedelta(0))
            current = self.opening(self.next_working_day(current.date()))
        return total

    def last_hour_of_day(self, day: date) -> datetime:
        """Just before the end of `day`'s working hours (or of the next working day)."""
        working = self.working_day_on_or_after(day)
        return (self.closing(working) - timedelta(hours=1)).astimezone(UTC)

    def last_working_day_of_week(self, day: date) -> date:
        """The week's last working day on or after `day` (Monday-based weeks)."""
        week_end = day + timedelta(days=6 - day.weekday())
        for offset in range((week_end - day).days, -1, -1):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        return self.next_working_day(week_end)

    def _next_working_moment(self, moment: datetime) -> datetime:
        day = moment.date()
        if self.is_working_day(day):
            if moment < self.opening(day):
                return self.opening(day)
            if moment < self.closing(day):
                return moment
        return self.opening(self.next_working_day(day))


@dataclass(frozen=True)
class SlaPolicy:
    """How long an officer has before the bot reminds and then escalates."""

    remind_unclaimed_after: timedelta = timedelta(minutes=30)
    escalate_unclaimed_after: timedelta = timedelta(hours=2)  # after the reminder
    contact_within: timedelta | None = None  # None: one working day of the calendar
    calendar: WorkingCalendar = field(default_factory=WorkingCalendar)

    def claim_reminder_due(self, routed_at: datetime) -> datetime:
        return self.calendar.add(routed_at, self.remind_unclaimed_after)

    def claim_escalation_due(self, reminded_due: datetime) -> datetime:
        return self.calendar.add(reminded_due, self.escalate_unclaimed_after)

    def contact_due(self, claimed_at: datetime) -> datetime:
        return self.calendar.add(claimed_at, self.contact_within or self.calendar.day_length)
