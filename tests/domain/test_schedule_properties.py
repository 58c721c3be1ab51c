"""Properties of every schedule, for every method and mix of options."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Any

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from bot.domain import schedule as schedule_module
from bot.domain.due_dates import add_months
from bot.domain.schedule import (
    Installment,
    InterestPeriod,
    LoanTerms,
    RepaymentMethod,
    Rounding,
    Schedule,
    ScheduleError,
    ScheduleErrorCode,
    build_schedule,
)

GRACE_METHODS = {
    RepaymentMethod.EQUAL_INSTALLMENTS,
    RepaymentMethod.EQUAL_PRINCIPAL,
    RepaymentMethod.FLAT,
}
# Every method accepts an installment multiple; as in Fineract only these apply it.
INSTALLMENT_MULTIPLE_METHODS = {RepaymentMethod.EQUAL_INSTALLMENTS, RepaymentMethod.FLAT}


@st.composite
def loan_terms(draw: st.DrawFn) -> LoanTerms:
    method = draw(st.sampled_from(list(RepaymentMethod)))
    months = draw(st.integers(1, 60))
    periods = 1 if method is RepaymentMethod.BULLET else months
    digits = draw(st.sampled_from([2, 0]))
    amount_multiple = draw(st.sampled_from([None, None, 10, 100]))
    unit = amount_multiple or 1
    scale = Decimal(1).scaleb(-digits) if amount_multiple is None else Decimal(unit)
    principal = draw(st.integers(1, 10**9 // unit)) * scale
    start = draw(st.dates(date(2000, 1, 1), date(2090, 12, 31)))
    options: dict[str, Any] = {
        "currency_digits": digits,
        "amount_multiple": amount_multiple,
        "interest_period": draw(st.sampled_from(list(InterestPeriod))),
        "days_in_year": draw(st.sampled_from([365, 360])),
        "rounding": draw(st.sampled_from(list(Rounding))),
    }
    if method is not RepaymentMethod.BULLET:
        options["grace_interest_payment"] = draw(st.integers(0, periods - 1))
        options["grace_interest_free"] = draw(st.integers(0, periods - 1))
        if draw(st.booleans()):
            options["first_due"] = start + timedelta(days=draw(st.integers(1, 59)))
    if method in GRACE_METHODS:
        grace = draw(st.integers(0, periods - 1))
        options["grace_principal"] = grace
        options["principal_every"] = draw(st.integers(1, periods - grace))
    options["installment_multiple"] = draw(st.sampled_from([None, None, 1, 10, 100]))
    if method is RepaymentMethod.MANUAL:
        options["manual_principal"] = draw(manual_parts(principal, months, scale))
    rate = Decimal(draw(st.integers(0, 3600))) / 100
    return LoanTerms(principal, rate, months, method, start, **options)


@st.composite
def manual_parts(draw: st.DrawFn, principal: Decimal, months: int, scale: Decimal) -> tuple:
    units = int(principal / scale)
    assume(units >= 1)
    cuts = sorted(
        draw(st.lists(st.integers(0, units - 1), min_size=months - 1, max_size=months - 1))
    )
    bounds = [0, *cuts, units]
    return tuple(Decimal(high - low) * scale for low, high in itertools.pairwise(bounds))


def schedule_or_skip(terms: LoanTerms) -> Schedule:
    """The schedule, skipping (only) installments rounded below their interest."""
    try:
        return build_schedule(terms)
    except ScheduleError as error:
        assert error.code is ScheduleErrorCode.INSTALLMENT_BELOW_INTEREST
        assert error.params["installment"] < error.params["interest"]  # type: ignore[operator]
        assume(False)
        raise


@settings(max_examples=400, deadline=None)
@given(loan_terms())
def test_principal_sums_to_the_loan_exactly(terms: LoanTerms) -> None:
    schedule = schedule_or_skip(terms)
    assert sum(row.principal for row in schedule.installments) == terms.principal
    assert schedule.total_principal == terms.principal


@settings(max_examples=400, deadline=None)
@given(loan_terms())
def test_balances_never_negative_never_rising_and_end_at_zero(terms: LoanTerms) -> None:
    rows = schedule_or_skip(terms).installments
    opening = terms.principal
    for row in rows:
        assert row.principal >= 0
        assert row.interest >= 0
        assert row.balance == opening - row.principal
        assert 0 <= row.balance <= opening
        opening = row.balance
    assert rows[-1].balance == 0
    assert all(row.balance > 0 for row in rows[:-1])


@settings(max_examples=400, deadline=None)
@given(loan_terms())
def test_totals_are_consistent(terms: LoanTerms) -> None:
    schedule = schedule_or_skip(terms)
    rows = schedule.installments
    assert all(row.total == row.principal + row.interest for row in rows)
    assert schedule.total_interest == sum(row.interest for row in rows)
    assert schedule.total == terms.principal + schedule.total_interest
    assert schedule.first_payment == rows[0].total
    assert schedule.last_payment == rows[-1].total
    assert schedule.largest_payment == max(row.total for row in rows)
    quantum = terms.quantum
    for row in rows:
        for amount in (row.principal, row.interest, row.total, row.balance):
            assert amount == amount.quantize(quantum)
            assert amount.as_tuple().exponent == -terms.currency_digits


@settings(max_examples=400, deadline=None)
@given(loan_terms())
def test_the_right_number_of_rows_on_anchored_monotone_dates(terms: LoanTerms) -> None:
    rows = schedule_or_skip(terms).installments
    assert [row.number for row in rows] == list(range(1, len(rows) + 1))
    if _runs_its_full_term(terms):
        assert len(rows) == terms.periods
    else:
        assert 1 <= len(rows) <= terms.periods
    dates = [row.due_date for row in rows]
    assert terms.start < dates[0]
    assert all(earlier < later for earlier, later in itertools.pairwise(dates))
    first = terms.first_due or add_months(terms.start, terms.months_per_period)
    anchor = terms.first_due.day if terms.first_due else terms.start.day
    assert dates[0] == first
    assert all(day.day == min(anchor, _month_length(day)) for day in dates)


@settings(max_examples=200, deadline=None)
@given(
    principal=st.integers(1_000_000, 10**9),
    rate=st.integers(0, 2400),
    months=st.integers(1, 120),
    start=st.dates(date(2000, 1, 1), date(2090, 12, 31)),
)
def test_plain_equal_installments_are_equal_but_the_last(
    principal: int, rate: int, months: int, start: date
) -> None:
    terms = LoanTerms(
        Decimal(principal) / 100,
        Decimal(rate) / 100,
        months,
        RepaymentMethod.EQUAL_INSTALLMENTS,
        start,
    )
    rows = build_schedule(terms).installments
    assert len(rows) == months
    assert len({row.total for row in rows[:-1]}) <= 1
    # Half a fen of rounding a month, compounded, is all the last installment may differ by.
    assert abs(rows[-1].total - rows[0].total) <= Decimal("0.005") * months * 11


@settings(max_examples=200, deadline=None)
@given(loan_terms())
def test_an_installment_multiple_changes_only_the_methods_that_apply_it(terms: LoanTerms) -> None:
    assume(terms.installment_multiple is not None)
    assume(terms.method not in INSTALLMENT_MULTIPLE_METHODS)
    without = replace(terms, installment_multiple=None)
    assert build_schedule(terms).installments == build_schedule(without).installments


@settings(max_examples=200, deadline=None)
@given(loan_terms())
def test_interest_free_periods_charge_nothing(terms: LoanTerms) -> None:
    rows = schedule_or_skip(terms).installments
    free = rows[: terms.grace_interest_free]
    if len(rows) > terms.grace_interest_free:
        assert all(row.interest == 0 for row in free)


@settings(max_examples=200, deadline=None)
@given(loan_terms())
def test_apr_is_never_negative(terms: LoanTerms) -> None:
    assume(terms.months <= 24)
    assert schedule_or_skip(terms).apr >= 0


def _runs_its_full_term(terms: LoanTerms) -> bool:
    """Installments rounded up (to a multiple, or by half a unit each on a tiny loan) and equal
    installments spent on principal alone in interest-free periods can repay a loan early."""
    if terms.amount_multiple is not None:
        return False
    if terms.installment_multiple is not None and terms.method in INSTALLMENT_MULTIPLE_METHODS:
        return False
    if terms.method is RepaymentMethod.EQUAL_INSTALLMENTS and terms.grace_interest_free:
        return False
    return terms.principal >= terms.quantum * terms.periods**2


def _month_length(day: date) -> int:
    return (add_months(day.replace(day=1), 1) - day.replace(day=1)).days


def _general_equal_installment_rows(terms: LoanTerms) -> tuple[Installment, ...]:
    """The schedule as the general equal-installment loop makes it (the engine's private
    pieces: the fast path for plain annuities must give exactly these rows)."""
    with localcontext(schedule_module._EXACT):
        money = schedule_module._rounder(terms)
        dates = schedule_module.due_dates(terms.start, terms.periods, 1, terms.first_due)
        rates = schedule_module._period_rates(terms, dates)
        principals, accrued, balances = schedule_module._equal_installment_columns(
            terms, money, rates
        )
        interests = schedule_module._bill_interest(accrued, terms, money.zero)
        totals = [
            principal + interest for principal, interest in zip(principals, interests, strict=True)
        ]
        rows = zip(itertools.count(1), dates, principals, interests, totals, balances)
        return tuple(Installment(*row) for row in rows)


@settings(max_examples=400, deadline=None)
@given(
    principal=st.integers(1, 10**9),
    rate=st.integers(0, 3600),
    months=st.integers(1, 60),
    start=st.dates(date(2000, 1, 1), date(2090, 12, 31)),
    digits=st.sampled_from([0, 2, 4]),
    interest_period=st.sampled_from(list(InterestPeriod)),
    days_in_year=st.sampled_from([365, 360]),
    rounding=st.sampled_from(list(Rounding)),
    first_due_days=st.one_of(st.none(), st.integers(1, 59)),
)
@example(  # 0.06 in 4 months: 0.015 rounds to 0.02, and the third payment clears the loan
    principal=6,
    rate=0,
    months=4,
    start=date(2026, 1, 15),
    digits=2,
    interest_period=InterestPeriod.SAME_AS_REPAYMENT,
    days_in_year=365,
    rounding=Rounding.HALF_EVEN,
    first_due_days=None,
)
def test_the_plain_annuity_fast_path_gives_the_general_loops_rows(
    principal: int,
    rate: int,
    months: int,
    start: date,
    digits: int,
    interest_period: InterestPeriod,
    days_in_year: int,
    rounding: Rounding,
    first_due_days: int | None,
) -> None:
    terms = LoanTerms(
        Decimal(principal).scaleb(-digits),
        Decimal(rate) / 100,
        months,
        RepaymentMethod.EQUAL_INSTALLMENTS,
        start,
        first_due=None if first_due_days is None else start + timedelta(days=first_due_days),
        currency_digits=digits,
        interest_period=interest_period,
        days_in_year=days_in_year,
        rounding=rounding,
    )
    try:
        expected = _general_equal_installment_rows(terms)
    except ScheduleError as refused:
        with pytest.raises(ScheduleError) as fast_refused:
            build_schedule(terms)
        assert (fast_refused.value.code, fast_refused.value.params) == (
            refused.code,
            refused.params,
        )
        return
    rows = build_schedule(terms).installments
    assert rows == expected
    assert [tuple(map(str, row[2:])) for row in rows] == [
        tuple(map(str, row[2:])) for row in expected
    ]  # the same digits too, not only equal values


def _spelled(amount: Decimal, spelling: str) -> Decimal:
    if spelling == "normalized":
        return amount.normalize()  # 500.00 -> 5E+2
    if spelling == "padded":
        return amount.quantize(Decimal("0.000001"))
    return amount


@settings(max_examples=300, deadline=None)
@given(
    loan_terms().filter(lambda terms: terms.method is RepaymentMethod.MANUAL),
    st.sampled_from(["as is", "normalized", "padded"]),
)
def test_manual_terms_carry_the_balances_the_general_path_computes(
    terms: LoanTerms, spelling: str
) -> None:
    """Validation keeps the opening balances it computes; they, the amounts and the schedule
    are the general path's, digits included, however the amounts are written."""
    respelled = replace(
        terms,
        principal=_spelled(terms.principal, spelling),
        manual_principal=tuple(_spelled(amount, spelling) for amount in terms.manual_principal),
    )
    principals, opening = schedule_module._repay(list(terms.manual_principal), terms.principal)
    assert list(map(str, respelled.manual_principal)) == list(map(str, principals))
    assert list(map(str, respelled.manual_opening)) == list(map(str, opening))
    rows, expected = build_schedule(respelled).installments, build_schedule(terms).installments
    assert [tuple(map(str, row[2:])) for row in rows] == [
        tuple(map(str, row[2:])) for row in expected
    ]
