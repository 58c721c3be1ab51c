"""The worksheet's figures and cross-checks: sums that add up, ratios that mean what they say,
an affordable amount whose real schedule fits the capacity, and mismatches flagged with both
figures."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.affordability import repayment_budget
from bot.domain.cross_checks import CheckCode, Declared, apart, cross_check, declared_in
from bot.domain.forms.definition import Invalid
from bot.domain.loan_terms import LoanTerms, RepaymentMethod
from bot.domain.schedule import build_schedule
from bot.domain.worksheet import (
    BalanceSheet,
    Costs,
    Debt,
    Household,
    ProductLine,
    Proposal,
    Sales,
    Seasonality,
    Worksheet,
    figures,
    gross_margin,
    read_worksheet,
)
from bot.domain.worksheet_form import answers_of, product_lines, to_worksheet

money = st.decimals(min_value=0, max_value=200_000, places=2, allow_nan=False)
small = st.decimals(min_value=0, max_value=5_000, places=2, allow_nan=False)
shares = st.decimals(min_value=Decimal("0.01"), max_value=1, places=2)
margins = st.decimals(min_value=0, max_value=Decimal("0.9"), places=2)


@st.composite
def sales(draw: st.DrawFn) -> Sales:
    days = draw(st.integers(1, 31))
    good = draw(st.integers(0, days))
    bad = draw(st.integers(0, days - good))
    return Sales(
        good_day=draw(small),
        ordinary_day=draw(small),
        bad_day=draw(small),
        days_worked=days,
        good_days=good,
        bad_days=bad,
        seasonality=draw(st.sampled_from(Seasonality)),
    )


lines = st.lists(
    st.builds(ProductLine, name=st.just("蔬菜"), share=shares, margin=margins),
    min_size=1,
    max_size=4,
).map(tuple)
worksheets = st.builds(
    Worksheet,
    sales=sales(),
    product_lines=lines,
    costs=st.builds(Costs, rent=small, wages=small, utilities=small, transport=small,
                    taxes=small, other=small),
    household=st.builds(Household, spending=small, other_income=small),
    balance=st.builds(
        BalanceSheet, cash_and_bank=money, receivables=money, stock=money, equipment=money,
        other_business_assets=money, household_assets=money, payables=money,
        loans=st.builds(Debt, balance=money, monthly_payment=small), other_liabilities=money,
    ),
)  # fmt: skip


def shop(**changes: object) -> Worksheet:
    """A vegetable stall: 1,500 an ordinary day, 26 days, 25% margin."""
    base = Worksheet(
        sales=Sales(good_day=Decimal(2000), ordinary_day=Decimal(1500), bad_day=Decimal(800),
                    days_worked=26, good_days=4, bad_days=4, seasonality=Seasonality.STEADY),
        product_lines=(ProductLine(name="蔬菜", share=Decimal("0.6"), margin=Decimal("0.2")),
                       ProductLine(name="水果", share=Decimal("0.4"), margin=Decimal("0.3"))),
        costs=Costs(rent=Decimal(2000), wages=Decimal(0), utilities=Decimal(300),
                    transport=Decimal(200), taxes=Decimal(100), other=Decimal(0)),
        household=Household(spending=Decimal(3000), other_income=Decimal(1000)),
        balance=BalanceSheet(cash_and_bank=Decimal(8000), receivables=Decimal(2000),
                             stock=Decimal(30000), equipment=Decimal(20000),
                             other_business_assets=Decimal(0), household_assets=Decimal(100000),
                             payables=Decimal(5000),
                             loans=Debt(balance=Decimal(10000), monthly_payment=Decimal(1000)),
                             other_liabilities=Decimal(0)),
    )  # fmt: skip
    return base.model_copy(update=changes)


def proposal(amount: str = "50000", months: int = 12) -> Proposal:
    terms = LoanTerms(
        principal=Decimal(amount), annual_rate=Decimal("12"), months=months,
        method=RepaymentMethod.EQUAL_INSTALLMENTS, start=date(2026, 11, 23),
    )  # fmt: skip
    return Proposal(terms)


def test_the_stall_in_numbers() -> None:
    result = figures(shop(), proposal())

    assert result.monthly_sales == Decimal(2000 * 4 + 1500 * 18 + 800 * 4)  # 38,200
    assert result.gross_margin == Decimal("0.24")
    assert result.net_business_income == Decimal("38200") * Decimal("0.24") - 2600
    assert result.household_disposable_income == result.net_business_income + 1000 - 3000 - 1000
    assert result.equity == Decimal(160000 - 15000)
    assert result.current_ratio == Decimal(40000) / Decimal(5000)
    assert result.loan_to_equity == Decimal(50000) / Decimal(145000)
    assert result.installment_capacity == Decimal("2497.60")  # 70% of 3,568
    assert result.proposed_installment == Decimal("4442.44") and not result.proposal_fits
    assert result.affordable_amount == Decimal(28100)


def test_peak_season_lowers_the_month() -> None:
    peak = shop(sales=shop().sales.model_copy(update={"seasonality": Seasonality.PEAK_NOW}))
    assert figures(peak).monthly_sales == Decimal("0.8") * figures(shop()).monthly_sales


def test_no_equity_leaves_the_ratios_undefined() -> None:
    broke = shop(balance=shop().balance.model_copy(update={"payables": Decimal(10**6)}))
    result = figures(broke, proposal())
    assert result.equity < 0
    assert result.debt_to_equity is None and result.loan_to_equity is None


@settings(max_examples=60, deadline=None)
@given(worksheets, st.decimals(min_value=Decimal("0.1"), max_value=1, places=2))
def test_figures_add_up(worksheet: Worksheet, share: Decimal) -> None:
    result = figures(worksheet, share=share)
    balance = worksheet.balance
    assert result.equity == result.total_assets - result.total_liabilities
    assert result.net_business_income == result.gross_profit - worksheet.costs.total
    assert result.installment_capacity == repayment_budget(result.household_disposable_income,
                                                           share)  # fmt: skip
    assert 0 <= result.installment_capacity <= max(result.household_disposable_income, 0)
    if result.equity > 0:
        assert result.debt_to_equity == balance.total_liabilities / result.equity
    margins_seen = [line.margin for line in worksheet.product_lines]
    assert min(margins_seen) <= gross_margin(worksheet.product_lines) <= max(margins_seen)


@settings(max_examples=25, deadline=None)
@given(worksheets, st.integers(3, 24))
def test_the_affordable_amount_fits_the_capacity(worksheet: Worksheet, months: int) -> None:
    result = figures(worksheet, proposal("30000", months))
    if result.affordable_amount is None:
        assert result.installment_capacity < build_schedule(proposal("100", months).terms)\
            .largest_payment  # fmt: skip
        return
    terms = proposal(str(result.affordable_amount), months).terms
    assert build_schedule(terms).largest_payment <= result.installment_capacity


@given(money, money, st.decimals(min_value=Decimal("0.05"), max_value=1, places=2))
def test_apart_is_symmetric_and_scale_free(first: Decimal, second: Decimal, tol: Decimal) -> None:
    assert apart(first, second, tol) == apart(second, first, tol)
    assert apart(first, second, tol) == apart(first * 10, second * 10, tol)
    assert not apart(first, first, tol)


def test_thirty_percent_apart_is_flagged_with_both_figures() -> None:
    result = figures(shop())
    declared = Declared(monthly_sales=result.monthly_sales / Decimal("0.7"), daily_sales=1500,
                        monthly_costs=Decimal(2700), assets=("home", "stock"))  # fmt: skip
    checks = cross_check(shop(), result, declared)

    flagged = {check.code: check for check in checks.flagged}
    assert set(flagged) == {CheckCode.SALES}  # the days route is 28.5% apart
    assert flagged[CheckCode.SALES].seen == result.monthly_sales
    assert flagged[CheckCode.SALES].declared == declared.monthly_sales
    assert not checks.missing_assets


def test_stock_declared_but_none_seen() -> None:
    empty = shop(balance=shop().balance.model_copy(update={"stock": Decimal(0)}))
    checks = cross_check(empty, figures(empty), Declared(assets=("stock", "vehicle")))
    assert checks.missing_assets == ("stock",) and not checks.clean


@given(worksheets, money, st.decimals(min_value=Decimal("0.05"), max_value=1, places=2))
def test_a_check_is_flagged_exactly_when_apart(
    worksheet: Worksheet, said: Decimal, tolerance: Decimal
) -> None:
    result = figures(worksheet)
    checks = cross_check(worksheet, result, Declared(monthly_sales=said), tolerance)
    sales_check = next(check for check in checks.checks if check.code is CheckCode.SALES)
    assert sales_check.flagged == apart(said, result.monthly_sales, tolerance)
    assert sales_check.flagged == (
        abs(said - result.monthly_sales) >= tolerance * max(said, result.monthly_sales) > 0
    )


@settings(max_examples=40, deadline=None)
@given(worksheets)
def test_a_saved_body_reads_back_and_refills_the_form(worksheet: Worksheet) -> None:
    body = worksheet.model_dump(mode="json")
    assert read_worksheet(body) == worksheet
    assert to_worksheet(answers_of(worksheet)) == worksheet


def test_the_committee_reads_what_the_merchant_declared_from_the_lead() -> None:
    details = {"monthly_sales": "55000", "daily_sales": 1500, "assets": ["stock"], "x": "NaN"}
    declared = declared_in({**details, "monthly_costs": "lots"})
    assert declared == Declared(
        daily_sales=Decimal(1500), monthly_sales=Decimal(55000), assets=("stock",)
    )


def test_product_lines_are_typed_one_a_line() -> None:
    lines = product_lines("蔬菜 60% 20%\n水果 40 30", None)
    assert [(line.name, line.share, line.margin) for line in lines] == [
        ("蔬菜", Decimal("0.6"), Decimal("0.2")),
        ("水果", Decimal("0.4"), Decimal("0.3")),
    ]
    for wrong in ("蔬菜", "蔬菜 160% 20%", "蔬菜 60% 120%", ""):
        with pytest.raises(Invalid):
            product_lines(wrong, None)
