"""Due dates anchored on a day of month, the first period, and the APR from the cash flows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain import apr as apr_module
from bot.domain.apr import annual_percentage_rate
from bot.domain.due_dates import add_months, due_dates, months_between
from bot.domain.schedule import InterestPeriod, LoanTerms, RepaymentMethod, build_schedule


def test_month_end_is_clamped_and_the_day_stays_anchored() -> None:
    assert due_dates(date(2026, 1, 31), 4) == (
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
    )


def test_leap_february() -> None:
    assert due_dates(date(2024, 1, 30), 2) == (date(2024, 2, 29), date(2024, 3, 30))


def test_first_due_date_anchors_the_following_ones() -> None:
    assert due_dates(date(2026, 1, 15), 3, first_due=date(2026, 2, 28)) == (
        date(2026, 2, 28),
        date(2026, 3, 28),
        date(2026, 4, 28),
    )


def test_add_months_backwards_and_across_years() -> None:
    assert add_months(date(2026, 3, 31), -1) == date(2026, 2, 28)
    assert add_months(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert add_months(date(2026, 2, 28), 1, anchor_day=31) == date(2026, 3, 31)


def test_months_between_counts_whole_months_and_leftover_days() -> None:
    assert months_between(date(2026, 1, 31), date(2026, 2, 28)) == (1, 0)
    assert months_between(date(2026, 1, 15), date(2026, 3, 20)) == (2, 5)
    assert months_between(date(2026, 1, 15), date(2026, 2, 14)) == (0, 30)


def test_schedule_due_dates_from_a_month_end_start() -> None:
    terms = LoanTerms(
        Decimal(3000), Decimal(12), 3, RepaymentMethod.EQUAL_PRINCIPAL, date(2026, 1, 31)
    )
    dates = [row.due_date for row in build_schedule(terms).installments]
    assert dates == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]


def test_daily_interest_counts_the_actual_days() -> None:
    terms = LoanTerms(
        Decimal(36500),
        Decimal(10),
        3,
        RepaymentMethod.INTEREST_ONLY,
        date(2026, 1, 31),
        interest_period=InterestPeriod.DAILY,
    )
    # 36,500 x 10% / 365 = 10.00 a day: 28, 31 and 30 days.
    interests = [row.interest for row in build_schedule(terms).installments]
    assert interests == [Decimal("280.00"), Decimal("310.00"), Decimal("300.00")]


def test_daily_interest_on_a_360_day_year() -> None:
    terms = LoanTerms(
        Decimal(36000),
        Decimal(10),
        1,
        RepaymentMethod.BULLET,
        date(2026, 1, 1),
        interest_period=InterestPeriod.DAILY,
        days_in_year=360,
    )
    assert build_schedule(terms).installments[0].interest == Decimal("310.00")


def test_a_chosen_first_due_date_starts_a_regular_first_period() -> None:
    # Fineract: the first period is one regular period counted back from the first due date.
    common = dict(interest_period=InterestPeriod.DAILY)
    regular = LoanTerms(
        Decimal(36500), Decimal(10), 2, RepaymentMethod.INTEREST_ONLY, date(2026, 1, 20), **common
    )
    chosen = LoanTerms(
        Decimal(36500),
        Decimal(10),
        2,
        RepaymentMethod.INTEREST_ONLY,
        date(2026, 1, 10),
        first_due=date(2026, 2, 20),
        **common,
    )
    assert [row.interest for row in build_schedule(chosen).installments] == [
        row.interest for row in build_schedule(regular).installments
    ]
    assert build_schedule(chosen).installments[0].due_date == date(2026, 2, 20)


def test_apr_is_the_effective_annual_rate_of_the_monthly_irr() -> None:
    # One month at 1%: (1.01)^12 - 1 = 12.68%; nominal x12 would say 12.00%.
    assert annual_percentage_rate(
        Decimal(100), date(2026, 1, 15), [(date(2026, 2, 15), Decimal(101))]
    ) == Decimal("12.68")


def test_apr_counts_odd_days_as_thirtieths_of_a_month() -> None:
    # 1% over one month and 15 days is 1% per 1.5 unit months.
    apr = annual_percentage_rate(
        Decimal(100), date(2026, 1, 15), [(date(2026, 3, 2), Decimal(101))]
    )
    assert apr == ((Decimal("1.01") ** (Decimal(12) / Decimal("1.5")) - 1) * 100).quantize(
        Decimal("0.01")
    )


def test_apr_of_interest_free_money_is_zero() -> None:
    terms = LoanTerms(
        Decimal(1200), Decimal(0), 12, RepaymentMethod.EQUAL_INSTALLMENTS, date(2026, 1, 15)
    )
    assert build_schedule(terms).apr == Decimal("0.00")


@pytest.mark.parametrize(
    ("method", "apr"),
    [
        (RepaymentMethod.EQUAL_INSTALLMENTS, "12.68"),
        (RepaymentMethod.EQUAL_PRINCIPAL, "12.68"),
        (RepaymentMethod.INTEREST_ONLY, "12.68"),
        (RepaymentMethod.BULLET, "12.00"),
        (RepaymentMethod.FLAT, "23.70"),
    ],
)
def test_apr_shows_what_the_nominal_rate_hides(method: RepaymentMethod, apr: str) -> None:
    terms = LoanTerms(Decimal(100000), Decimal(12), 12, method, date(2026, 1, 15))
    assert build_schedule(terms).apr == Decimal(apr)


@settings(max_examples=300, deadline=None)
@given(
    principal=st.integers(100_000, 100_000_000),
    rate=st.integers(0, 3600),
    months=st.integers(1, 60),
    method=st.sampled_from([m for m in RepaymentMethod if m is not RepaymentMethod.MANUAL]),
    start_offset=st.integers(0, 400),
    first_due_days=st.none() | st.integers(1, 59),
)
def test_the_apr_in_floats_equals_the_apr_in_decimals(
    principal: int,
    rate: int,
    months: int,
    method: RepaymentMethod,
    start_offset: int,
    first_due_days: int | None,
) -> None:
    """The float route answers only when it is certain; then it gives the decimals' APR."""
    start = date(2026, 1, 1) + timedelta(days=start_offset)
    first_due = None if first_due_days is None else start + timedelta(days=first_due_days)
    if method is RepaymentMethod.BULLET:  # a bullet loan has no first due date to choose
        first_due = None
    terms = LoanTerms(
        Decimal(principal) / 100, Decimal(rate) / 100, months, method, start, first_due=first_due
    )
    schedule = build_schedule(terms)
    payments = list(zip(schedule.due_dates, schedule.totals, strict=True))
    with localcontext(apr_module.DECIMAL_CONTEXT):
        flows = apr_module.cash_flows(terms.start, payments)
        in_floats = apr_module.apr_in_floats(terms.principal, flows)
        in_decimals = apr_module.apr_in_decimals(terms.principal, flows)
    assert in_floats is None or in_floats == in_decimals
    assert schedule.apr == in_decimals
