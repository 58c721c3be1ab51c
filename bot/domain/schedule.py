"""The repayment schedule engine, cent-exact, following Apache Fineract's cumulative generator.

Rules (Fineract's ``AbstractCumulativeLoanScheduleGenerator`` / ``LoanApplicationTerms``):

* Periodic rate: annual / 12 / 100 per month (``same_as_repayment``), or annual / 100 /
  days_in_year x the period's actual days (``daily``). Like Fineract, the rate is computed with
  12 significant digits in the chosen rounding mode; interest is ``balance x rate`` rounded to
  the currency's digits (then to ``amount_multiple``).
* Equal installments: the installment is PMT over the periods that repay principal, at the
  monthly rate (30 days a month for ``daily``), rounded to ``installment_multiple`` and the
  currency; principal is installment - interest.
* Equal principal: principal / principal periods, rounded to the currency.
* Interest only: interest every month, all principal in the last period. Bullet: a single
  period of ``months`` months paying principal and interest at maturity.
* Flat: interest = principal x rate x term, spread evenly; principal spread evenly.
* Manual: the principal of every period as given.
* Principal grace (first K periods pay no principal) and ``principal_every`` N (principal only
  in the N-th periods after the grace, and always in the last one) choose the principal periods.
  Interest-payment grace defers the interest of the first K periods to period K + 1;
  interest-free grace charges none in the first K periods.
* The last period takes whatever principal (and, for flat, interest) remains; the schedule
  ends as soon as the balance is zero (an installment rounded up can repay early).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Context, Decimal, getcontext, setcontext
from functools import cached_property, lru_cache
from itertools import accumulate, chain, count, repeat
from operator import add, mul, sub
from typing import NamedTuple, TypeVar

from bot.domain.apr import annual_percentage_rate
from bot.domain.due_dates import due_dates, first_interest_start
from bot.domain.frozen import set_in_one_write
from bot.domain.loan_terms import (
    InterestPeriod,
    LoanTerms,
    RepaymentMethod,
    Rounding,
    ScheduleError,
    ScheduleErrorCode,
)

__all__ = [
    "Installment",
    "InterestPeriod",
    "LoanTerms",
    "RepaymentMethod",
    "Rounding",
    "Schedule",
    "ScheduleError",
    "ScheduleErrorCode",
    "build_schedule",
    "schedule_constants",
]

ZERO = Decimal(0)
# Bound once, like ``loan_terms``'s: an enum member's lookup is a Python call on Python 3.11.
_EQUAL_INSTALLMENTS = RepaymentMethod.EQUAL_INSTALLMENTS
_EQUAL_PRINCIPAL = RepaymentMethod.EQUAL_PRINCIPAL
_FLAT, _MANUAL = RepaymentMethod.FLAT, RepaymentMethod.MANUAL
_DAILY, _SAME_AS_REPAYMENT = InterestPeriod.DAILY, InterestPeriod.SAME_AS_REPAYMENT
RATE_DIGITS = 12  # Fineract's MoneyHelper MathContext precision
PMT_DAYS_IN_MONTH = 30
# Amounts are at most 10^12 with at most 4 decimals (16 digits), and a period's rate has at most
# 15 (12 significant digits times up to 360 months): every product of the two is exact.
EXACT_PRECISION = 40
_EXACT = Context(prec=EXACT_PRECISION)


class Installment(NamedTuple):
    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    total: Decimal
    balance: Decimal


@set_in_one_write
@dataclass(frozen=True)
class Schedule:
    """The installments of ``terms``, kept as columns in period order: the totals, the payment
    range and the APR read the columns, and the rows are built once, when first read (most
    schedules, e.g. an affordability search's, are never read row by row)."""

    terms: LoanTerms
    due_dates: tuple[date, ...]
    principals: tuple[Decimal, ...]
    interests: tuple[Decimal, ...]
    totals: tuple[Decimal, ...]
    balances: tuple[Decimal, ...]

    @cached_property
    def installments(self) -> tuple[Installment, ...]:
        rows = zip(
            count(1), self.due_dates, self.principals, self.interests, self.totals, self.balances
        )
        return tuple(map(tuple.__new__, repeat(Installment), rows))

    @property
    def method(self) -> RepaymentMethod:
        return self.terms.method

    @property
    def total_principal(self) -> Decimal:
        return self.terms.principal

    @cached_property
    def total_interest(self) -> Decimal:
        return sum(self.interests, ZERO)

    @property
    def total(self) -> Decimal:
        return self.total_principal + self.total_interest

    @property
    def first_payment(self) -> Decimal:
        return self.totals[0]

    @property
    def last_payment(self) -> Decimal:
        return self.totals[-1]

    @cached_property
    def largest_payment(self) -> Decimal:
        return max(self.totals)

    @cached_property
    def apr(self) -> Decimal:
        """Annual percentage rate (年化利率) from the cash flows, percent with 2 decimals."""
        payments = list(zip(self.due_dates, self.totals, strict=True))
        return annual_percentage_rate(self.terms.principal, self.terms.start, payments)


def build_schedule(terms: LoanTerms) -> Schedule:
    """The schedule of ``terms``.

    Raises ``ScheduleError`` (``installment_below_interest``) when an equal installment cannot
    cover a period's interest.
    """
    return _exactly(_build, terms)


def _build(terms: LoanTerms) -> Schedule:
    money = _rounder(terms)
    dates = due_dates(terms.start, terms.periods, terms.months_per_period, terms.first_due)
    if terms.method is _FLAT:
        principals, interests, balances = _flat_columns(terms, money, dates)
    else:
        rates = _period_rates(terms, dates)
        if terms.method is _EQUAL_INSTALLMENTS and _is_plain_annuity(terms, money):
            return _plain_annuity(terms, money, rates, dates)
        if terms.method is _EQUAL_INSTALLMENTS:
            principals, interests, balances = _equal_installment_columns(terms, money, rates)
        else:
            principals, interests, balances = _fixed_principal_columns(terms, money, rates)
        interests = _bill_interest(interests, terms, money.zero)
    return _schedule(terms, dates, principals, interests, balances, map(add, principals, interests))


def _schedule(
    terms: LoanTerms,
    dates: tuple[date, ...],
    principals: list[Decimal],
    interests: list[Decimal],
    balances: list[Decimal],
    totals: Iterable[Decimal],
) -> Schedule:
    """The schedule of the columns; a loan repaid early has fewer rows than due dates."""
    rows = len(principals)
    return Schedule(
        terms,
        dates if rows == len(dates) else dates[:rows],
        tuple(principals),
        tuple(interests),
        tuple(totals),
        tuple(balances),
    )


def schedule_constants(terms: LoanTerms) -> tuple[Decimal, ...]:
    """The rounded amounts fixed for the whole loan that its installments derive from: the
    equal installment, the equal principal share, the flat interest.

    While they stay the same, no installment shrinks as the principal grows; each of them grows
    with the principal. Affordability searches rely on both facts.
    """
    return _exactly(_constants, terms)


_T = TypeVar("_T")


def _exactly(compute: Callable[[LoanTerms], _T], terms: LoanTerms) -> _T:
    """``compute(terms)`` in the exact decimal context (set directly: cheaper than a copy)."""
    callers_context = getcontext()
    setcontext(_EXACT)
    try:
        return compute(terms)
    finally:
        setcontext(callers_context)


def _constants(terms: LoanTerms) -> tuple[Decimal, ...]:
    money = _rounder(terms)
    if terms.method is _EQUAL_INSTALLMENTS:
        return (_equal_installment(terms, money, _principal_periods(terms).paying),)
    if terms.method is _EQUAL_PRINCIPAL:
        return (_equal_principal(terms, money)[-1],)
    if terms.method is _FLAT:
        dates = due_dates(terms.start, terms.periods, 1, terms.first_due)
        return (_equal_principal(terms, money)[-1], *_flat_interest(terms, money, dates))
    return ()


class _Rounder(NamedTuple):
    """Rounds money like Fineract's ``Money``: currency digits, then ``amount_multiple``."""

    quantum: Decimal
    mode: str
    multiple: Decimal | None
    zero: Decimal

    def round(self, amount: Decimal) -> Decimal:
        rounded = amount.quantize(self.quantum, self.mode)
        if self.multiple is None:
            return rounded
        return _nearest_multiple(rounded, self.multiple).quantize(self.quantum)

    def round_all(self, amounts: Iterable[Decimal]) -> list[Decimal]:
        rounded = list(map(_exact_rounding(self.mode).quantize, amounts, repeat(self.quantum)))
        return rounded if self.multiple is None else list(map(self.round, rounded))

    def to_multiple(self, amount: Decimal, multiple: Decimal) -> Decimal:
        """Fineract's ``roundToMultiplesOf``: whole multiples, in the rounding mode."""
        return ((amount / multiple).quantize(_ONE, self.mode) * multiple).quantize(self.quantum)


_ONE = Decimal(1)


def _rounder(terms: LoanTerms) -> _Rounder:
    return _rounder_for(terms.currency_digits, terms.rounding, terms.amount_multiple)


@lru_cache(maxsize=64)
def _rounder_for(digits: int, rounding: Rounding, amount_multiple: int | None) -> _Rounder:
    multiple = None if amount_multiple is None else Decimal(amount_multiple)
    quantum = _ONE.scaleb(-digits)
    return _Rounder(quantum, rounding.decimal_mode, multiple, ZERO.quantize(quantum))


def _nearest_multiple(amount: Decimal, multiple: Decimal) -> Decimal:
    """The nearest multiple, halves away from zero (Fineract rounds currency multiples so)."""
    whole, rest = divmod(amount, multiple)
    return (whole + 1) * multiple if rest * 2 >= multiple else whole * multiple


def _equal_installment_columns(
    terms: LoanTerms, money: _Rounder, rates: tuple[Decimal, ...]
) -> tuple[list[Decimal], list[Decimal], list[Decimal]]:
    """Principal, interest accrued and balance of each period; the principal of a paying period
    is the installment less its interest (none in interest-free periods)."""
    pays = _principal_periods(terms)
    installment = _equal_installment(terms, money, pays.paying)
    quantum, mode, multiple, zero = money
    free = terms.grace_interest_free
    balance = terms.principal
    principals: list[Decimal] = []
    interests: list[Decimal] = []
    balances: list[Decimal] = []
    flags = pays.flags
    for index in range(len(rates) - 1):
        interest = (balance * rates[index]).quantize(quantum, mode)
        if multiple is not None:
            interest = money.round(interest)
        if not flags[index]:
            principal = zero
        elif index < free:
            principal = installment
        else:
            principal = installment - interest
        if principal >= balance:
            break
        balance -= principal
        principals.append(principal)
        interests.append(interest)
        balances.append(balance)
    else:
        interest = money.round(balance * rates[-1])
    principals.append(balance)
    interests.append(interest)
    balances.append(zero)
    if min(principals) < zero:
        _raise_below_interest(principals, interests, installment)
    return principals, interests, balances


def _is_plain_annuity(terms: LoanTerms, money: _Rounder) -> bool:
    """Equal installments with every period repaying principal and paying its own interest,
    nothing rounded to a multiple: most loans, built by ``_plain_annuity``."""
    return (
        money.multiple is None
        and terms.installment_multiple is None
        and not (terms.grace_principal or terms.grace_interest_free or terms.grace_interest_payment)
        and terms.principal_every == 1
    )


def _plain_annuity(
    terms: LoanTerms, money: _Rounder, rates: tuple[Decimal, ...], dates: tuple[date, ...]
) -> Schedule:
    """The schedule ``_equal_installment_columns`` and ``_bill_interest`` give a plain annuity,
    with the balances checked once after the loop instead of once per period (the general loop,
    when the check fails, finds where an installment rounded up repays the loan early); every
    total but the last is the installment itself."""
    installment = _equal_installment(terms, money, len(rates))
    quantum, mode, _, zero = money
    balance = terms.principal
    principals: list[Decimal] = []
    interests: list[Decimal] = []
    balances: list[Decimal] = []
    add_principal, add_interest, add_balance = principals.append, interests.append, balances.append
    to_quantum = _exact_rounding(mode).quantize
    for rate in rates[:-1]:
        interest = to_quantum(balance * rate, quantum)
        principal = installment - interest
        balance -= principal
        add_principal(principal)
        add_interest(interest)
        add_balance(balance)
    if balances and not _repays_steadily(terms, principals, balances):
        if min(balances) <= zero:
            principals, interests, balances = _equal_installment_columns(terms, money, rates)
            return _schedule(
                terms, dates, principals, interests, balances, map(add, principals, interests)
            )
        if min(principals) < zero:
            _raise_below_interest(principals, interests, installment)
    interest = (balance * rates[-1]).quantize(quantum, mode)
    principals.append(balance)
    interests.append(interest)
    add_balance(zero)
    totals = chain(repeat(installment, len(principals) - 1), (balance + interest,))
    return _schedule(terms, dates, principals, interests, balances, totals)


def _repays_steadily(terms: LoanTerms, principals: list[Decimal], balances: list[Decimal]) -> bool:
    """Whether every principal is positive and every balance too, from the first principal and
    the last balance: at one rate for every period, a positive principal lowers the balance,
    so the next interest is no higher and the next principal no lower (the balances fall)."""
    return terms.interest_period is _SAME_AS_REPAYMENT and principals[0] > 0 and balances[-1] > 0


def _fixed_principal_columns(
    terms: LoanTerms, money: _Rounder, rates: tuple[Decimal, ...]
) -> tuple[list[Decimal], list[Decimal], list[Decimal]]:
    """Principal, interest accrued and balance of each period when the principal is known
    up front: interest is the opening balance of the period times its rate. Valid manual
    amounts repay the loan in the last month, from the balances their validation computed."""
    if terms.method is _MANUAL:
        principals, opening = list(terms.manual_principal), list(terms.manual_opening)
    else:
        principals, opening = _repay(_scheduled_principal(terms, money), terms.principal)
    interests = money.round_all(map(mul, opening, rates))
    return principals, interests, [*opening[1:], money.zero]


def _scheduled_principal(terms: LoanTerms, money: _Rounder) -> list[Decimal]:
    if terms.method is _EQUAL_PRINCIPAL:
        return _equal_principal(terms, money)
    return [money.zero] * (terms.periods - 1) + [terms.principal]


def _equal_principal(terms: LoanTerms, money: _Rounder) -> list[Decimal]:
    pays = _principal_periods(terms)
    fixed = money.round(terms.principal / pays.paying)
    if pays.paying == len(pays.flags):
        return [fixed] * pays.paying
    return [fixed if paying else money.zero for paying in pays.flags]


def _repay(scheduled: list[Decimal], total: Decimal) -> tuple[list[Decimal], list[Decimal]]:
    """What is due each period and what is left to pay at its start: the period whose
    scheduled amount reaches what is left (at the latest the last period) takes exactly that,
    and the schedule ends there."""
    opening = list(accumulate(scheduled[:-1], sub, initial=total))
    end = len(opening) - 1
    if opening[end] <= ZERO:
        end = next(index for index, left in enumerate(opening) if scheduled[index] >= left)
    return [*scheduled[:end], opening[end]], opening[: end + 1]


def _bill_interest(accrued: list[Decimal], terms: LoanTerms, zero: Decimal) -> list[Decimal]:
    """Interest billed each period: none in interest-free periods; interest of deferred periods
    comes with the first later period that accrues interest (Fineract), at the latest the last."""
    free, deferred = terms.grace_interest_free, terms.grace_interest_payment
    if not free and not deferred:
        return accrued
    billed = list(accrued)
    carried = zero
    for index, interest in enumerate(accrued):
        if index < free:
            billed[index] = zero
        elif index < deferred or not interest:
            carried += interest
            billed[index] = zero
        else:
            billed[index] = carried + interest
            carried = zero
            break
    billed[-1] += carried
    return billed


def _flat_columns(
    terms: LoanTerms, money: _Rounder, dates: tuple[date, ...]
) -> tuple[list[Decimal], list[Decimal], list[Decimal]]:
    """Principal, interest and balance of each period of a flat-interest loan."""
    periods = len(dates)
    charged, regular = _flat_interest(terms, money, dates)
    without_interest = max(terms.grace_interest_free, terms.grace_interest_payment)
    interests = [money.zero] * without_interest + [regular] * (periods - without_interest)
    scheduled = _equal_principal(terms, money)
    if terms.installment_multiple is not None:
        unit = Decimal(terms.installment_multiple)
        scheduled = _flat_principal_in_multiples(scheduled, interests, unit, terms, money)
    principals, opening = _repay(scheduled, terms.principal)
    rows = len(principals)
    billed, _ = _repay(interests[:rows], charged)
    return principals, billed + [money.zero] * (rows - len(billed)), [*opening[1:], money.zero]


def _flat_principal_in_multiples(
    scheduled: list[Decimal],
    interests: list[Decimal],
    unit: Decimal,
    terms: LoanTerms,
    money: _Rounder,
) -> list[Decimal]:
    """Fineract: principal and interest each rounded to the multiple, the interest's rounding
    moved into the principal, so that every installment is a multiple (never below zero)."""
    flags = _principal_periods(terms).flags
    return [
        max(
            money.to_multiple(principal, unit) + money.to_multiple(interest, unit) - interest,
            money.zero,
        )
        if paying
        else principal
        for principal, interest, paying in zip(scheduled, interests, flags, strict=True)
    ]


def _flat_interest(
    terms: LoanTerms, money: _Rounder, dates: tuple[date, ...]
) -> tuple[Decimal, Decimal]:
    """Total interest charged and the interest of each period that pays interest."""
    periods = len(dates)
    full = money.round(terms.principal * _flat_term_rate(terms, dates[-1]))
    per_period = money.round(full / periods)
    charged = max(full - per_period * terms.grace_interest_free, money.zero)
    paying = periods - max(terms.grace_interest_free, terms.grace_interest_payment)
    return charged, money.round(charged / paying)


def _flat_term_rate(terms: LoanTerms, maturity: date) -> Decimal:
    if terms.interest_period is _DAILY:
        days = (maturity - terms.start).days
        return _daily_rate(terms.annual_rate, terms.days_in_year, terms.rounding) * days
    return _monthly_rate(terms.annual_rate, terms.rounding) * terms.months


def _raise_below_interest(
    principals: list[Decimal], interests: list[Decimal], installment: Decimal
) -> None:
    number = next(index for index, amount in enumerate(principals) if amount < 0)
    raise ScheduleError(
        ScheduleErrorCode.INSTALLMENT_BELOW_INTEREST,
        number=number + 1,
        installment=installment,
        interest=interests[number],
    )


class _PrincipalPeriods(NamedTuple):
    flags: tuple[bool, ...]  # per period: does it repay principal?
    paying: int


def _principal_periods(terms: LoanTerms) -> _PrincipalPeriods:
    return _principal_periods_for(terms.periods, terms.grace_principal, terms.principal_every)


@lru_cache(maxsize=512)
def _principal_periods_for(periods: int, grace: int, every: int) -> _PrincipalPeriods:
    """Principal periods: every ``every``-th period after ``grace``, and always the last."""
    flags = tuple(
        number == periods or (number > grace and (number - grace) % every == 0)
        for number in range(1, periods + 1)
    )
    return _PrincipalPeriods(flags, flags.count(True))


def _equal_installment(terms: LoanTerms, money: _Rounder, paying_periods: int) -> Decimal:
    factor = _annuity_factor(
        terms.annual_rate,
        terms.rounding,
        terms.interest_period,
        terms.days_in_year,
        paying_periods,
    )
    payment = terms.principal * factor if factor else terms.principal / paying_periods
    if terms.installment_multiple is not None:
        payment = money.to_multiple(payment, Decimal(terms.installment_multiple))
    return money.round(payment)


@lru_cache(maxsize=1024)
def _annuity_factor(
    annual_rate: Decimal,
    rounding: Rounding,
    interest_period: InterestPeriod,
    days_in_year: int,
    periods: int,
) -> Decimal:
    """PMT per unit of principal, rate / (1 - (1 + rate)^-periods), at the monthly rate (30
    days' interest for daily interest); zero at 0% (the caller divides exactly instead)."""
    if interest_period is _DAILY:
        daily = _daily_rate(annual_rate, days_in_year, rounding)
        rate = _rate_context(rounding).multiply(daily, PMT_DAYS_IN_MONTH)
    else:
        rate = _monthly_rate(annual_rate, rounding)
    if not rate:
        return rate
    return rate / (1 - (1 + rate) ** -periods)


def _period_rates(terms: LoanTerms, dates: tuple[date, ...]) -> tuple[Decimal, ...]:
    if terms.interest_period is _DAILY:
        interest_start = first_interest_start(terms.start, terms.first_due, terms.months_per_period)
        return _daily_period_rates(
            terms.annual_rate, terms.days_in_year, terms.rounding, interest_start, dates
        )
    return _monthly_period_rates(
        terms.annual_rate, terms.rounding, terms.months_per_period, len(dates)
    )


@lru_cache(maxsize=1024)
def _monthly_period_rates(
    annual_rate: Decimal, rounding: Rounding, months_per_period: int, periods: int
) -> tuple[Decimal, ...]:
    rate = _monthly_rate(annual_rate, rounding) * months_per_period
    return (rate,) * periods


@lru_cache(maxsize=1024)
def _daily_period_rates(
    annual_rate: Decimal,
    days_in_year: int,
    rounding: Rounding,
    interest_start: date,
    dates: tuple[date, ...],
) -> tuple[Decimal, ...]:
    context = _rate_context(rounding)
    daily = _daily_rate(annual_rate, days_in_year, rounding)
    starts = (interest_start, *dates[:-1])
    days = [(end - begin).days for begin, end in zip(starts, dates, strict=True)]
    return tuple(context.multiply(daily, day_count) for day_count in days)


@lru_cache(maxsize=256)
def _monthly_rate(annual_rate: Decimal, rounding: Rounding) -> Decimal:
    """annual / 12 / 100, each step to 12 significant digits as in Fineract."""
    context = _rate_context(rounding)
    return context.divide(context.divide(annual_rate, 12), 100)


@lru_cache(maxsize=256)
def _daily_rate(annual_rate: Decimal, days_in_year: int, rounding: Rounding) -> Decimal:
    context = _rate_context(rounding)
    return context.divide(context.divide(annual_rate, days_in_year), 100)


@lru_cache(maxsize=8)
def _exact_rounding(mode: str) -> Context:
    """The exact context rounding in ``mode``: its ``quantize`` is ``Decimal.quantize(q, mode)``
    without parsing keyword arguments (a tenth of a quantize's cost, measured)."""
    return Context(prec=EXACT_PRECISION, rounding=mode)


@lru_cache(maxsize=2)
def _rate_context(rounding: Rounding) -> Context:
    return Context(prec=RATE_DIGITS, rounding=rounding.decimal_mode)
