"""How much a merchant can borrow, and how fast, for a monthly repayment budget.

Every answer is checked against real schedules built by ``build_schedule``, with the same
rounding: "fits" means no installment of that schedule is larger than the budget.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import ROUND_FLOOR, Decimal

from bot.domain.loan_terms import (
    MAX_PRINCIPAL,
    LoanTerms,
    RepaymentMethod,
    ScheduleError,
    ScheduleErrorCode,
)
from bot.domain.schedule import Schedule, build_schedule, schedule_constants

DEFAULT_BUDGET_SHARE = Decimal("0.5")


def repayment_budget(
    net_monthly_cash_flow: Decimal, share: Decimal = DEFAULT_BUDGET_SHARE, currency_digits: int = 2
) -> Decimal:
    """The part of the net monthly cash flow that may go to repayments, rounded down."""
    budget = max(net_monthly_cash_flow * share, Decimal(0))
    return budget.quantize(Decimal(1).scaleb(-currency_digits), ROUND_FLOOR)


def fits(schedule: Schedule, budget: Decimal) -> bool:
    """True when no installment of ``schedule`` exceeds ``budget``."""
    return schedule.largest_payment <= budget


def max_principal(terms: LoanTerms, budget: Decimal, step: Decimal | None = None) -> Decimal | None:
    """The largest principal, a multiple of ``step`` (default: the currency's smallest unit, or
    ``amount_multiple``), whose schedule under the other ``terms`` fits ``budget``; None when
    not even one step fits.

    Rounding lets the last installment (which takes what the rounded installments left) shrink
    as the principal grows, so fitting is not monotone in the principal. It is monotone while
    ``schedule_constants`` stay the same, and every installment but the last grows with the
    principal. So: find the largest principal whose other installments fit, then walk down
    the ranges of equal constants until one has a principal that fits.
    """
    _refuse_manual(terms)
    unit = step if step is not None else _smallest_step(terms)
    # Every schedule has an installment of at least principal / periods.
    beyond = min(int(budget * terms.periods / unit) + 1, int(MAX_PRINCIPAL / unit) + 1)

    def terms_for(units: int) -> LoanTerms:
        return replace(terms, principal=unit * units)

    def fits_units(units: int) -> bool:
        return fits(build_schedule(terms_for(units)), budget)

    def earlier_fit(units: int) -> bool:
        return _earlier_installments_fit(build_schedule(terms_for(units)), budget)

    def constants_below(constants: tuple[Decimal, ...]) -> Callable[[int], bool]:
        return lambda units: schedule_constants(terms_for(units)) < constants

    top = _last_true(earlier_fit, 0, beyond)
    while top > 0:
        below = _last_true(constants_below(schedule_constants(terms_for(top))), 0, top)
        if fits_units(below + 1):
            return unit * _last_true(fits_units, below + 1, top + 1)
        top = below
    return None


def shortest_term(terms: LoanTerms, budget: Decimal, max_months: int) -> int | None:
    """The fewest months, up to ``max_months``, for which the schedule of ``terms`` (with that
    term) fits ``budget``; None when no term does. Terms that the options make invalid (a
    grace period as long as the loan) are skipped."""
    _refuse_manual(terms)
    for months in range(1, max_months + 1):
        try:
            candidate = replace(terms, months=months)
        except ScheduleError:
            continue
        if fits(build_schedule(candidate), budget):
            return months
    return None


def _earlier_installments_fit(schedule: Schedule, budget: Decimal) -> bool:
    return all(total <= budget for total in schedule.totals[:-1])


def _last_true(predicate: Callable[[int], bool], true_at: int, false_at: int) -> int:
    """Bisection: the largest n in [true_at, false_at) with predicate(n), given that the
    predicate holds at ``true_at`` (not evaluated), fails at ``false_at`` (not evaluated) and
    never turns true again once false in between."""
    while false_at - true_at > 1:
        middle = (true_at + false_at) // 2
        if predicate(middle):
            true_at = middle
        else:
            false_at = middle
    return true_at


def _smallest_step(terms: LoanTerms) -> Decimal:
    if terms.amount_multiple is not None:
        return Decimal(terms.amount_multiple)
    return terms.quantum


def _refuse_manual(terms: LoanTerms) -> None:
    if terms.method is RepaymentMethod.MANUAL:
        raise ScheduleError(
            ScheduleErrorCode.OPTION_NOT_SUPPORTED,
            option="affordability",
            method=terms.method.value,
        )
