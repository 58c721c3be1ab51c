"""The engine's rules where the published cases are silent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.domain.schedule import InterestPeriod, LoanTerms, RepaymentMethod, build_schedule

START = date(2026, 1, 15)


def test_daily_interest_installment_is_pmt_at_thirty_days_a_month() -> None:
    terms = LoanTerms(
        Decimal(5000),
        Decimal(12),
        18,
        RepaymentMethod.EQUAL_INSTALLMENTS,
        date(2022, 11, 1),
        interest_period=InterestPeriod.DAILY,
    )
    rate = Decimal(12) / 365 / 100 * 30
    pmt = (Decimal(5000) * rate / (1 - (1 + rate) ** -18)).quantize(Decimal("0.01"))
    rows = build_schedule(terms).installments
    assert pmt == Decimal("304.53")
    assert {row.total for row in rows[:-1]} == {pmt}


def test_deferred_interest_is_billed_with_the_last_installment_when_the_loan_ends_early() -> None:
    # The installment rounded up to 300 repays the loan in four months, inside the deferral.
    terms = LoanTerms(
        Decimal(1000),
        Decimal(12),
        6,
        RepaymentMethod.EQUAL_INSTALLMENTS,
        START,
        installment_multiple=300,
        grace_interest_payment=5,
    )
    rows = build_schedule(terms).installments
    assert [row.principal for row in rows] == [
        Decimal("290.00"),
        Decimal("292.90"),
        Decimal("295.83"),
        Decimal("121.27"),
    ]
    assert [row.interest for row in rows] == [Decimal("0.00")] * 3 + [Decimal("22.48")]


def test_interest_free_periods_put_the_whole_installment_on_principal() -> None:
    terms = LoanTerms(
        Decimal(5000),
        Decimal(12),
        18,
        RepaymentMethod.EQUAL_INSTALLMENTS,
        date(2022, 11, 1),
        installment_multiple=1,
        grace_interest_free=3,
    )
    rows = build_schedule(terms).installments
    assert [(row.principal, row.interest) for row in rows[:4]] == [
        (Decimal("305.00"), Decimal("0.00")),
        (Decimal("305.00"), Decimal("0.00")),
        (Decimal("305.00"), Decimal("0.00")),
        (Decimal("264.15"), Decimal("40.85")),
    ]


def test_amount_multiple_rounds_every_amount_to_the_nearest_multiple() -> None:
    terms = LoanTerms(
        Decimal(100000),
        Decimal(12),
        12,
        RepaymentMethod.EQUAL_PRINCIPAL,
        START,
        currency_digits=0,
        amount_multiple=100,
    )
    rows = build_schedule(terms).installments
    assert {row.principal for row in rows[:-1]} == {Decimal(8300)}
    assert rows[-1].principal == Decimal(8700)
    # 1000, 917, 834, 751, 668, ... to the nearest hundred
    assert [row.interest for row in rows][:5] == [
        Decimal(1000),
        Decimal(900),
        Decimal(800),
        Decimal(800),
        Decimal(700),
    ]
    assert all(row.total % 100 == 0 for row in rows)
    assert str(rows[0].interest) == "1000"


def test_an_installment_rounded_up_can_repay_the_loan_early() -> None:
    terms = LoanTerms(
        Decimal(1000),
        Decimal(12),
        6,
        RepaymentMethod.EQUAL_INSTALLMENTS,
        START,
        installment_multiple=300,
    )
    rows = build_schedule(terms).installments
    assert len(rows) == 4
    assert rows[-1].balance == Decimal("0.00")


def test_flat_interest_follows_the_actual_days_with_daily_interest() -> None:
    terms = LoanTerms(
        Decimal(36500),
        Decimal(10),
        3,
        RepaymentMethod.FLAT,
        date(2026, 1, 31),
        interest_period=InterestPeriod.DAILY,
    )
    # 10.00 a day for 28 + 31 + 30 days, spread evenly.
    rows = build_schedule(terms).installments
    assert sum(row.interest for row in rows) == Decimal("890.00")
    assert [row.interest for row in rows] == [Decimal("296.67")] * 2 + [Decimal("296.66")]


def test_a_half_multiple_rounds_up_like_fineract_currency_multiples() -> None:
    terms = LoanTerms(
        Decimal(5000),
        Decimal(12),
        1,
        RepaymentMethod.INTEREST_ONLY,
        START,
        currency_digits=0,
        amount_multiple=100,
    )
    # 5000 x 1% = 50, halfway between 0 and 100.
    assert build_schedule(terms).installments[0].interest == Decimal(100)
