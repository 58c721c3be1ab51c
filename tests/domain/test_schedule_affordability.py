"""Affordability: the largest principal and the shortest term for a monthly budget."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.affordability import max_principal, repayment_budget, shortest_term
from bot.domain.schedule import (
    LoanTerms,
    RepaymentMethod,
    ScheduleError,
    ScheduleErrorCode,
    build_schedule,
)

START = date(2026, 1, 15)


def template(method: RepaymentMethod, months: int = 12, **options: object) -> LoanTerms:
    return LoanTerms(Decimal(1), Decimal(12), months, method, START, **options)  # type: ignore[arg-type]


def largest(terms: LoanTerms, principal: Decimal) -> Decimal:
    return build_schedule(replace(terms, principal=principal)).largest_payment


def test_budget_is_a_share_of_the_net_cash_flow_rounded_down() -> None:
    assert repayment_budget(Decimal("8001.99")) == Decimal("4000.99")
    assert repayment_budget(Decimal(9000), share=Decimal("0.3")) == Decimal("2700.00")
    assert repayment_budget(Decimal(-100)) == Decimal("0.00")


def test_largest_principal_for_equal_installments() -> None:
    terms = template(RepaymentMethod.EQUAL_INSTALLMENTS)
    principal = max_principal(terms, Decimal("8884.88"))
    assert principal is not None
    assert (
        largest(terms, principal)
        <= Decimal("8884.88")
        < largest(terms, principal + Decimal("0.01"))
    )
    assert Decimal(100000) <= principal < Decimal(100001)


def test_largest_principal_in_steps_of_a_hundred() -> None:
    # The first payment is the largest: P / 12 + P x 1% <= 3000 gives P <= 32,142.85.
    terms = template(RepaymentMethod.EQUAL_PRINCIPAL)
    assert max_principal(terms, Decimal(3000), step=Decimal(100)) == Decimal(32100)
    assert largest(terms, Decimal(32200)) > Decimal(3000) >= largest(terms, Decimal(32100))


def test_a_larger_principal_can_fit_after_one_that_does_not() -> None:
    """With the installment rounded to 10, 8,571.44 does not fit 2,950 (its last payment is
    2,950.01) but 8,590.99 does: its installment rounds up to 2,950 and the last shrinks."""
    terms = replace(
        template(RepaymentMethod.EQUAL_INSTALLMENTS, 3, installment_multiple=10),
        annual_rate=Decimal(18),
    )
    budget = Decimal(2950)
    assert largest(terms, Decimal("8571.44")) > budget
    principal = max_principal(terms, budget)
    assert principal == Decimal("8590.99")
    assert largest(terms, principal) <= budget
    cents = range(int(principal * 100) + 1, int(budget * 3 * 100) + 1)
    assert not any(largest(terms, Decimal(cent) / 100) <= budget for cent in cents)


def test_no_principal_fits_a_budget_below_one_step() -> None:
    assert max_principal(template(RepaymentMethod.BULLET), Decimal("0.50"), Decimal(1)) is None


def test_manual_schedules_have_no_affordability() -> None:
    manual = LoanTerms(
        Decimal(10), Decimal(12), 1, RepaymentMethod.MANUAL, START, manual_principal=(Decimal(10),)
    )
    with pytest.raises(ScheduleError) as refused:
        max_principal(manual, Decimal(100))
    assert refused.value.code is ScheduleErrorCode.OPTION_NOT_SUPPORTED


@settings(max_examples=25, deadline=None)
@given(
    method=st.sampled_from(
        [
            RepaymentMethod.EQUAL_INSTALLMENTS,
            RepaymentMethod.EQUAL_PRINCIPAL,
            RepaymentMethod.FLAT,
            RepaymentMethod.INTEREST_ONLY,
            RepaymentMethod.BULLET,
        ]
    ),
    months=st.integers(2, 6),
    rate=st.integers(0, 36),
    budget=st.integers(10, 60),
    multiple=st.sampled_from([None, 1]),
)
def test_nothing_larger_fits_however_rounding_jitters(
    method: RepaymentMethod, months: int, rate: int, budget: int, multiple: int | None
) -> None:
    """Brute force over every amount in whole units up to the provable bound."""
    options = (
        {"installment_multiple": multiple}
        if method in {RepaymentMethod.EQUAL_INSTALLMENTS, RepaymentMethod.FLAT}
        else {}
    )
    terms = replace(template(method, months, **options), annual_rate=Decimal(rate))
    limit = Decimal(budget)
    step = Decimal(1)
    fitting = [
        units
        for units in range(1, budget * terms.periods + 1)
        if _fits_or_none(terms, Decimal(units), limit)
    ]
    expected = Decimal(max(fitting)) if fitting else None
    assert max_principal(terms, limit, step) == expected


def _fits_or_none(terms: LoanTerms, principal: Decimal, budget: Decimal) -> bool:
    try:
        return largest(terms, principal) <= budget
    except ScheduleError as error:
        assert error.code is ScheduleErrorCode.INSTALLMENT_BELOW_INTEREST
        return False


def test_shortest_term_that_fits() -> None:
    terms = template(RepaymentMethod.EQUAL_INSTALLMENTS)
    loan = replace(terms, principal=Decimal(100000))
    months = shortest_term(loan, Decimal(9000), max_months=24)
    assert months == 12
    assert largest(replace(loan, months=11), Decimal(100000)) > Decimal(9000)


def test_shortest_term_skips_terms_the_grace_makes_invalid() -> None:
    loan = LoanTerms(
        Decimal(10000),
        Decimal(12),
        12,
        RepaymentMethod.EQUAL_INSTALLMENTS,
        START,
        grace_principal=3,
    )
    assert shortest_term(loan, Decimal(100000), max_months=24) == 4


def test_no_term_fits_a_budget_below_the_interest() -> None:
    loan = LoanTerms(Decimal(100000), Decimal(12), 12, RepaymentMethod.EQUAL_PRINCIPAL, START)
    assert shortest_term(loan, Decimal(900), max_months=24) is None
