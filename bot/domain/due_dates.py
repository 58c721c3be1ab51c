"""Monthly due dates: the day of month stays anchored and is clamped to the month's end."""

from __future__ import annotations

from calendar import monthrange
from datetime import date
from functools import lru_cache


def add_months(day: date, months: int, anchor_day: int | None = None) -> date:
    """``day`` moved by whole months, on ``anchor_day`` (default: its own day) or the month end.

    31 Jan + 1 month is 28 Feb (29 in leap years); anchored on 31, 28 Feb + 1 month is 31 Mar.
    """
    years, month_index = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month_index + 1
    wanted = anchor_day if anchor_day is not None else day.day
    return date(year, month, min(wanted, monthrange(year, month)[1]))


@lru_cache(maxsize=4096)
def due_dates(
    start: date, periods: int, months_per_period: int = 1, first_due: date | None = None
) -> tuple[date, ...]:
    """The due date of every period: monthly from ``first_due`` (anchored on its day), or from
    one period after ``start`` (anchored on start's day: 31 Jan gives 28 Feb, 31 Mar, 30 Apr)."""
    if first_due is None:
        steps = range(1, periods + 1)
        return tuple(add_months(start, step * months_per_period) for step in steps)
    steps = range(periods)
    return tuple(add_months(first_due, step * months_per_period) for step in steps)


def first_interest_start(start: date, first_due: date | None, months_per_period: int) -> date:
    """Where the first period's interest starts.

    Like Fineract's "ideal disbursement date": with a chosen first due date the first period is
    still one regular period long, counted back from that date.
    """
    if first_due is None:
        return start
    return add_months(first_due, -months_per_period)


def months_between(start: date, end: date) -> tuple[int, int]:
    """Whole months from ``start`` to ``end`` (anchored on start's day) and the days left over."""
    whole = (end.year - start.year) * 12 + end.month - start.month
    anchor = add_months(start, whole)
    while whole > 0 and anchor > end:
        whole -= 1
        anchor = add_months(start, whole)
    return whole, (end - anchor).days
