"""A stand-in equal-installment (等额本息) schedule for sandbox loans, in integer fen.

The product's real schedule engine lives in bot/domain; the sandbox stays independent of it.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class ScheduledInstallment:
    number: int
    due_date: date
    principal_fen: int
    interest_fen: int


def add_months(day: date, months: int) -> date:
    """The same day of the month `months` later, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def equal_installments(
    principal_fen: int, annual_rate_percent: Decimal, months: int, start: date
) -> list[ScheduledInstallment]:
    monthly_rate = annual_rate_percent / Decimal(1200)
    payment = _level_payment(principal_fen, monthly_rate, months)
    balance = principal_fen
    schedule = []
    for number in range(1, months + 1):
        interest = _round(balance * monthly_rate)
        principal = balance if number == months else min(balance, payment - interest)
        schedule.append(
            ScheduledInstallment(number, add_months(start, number), principal, interest)
        )
        balance -= principal
    return schedule


def _level_payment(principal_fen: int, monthly_rate: Decimal, months: int) -> int:
    if monthly_rate == 0:
        return _round(Decimal(principal_fen) / months)
    growth = (1 + monthly_rate) ** months
    return _round(principal_fen * monthly_rate * growth / (growth - 1))


def _round(fen: Decimal) -> int:
    return int(fen.quantize(Decimal(1), rounding=ROUND_HALF_UP))
