"""Annual percentage rate (年化利率) from a loan's actual cash flows.

Convention: the monthly internal rate of return ``i`` of the cash flows (the principal paid out
at the start, every installment on its due date), compounded over a year: APR =
(1 + i)^12 - 1, in percent with two decimals. Time is counted in months from the start date,
odd days as days/30 of a month (the unit-period rule of US Regulation Z, appendix J).

For 100,000 at 12% over 12 equal installments the IRR is 1% a month, so the APR is 12.68
(the nominal monthly rate x 12 would say 12.00 and hide the compounding).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from operator import mul
from typing import NamedTuple

from bot.domain.due_dates import months_between

APR_PLACES = Decimal("0.01")
DAYS_IN_UNIT_MONTH = 30
MONTHS_IN_YEAR = 12
_TOLERANCE = Decimal("1e-20")
_MAX_STEPS = 100
DECIMAL_CONTEXT = Context(prec=30)
_FLOAT_STEP = 1e-15
_FLOAT_MARGIN = 1e-6  # in hundredths of a percent
_FLOAT_RATE_LIMIT = 1e6  # a month's rate beyond which the floats are not trusted


def annual_percentage_rate(
    principal: Decimal, start: date, payments: Sequence[tuple[date, Decimal]]
) -> Decimal:
    """APR in percent (e.g. ``Decimal("12.68")``) of ``principal`` paid out on ``start``."""
    with localcontext(DECIMAL_CONTEXT):
        flows = cash_flows(start, payments)
        quick = apr_in_floats(principal, flows)
        return apr_in_decimals(principal, flows) if quick is None else quick


def cash_flows(start: date, payments: Sequence[tuple[date, Decimal]]) -> list[CashFlow]:
    return [CashFlow(*months_between(start, due), amount) for due, amount in payments if amount]


def apr_in_decimals(principal: Decimal, flows: Sequence[CashFlow]) -> Decimal:
    """The APR from the monthly rate in 30-digit decimals (in ``DECIMAL_CONTEXT``)."""
    monthly = _monthly_internal_rate(principal, flows)
    yearly = (1 + monthly) ** MONTHS_IN_YEAR - 1
    return (yearly * 100).quantize(APR_PLACES, ROUND_HALF_UP)


def apr_in_floats(principal: Decimal, flows: Sequence[CashFlow]) -> Decimal | None:
    """The APR by the same Newton steps in floats, when their answer is certain: the root comes
    within about 1e-16 of the exact one, so the APR within about 1e-11 of a hundredth of a
    percent; unless that lies within 1e-6 of a rounding boundary, both round to the same two
    places. None when it does, or when the floats misbehave: the decimals then decide."""
    owed = float(principal)
    cash = [
        (float(flow.amount), flow.whole_months + flow.odd_days / DAYS_IN_UNIT_MONTH)
        for flow in flows
    ]
    paid_for_months = sum(amount * months for amount, months in cash)
    if not paid_for_months:
        return None
    rate = (sum(amount for amount, _ in cash) - owed) / paid_for_months
    for _ in range(_MAX_STEPS):
        value, slope = -owed, 0.0
        for amount, months in cash:
            present = amount * (1 + rate) ** -months
            value += present
            slope -= months * present / (1 + rate)
        step = value / slope
        rate -= step
        if not -1 < rate < _FLOAT_RATE_LIMIT:
            return None
        if abs(step) < _FLOAT_STEP:
            hundredths = ((1 + rate) ** MONTHS_IN_YEAR - 1) * 100 * 100
            if abs(hundredths % 1 - 0.5) < _FLOAT_MARGIN:
                return None
            return (Decimal(hundredths) / 100).quantize(APR_PLACES, ROUND_HALF_UP)
    return None


class CashFlow(NamedTuple):
    whole_months: int
    odd_days: int
    amount: Decimal

    @property
    def months(self) -> Decimal:
        return self.whole_months + Decimal(self.odd_days) / DAYS_IN_UNIT_MONTH


def _monthly_internal_rate(principal: Decimal, flows: Sequence[CashFlow]) -> Decimal:
    """Newton's method. The net present value falls and is convex in the rate, so from a start
    below the root the steps rise monotonically to it. The start (total interest over the sum
    of payment x months) is below the root because (1 + i)^-t >= 1 - i t."""
    months = [flow.months for flow in flows]
    paid_for_months = sum(map(mul, months, (flow.amount for flow in flows)), Decimal(0))
    if not paid_for_months:
        return Decimal(0)
    rate = (sum((flow.amount for flow in flows), Decimal(0)) - principal) / paid_for_months
    for _ in range(_MAX_STEPS):
        discount = 1 / (1 + rate)
        odd_parts = {
            days: discount ** (Decimal(days) / DAYS_IN_UNIT_MONTH) if days else Decimal(1)
            for days in {flow.odd_days for flow in flows}
        }
        value, slope = -principal, Decimal(0)
        for flow, time in zip(flows, months, strict=True):
            present = flow.amount * discount**flow.whole_months * odd_parts[flow.odd_days]
            value += present
            slope -= time * present * discount
        step = value / slope
        rate -= step
        if abs(step) < _TOLERANCE:
            break
    return rate
