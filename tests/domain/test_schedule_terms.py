"""Terms are refused with a typed error whose code and params a caller can localize."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bot.domain.schedule import (
    LoanTerms,
    RepaymentMethod,
    ScheduleError,
    ScheduleErrorCode,
    build_schedule,
)

START = date(2026, 1, 15)


def terms(**changes: Any) -> LoanTerms:
    values: dict[str, Any] = {
        "principal": Decimal(10000),
        "annual_rate": Decimal(12),
        "months": 12,
        "method": RepaymentMethod.EQUAL_INSTALLMENTS,
        "start": START,
    }
    values.update(changes)
    return LoanTerms(**values)


@pytest.mark.parametrize(
    ("changes", "code", "params"),
    [
        ({"principal": Decimal(0)}, ScheduleErrorCode.PRINCIPAL_NOT_POSITIVE, {}),
        ({"principal": Decimal("-1")}, ScheduleErrorCode.PRINCIPAL_NOT_POSITIVE, {}),
        ({"principal": Decimal("NaN")}, ScheduleErrorCode.PRINCIPAL_NOT_POSITIVE, {}),
        ({"principal": Decimal("1e13")}, ScheduleErrorCode.PRINCIPAL_TOO_LARGE, {}),
        ({"principal": Decimal("100.001")}, ScheduleErrorCode.PRINCIPAL_PRECISION, {"digits": 2}),
        (
            {"principal": Decimal("100.5"), "currency_digits": 0},
            ScheduleErrorCode.PRINCIPAL_PRECISION,
            {"digits": 0},
        ),
        (
            {"principal": Decimal(150), "amount_multiple": 100},
            ScheduleErrorCode.PRINCIPAL_NOT_MULTIPLE,
            {"multiple": 100},
        ),
        ({"annual_rate": Decimal(-1)}, ScheduleErrorCode.RATE_OUT_OF_RANGE, {}),
        ({"annual_rate": Decimal(101)}, ScheduleErrorCode.RATE_OUT_OF_RANGE, {}),
        ({"months": 0}, ScheduleErrorCode.MONTHS_OUT_OF_RANGE, {"months": 0}),
        ({"months": 361}, ScheduleErrorCode.MONTHS_OUT_OF_RANGE, {"maximum": 360}),
        ({"currency_digits": 5}, ScheduleErrorCode.CURRENCY_DIGITS_INVALID, {"digits": 5}),
        (
            {"installment_multiple": 0},
            ScheduleErrorCode.MULTIPLE_NOT_POSITIVE,
            {"option": "installment_multiple"},
        ),
        ({"days_in_year": 364}, ScheduleErrorCode.DAYS_IN_YEAR_INVALID, {"value": 364}),
        (
            {"grace_principal": 12},
            ScheduleErrorCode.OPTION_OUT_OF_RANGE,
            {"option": "grace_principal", "maximum": 11},
        ),
        (
            {"grace_interest_free": -1},
            ScheduleErrorCode.OPTION_OUT_OF_RANGE,
            {"option": "grace_interest_free", "minimum": 0},
        ),
        (
            {"grace_principal": 3, "principal_every": 10},
            ScheduleErrorCode.OPTION_OUT_OF_RANGE,
            {"option": "principal_every", "maximum": 9},
        ),
        (
            {"principal_every": 0},
            ScheduleErrorCode.OPTION_OUT_OF_RANGE,
            {"option": "principal_every", "minimum": 1},
        ),
        (
            {"first_due": START},
            ScheduleErrorCode.FIRST_DUE_OUT_OF_RANGE,
            {"earliest": date(2026, 1, 16), "latest": date(2026, 3, 15)},
        ),
        (
            {"first_due": date(2026, 3, 16)},
            ScheduleErrorCode.FIRST_DUE_OUT_OF_RANGE,
            {"first_due": date(2026, 3, 16)},
        ),
        (
            {"method": RepaymentMethod.BULLET, "grace_principal": 1},
            ScheduleErrorCode.OPTION_NOT_SUPPORTED,
            {"option": "grace_principal", "method": "bullet"},
        ),
        (
            {"manual_principal": (Decimal(10000),)},
            ScheduleErrorCode.OPTION_NOT_SUPPORTED,
            {"option": "manual_principal", "method": "equal_installments"},
        ),
    ],
)
def test_invalid_terms_are_refused_with_a_code(
    changes: dict[str, Any], code: ScheduleErrorCode, params: dict[str, object]
) -> None:
    with pytest.raises(ScheduleError) as refused:
        terms(**changes)
    assert refused.value.code is code
    assert params.items() <= refused.value.params.items()


MANUAL = RepaymentMethod.MANUAL


@pytest.mark.parametrize(
    ("parts", "code", "params"),
    [
        ((), ScheduleErrorCode.MANUAL_PRINCIPAL_COUNT, {"expected": 3, "given": 0}),
        (("5000", "5000"), ScheduleErrorCode.MANUAL_PRINCIPAL_COUNT, {"given": 2}),
        (("5000", "-1", "5001"), ScheduleErrorCode.MANUAL_PRINCIPAL_INVALID, {"number": 2}),
        (("5000", "4999.999", "0.001"), ScheduleErrorCode.MANUAL_PRINCIPAL_INVALID, {"number": 2}),
        (("NaN", "5000", "5000"), ScheduleErrorCode.MANUAL_PRINCIPAL_INVALID, {"number": 1}),
        (
            ("5000", "5000", "1"),
            ScheduleErrorCode.MANUAL_PRINCIPAL_SUM,
            {"expected": Decimal(10000), "given": Decimal("10001")},
        ),
        (("5000", "5000", "0"), ScheduleErrorCode.MANUAL_PRINCIPAL_ENDS_EARLY, {"months": 3}),
    ],
)
def test_manual_principal_must_cover_the_loan_exactly(
    parts: tuple[str, ...], code: ScheduleErrorCode, params: dict[str, object]
) -> None:
    amounts = tuple(Decimal(part) for part in parts)
    with pytest.raises(ScheduleError) as refused:
        terms(method=MANUAL, months=3, manual_principal=amounts)
    assert refused.value.code is code
    assert params.items() <= refused.value.params.items()


@pytest.mark.parametrize(
    "method",
    [RepaymentMethod.EQUAL_PRINCIPAL, RepaymentMethod.INTEREST_ONLY, RepaymentMethod.BULLET],
)
def test_an_installment_multiple_is_accepted_and_ignored_where_fineract_ignores_it(
    method: RepaymentMethod,
) -> None:
    """Fineract rounds only the equal installment (and flat amounts) to the product's
    ``installmentAmountInMultiplesOf``; equal principal keeps its unrounded share."""
    with_multiple = build_schedule(terms(method=method, installment_multiple=100))
    assert with_multiple.installments == build_schedule(terms(method=method)).installments
    if method is RepaymentMethod.EQUAL_PRINCIPAL:
        assert with_multiple.installments[0].principal == Decimal("833.33")


def test_an_installment_that_cannot_cover_its_interest_is_refused() -> None:
    # 10,000 at 12% rounded to a multiple of 1,000 gives a zero installment.
    loan = terms(principal=Decimal(10000), months=36, installment_multiple=1000)
    with pytest.raises(ScheduleError) as refused:
        build_schedule(loan)
    assert refused.value.code is ScheduleErrorCode.INSTALLMENT_BELOW_INTEREST
    assert refused.value.params["number"] == 1


def test_amounts_are_normalised_to_the_currency_digits() -> None:
    loan = terms(
        principal=Decimal("10000"),
        method=MANUAL,
        months=2,
        manual_principal=(Decimal("4000"), Decimal("6000.0")),
    )
    assert str(loan.principal) == "10000.00"
    assert [str(part) for part in loan.manual_principal] == ["4000.00", "6000.00"]
    assert loan == terms(
        principal=Decimal("10000.00"),
        method=MANUAL,
        months=2,
        manual_principal=(Decimal("4000.00"), Decimal("6000.00")),
    )


def test_error_codes_are_stable_strings() -> None:
    assert ScheduleErrorCode.INSTALLMENT_BELOW_INTEREST == "installment_below_interest"
    assert [method.value for method in RepaymentMethod] == [
        "equal_installments",
        "equal_principal",
        "interest_only",
        "bullet",
        "flat",
        "manual",
    ]
