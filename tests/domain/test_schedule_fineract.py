"""Published reference schedules: Apache Fineract's e2e cases and the Chinese 等额本息/本金 ones.

Fineract's cases: 5,000 EUR at 12% over 18 months disbursed 2022-11-01
(fineract-e2e-tests-runner, features/LoanRepayment.feature, scenarios RS01-RS07).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.domain.schedule import (
    InterestPeriod,
    LoanTerms,
    RepaymentMethod,
    Rounding,
    Schedule,
    build_schedule,
)

FINERACT_START = date(2022, 11, 1)


def fineract_loan(method: RepaymentMethod, **options: Any) -> Schedule:
    return build_schedule(
        LoanTerms(Decimal(5000), Decimal(12), 18, method, FINERACT_START, **options)
    )


def rows(schedule: Schedule) -> list[tuple[str, str]]:
    return [(str(row.principal), str(row.interest)) for row in schedule.installments]


def test_equal_installments_rs02() -> None:
    schedule = fineract_loan(RepaymentMethod.EQUAL_INSTALLMENTS, installment_multiple=1)
    assert rows(schedule)[:3] == [("255.00", "50.00"), ("257.55", "47.45"), ("260.13", "44.87")]
    assert rows(schedule)[-1] == ("300.22", "3.00")
    assert {row.total for row in schedule.installments[:-1]} == {Decimal("305.00")}
    assert schedule.installments[-1].total == Decimal("303.22")
    assert schedule.total_interest == Decimal("488.22")
    assert [row.balance for row in schedule.installments][15:] == [
        Decimal("599.23"),
        Decimal("300.22"),
        Decimal("0.00"),
    ]


def test_equal_principal_rs04() -> None:
    schedule = fineract_loan(RepaymentMethod.EQUAL_PRINCIPAL)
    principals = [row.principal for row in schedule.installments]
    assert principals == [Decimal("277.78")] * 17 + [Decimal("277.74")]
    interests = [row.interest for row in schedule.installments]
    assert interests[:4] == [Decimal("50.00"), Decimal("47.22"), Decimal("44.44"), Decimal("41.67")]
    assert interests[-1] == Decimal("2.78")
    assert schedule.total_interest == Decimal("475.00")


def test_equal_installments_with_three_interest_only_periods_rs05() -> None:
    schedule = fineract_loan(
        RepaymentMethod.EQUAL_INSTALLMENTS, installment_multiple=1, grace_principal=3
    )
    assert rows(schedule)[:4] == [("0.00", "50.00")] * 3 + [("311.00", "50.00")]
    assert rows(schedule)[-1] == ("351.36", "3.51")
    assert schedule.total_interest == Decimal("558.87")


def test_daily_interest_rs03() -> None:
    schedule = fineract_loan(
        RepaymentMethod.EQUAL_INSTALLMENTS,
        installment_multiple=1,
        interest_period=InterestPeriod.DAILY,
    )
    assert rows(schedule)[:4] == [
        ("255.68", "49.32"),
        ("256.65", "48.35"),
        ("259.26", "45.74"),
        ("266.08", "38.92"),
    ]
    assert rows(schedule)[-1] == ("299.38", "2.95")
    assert schedule.total_interest == Decimal("487.33")


def test_six_months_principal_grace_rs06() -> None:
    schedule = fineract_loan(
        RepaymentMethod.EQUAL_INSTALLMENTS, installment_multiple=1, grace_principal=6
    )
    assert rows(schedule)[:7] == [("0.00", "50.00")] * 6 + [("394.00", "50.00")]
    assert rows(schedule)[-1] == ("442.66", "4.43")
    assert schedule.total_interest == Decimal("631.09")


def test_interest_payment_grace_bills_the_deferred_interest_after_it_rs07() -> None:
    # The e2e step sets graceOnInterestPayment from the "interest free period" column.
    schedule = fineract_loan(
        RepaymentMethod.EQUAL_INSTALLMENTS,
        installment_multiple=1,
        grace_principal=6,
        grace_interest_payment=3,
    )
    interests = [row.interest for row in schedule.installments]
    assert interests[:7] == [Decimal("0.00")] * 3 + [Decimal("200.00")] + [Decimal("50.00")] * 3
    assert schedule.installments[6].total == Decimal("444.00")
    assert rows(schedule)[-1] == ("442.66", "4.43")
    assert schedule.total_interest == Decimal("631.09")


def test_flat_interest_rs01() -> None:
    schedule = fineract_loan(RepaymentMethod.FLAT, installment_multiple=1)
    assert rows(schedule) == [("278.00", "50.00")] * 17 + [("274.00", "50.00")]
    assert schedule.total_interest == Decimal("900.00")


def test_flat_interest_three_months() -> None:
    terms = LoanTerms(
        Decimal(1000),
        Decimal(12),
        3,
        RepaymentMethod.FLAT,
        date(2023, 1, 1),
        installment_multiple=1,
    )
    schedule = build_schedule(terms)
    assert rows(schedule) == [("333.00", "10.00"), ("333.00", "10.00"), ("334.00", "10.00")]
    assert [row.due_date for row in schedule.installments] == [
        date(2023, 2, 1),
        date(2023, 3, 1),
        date(2023, 4, 1),
    ]


def test_issue_json_example_first_row_and_apr() -> None:
    terms = LoanTerms(
        Decimal(100000), Decimal(12), 12, RepaymentMethod.EQUAL_INSTALLMENTS, date(2026, 1, 15)
    )
    schedule = build_schedule(terms)
    first = schedule.installments[0]
    assert first.due_date == date(2026, 2, 15)
    assert (first.principal, first.interest, first.total, first.balance) == (
        Decimal("7884.88"),
        Decimal("1000.00"),
        Decimal("8884.88"),
        Decimal("92115.12"),
    )
    assert schedule.apr == Decimal("12.68")


def test_chinese_equal_installments_in_fen() -> None:
    """100万, 4.9% a year, 30 years: 月供 5307.27, first month 利息 4083.33 本金 1223.94."""
    terms = LoanTerms(
        Decimal(1_000_000),
        Decimal("4.9"),
        360,
        RepaymentMethod.EQUAL_INSTALLMENTS,
        date(2024, 1, 10),
    )
    schedule = build_schedule(terms)
    first = schedule.installments[0]
    assert (first.total, first.interest, first.principal) == (
        Decimal("5307.27"),
        Decimal("4083.33"),
        Decimal("1223.94"),
    )
    assert {row.total for row in schedule.installments[:-1]} == {Decimal("5307.27")}


def test_chinese_equal_principal_in_fen() -> None:
    """100万, 4.9% a year, 30 years: first 6861.11 (本金 2777.78 + 利息 4083.33), then 6849.77."""
    terms = LoanTerms(
        Decimal(1_000_000), Decimal("4.9"), 360, RepaymentMethod.EQUAL_PRINCIPAL, date(2024, 1, 10)
    )
    payments = [row.total for row in build_schedule(terms).installments]
    assert payments[:2] == [Decimal("6861.11"), Decimal("6849.77")]


@pytest.mark.parametrize(
    ("rounding", "expected_interest"),
    [(Rounding.HALF_EVEN, "0.00"), (Rounding.HALF_UP, "0.01")],
)
def test_rounding_mode_decides_half_a_fen(rounding: Rounding, expected_interest: str) -> None:
    # 0.50 at 12% (1% a month) accrues exactly 0.005 of interest.
    terms = LoanTerms(
        Decimal("0.50"),
        Decimal(12),
        1,
        RepaymentMethod.INTEREST_ONLY,
        date(2026, 1, 1),
        rounding=rounding,
    )
    assert build_schedule(terms).installments[0].interest == Decimal(expected_interest)
