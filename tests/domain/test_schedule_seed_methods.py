"""Every repayment method the source bank's system offered (DOMAIN.md, seed 000 line 147)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.domain.plans import PLANS, RepaymentPlan
from bot.domain.schedule import (
    LoanTerms,
    RepaymentMethod,
    Schedule,
    ScheduleError,
    ScheduleErrorCode,
    build_schedule,
)

START = date(2026, 3, 10)
PRINCIPAL = Decimal(120000)
ZERO = Decimal("0.00")


def loan(method: RepaymentMethod, months: int = 12, **options: Any) -> Schedule:
    return build_schedule(LoanTerms(PRINCIPAL, Decimal(12), months, method, START, **options))


def principal_months(schedule: Schedule) -> list[int]:
    return [row.number for row in schedule.installments if row.principal]


def test_manual_schedule() -> None:
    parts = (Decimal(0), Decimal(30000), Decimal(0), Decimal(50000), Decimal(0), Decimal(40000))
    schedule = loan(RepaymentMethod.MANUAL, months=6, manual_principal=parts)
    assert [row.principal for row in schedule.installments] == list(parts)
    interests = [row.interest for row in schedule.installments]
    assert interests == [
        Decimal("1200.00"),
        Decimal("1200.00"),
        Decimal("900.00"),
        Decimal("900.00"),
        Decimal("400.00"),
        Decimal("400.00"),
    ]


def test_bullet_pays_principal_and_interest_once_at_maturity() -> None:
    """利随本清."""
    schedule = loan(RepaymentMethod.BULLET)
    assert len(schedule.installments) == 1
    only = schedule.installments[0]
    assert (only.due_date, only.principal, only.interest) == (
        date(2027, 3, 10),
        PRINCIPAL,
        Decimal("14400.00"),
    )


def test_monthly_interest_principal_at_maturity() -> None:
    """按月付息，到期还本."""
    schedule = loan(RepaymentMethod.INTEREST_ONLY)
    assert principal_months(schedule) == [12]
    assert {row.interest for row in schedule.installments} == {Decimal("1200.00")}
    assert schedule.last_payment == Decimal("121200.00")


def test_equal_monthly_installments() -> None:
    """按月等额本息."""
    schedule = loan(RepaymentMethod.EQUAL_INSTALLMENTS)
    assert principal_months(schedule) == list(range(1, 13))
    assert {row.total for row in schedule.installments[:-1]} == {Decimal("10661.85")}


def test_equal_monthly_principal() -> None:
    """按月等额本金."""
    schedule = loan(RepaymentMethod.EQUAL_PRINCIPAL)
    assert {row.principal for row in schedule.installments} == {Decimal("10000.00")}
    assert [row.interest for row in schedule.installments][:2] == [
        Decimal("1200.00"),
        Decimal("1100.00"),
    ]


def test_monthly_interest_principal_every_two_months() -> None:
    """按月付息，每两个月还本."""
    schedule = loan(RepaymentMethod.EQUAL_PRINCIPAL, principal_every=2)
    assert principal_months(schedule) == [2, 4, 6, 8, 10, 12]
    assert {row.principal for row in schedule.installments if row.principal} == {Decimal(20000)}
    assert all(row.interest for row in schedule.installments)


def test_monthly_interest_principal_every_three_months() -> None:
    """按月付息，每三个月还本."""
    schedule = loan(RepaymentMethod.EQUAL_PRINCIPAL, principal_every=3)
    assert principal_months(schedule) == [3, 6, 9, 12]
    assert schedule.installments[3].interest == Decimal("900.00")


def test_three_months_interest_only_then_equal_installments() -> None:
    """前三个月付息，以后等额本息: PMT(1%, 9 months, 120000) = 14008.84."""
    schedule = loan(RepaymentMethod.EQUAL_INSTALLMENTS, grace_principal=3)
    assert principal_months(schedule) == list(range(4, 13))
    assert [row.total for row in schedule.installments][:3] == [Decimal("1200.00")] * 3
    assert {row.total for row in schedule.installments[3:-1]} == {Decimal("14008.84")}


def test_three_months_interest_only_then_principal_every_two_months() -> None:
    """前三个月付息，以后按月付息每两个月还本."""
    schedule = loan(
        RepaymentMethod.EQUAL_PRINCIPAL, months=13, grace_principal=3, principal_every=2
    )
    assert principal_months(schedule) == [5, 7, 9, 11, 13]
    assert {row.principal for row in schedule.installments if row.principal} == {Decimal(24000)}


def test_monthly_interest_principal_every_six_months() -> None:
    """按月付息，每六个月还本."""
    schedule = loan(RepaymentMethod.EQUAL_PRINCIPAL, months=24, principal_every=6)
    assert principal_months(schedule) == [6, 12, 18, 24]
    assert schedule.installments[6].interest == Decimal("900.00")


def test_the_last_period_always_repays_what_is_left() -> None:
    schedule = loan(
        RepaymentMethod.EQUAL_PRINCIPAL, months=12, grace_principal=3, principal_every=2
    )
    assert principal_months(schedule) == [5, 7, 9, 11, 12]
    assert schedule.installments[-1].balance == ZERO


@pytest.mark.parametrize("plan", PLANS, ids=lambda plan: plan.plan_id)
def test_a_plan_fits_exactly_the_terms_its_options_allow(plan: RepaymentPlan) -> None:
    """The calculator offers a plan only from ``min_months`` on: shorter terms are refused."""
    for months in range(1, 13):
        try:
            plan.terms(PRINCIPAL, Decimal(12), months, START)
        except ScheduleError as refused:
            assert refused.code is ScheduleErrorCode.OPTION_OUT_OF_RANGE
            assert months < plan.min_months
        else:
            assert months >= plan.min_months
