"""The preview of changed terms agrees with the schedule it describes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.committee import affordability
from bot.domain.loan_terms import LoanTerms, RepaymentMethod
from bot.domain.schedule import build_schedule

METHODS = st.sampled_from([RepaymentMethod.EQUAL_INSTALLMENTS, RepaymentMethod.EQUAL_PRINCIPAL])


@settings(max_examples=40, deadline=None)
@given(
    principal=st.integers(50, 3000).map(lambda hundreds: Decimal(hundreds * 100)),
    months=st.integers(1, 36),
    method=METHODS,
    cash_flow=st.integers(0, 50000).map(Decimal),
)
def test_the_verdict_is_the_schedules_and_the_largest_amount_fits(
    principal: Decimal, months: int, method: RepaymentMethod, cash_flow: Decimal
) -> None:
    terms = LoanTerms(principal, Decimal(12), months, method, date(2026, 12, 1))
    preview = affordability(terms, cash_flow)

    schedule = build_schedule(terms)
    assert preview.first_payment == schedule.installments[0].total
    assert preview.budget is not None
    assert preview.fits == (schedule.largest_payment <= preview.budget)
    if preview.largest_amount is not None:
        largest = build_schedule(replace(terms, principal=preview.largest_amount))
        assert largest.largest_payment <= preview.budget
    if preview.fits:
        assert preview.largest_amount is not None and principal <= preview.largest_amount


def test_without_a_cash_flow_there_is_no_verdict() -> None:
    terms = LoanTerms(Decimal(50000), Decimal(12), 12, RepaymentMethod.EQUAL_INSTALLMENTS,
                      date(2026, 12, 1))  # fmt: skip
    preview = affordability(terms, None)
    assert (preview.budget, preview.fits, preview.largest_amount) == (None, None, None)
    assert preview.first_payment == Decimal("4442.44")
