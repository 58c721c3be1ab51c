"""The officer's worksheet: the merchant's accounts rebuilt from what the officer saw (IPC
micro-lending), and what follows from them (pure: Decimal, no I/O).

Monthly sales come from the days: good, ordinary and bad days at their sales over the days
worked in a month, lowered when the visit falls in the peak season. The gross margin is the
sales-weighted margin of the main product lines. Everything else is sums and ratios; the
largest affordable installment and amount reuse the calculator's affordability.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.domain.affordability import max_principal, repayment_budget
from bot.domain.loan_terms import LoanTerms, ScheduleError
from bot.domain.schedule import build_schedule

DEFAULT_INSTALLMENT_SHARE = Decimal("0.7")  # of the household's disposable income
AMOUNT_STEP = Decimal(100)
MAX_DAYS = 31
Money = Decimal


class Seasonality(StrEnum):
    STEADY = "steady"  # about the same all year
    PEAK_NOW = "peak_now"  # the visit is in the peak season: a year's month is lower
    LOW_NOW = "low_now"  # the visit is in the low season: the figure is already prudent


SEASON_FACTORS = {
    Seasonality.STEADY: Decimal(1),
    Seasonality.PEAK_NOW: Decimal("0.8"),
    Seasonality.LOW_NOW: Decimal(1),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProductLine(_Frozen):
    """One main product line: its share of the sales and its gross margin, both 0..1."""

    name: str = Field(min_length=1, max_length=40)
    share: Decimal = Field(gt=0, le=1)
    margin: Decimal = Field(ge=0, lt=1)


class Debt(_Frozen):
    """The merchant's loans: what is still owed and what they pay on them a month."""

    balance: Money = Field(ge=0)
    monthly_payment: Money = Field(ge=0)


class Sales(_Frozen):
    good_day: Money = Field(ge=0)
    ordinary_day: Money = Field(ge=0)
    bad_day: Money = Field(ge=0)
    days_worked: int = Field(ge=1, le=MAX_DAYS)
    good_days: int = Field(ge=0, le=MAX_DAYS)
    bad_days: int = Field(ge=0, le=MAX_DAYS)
    seasonality: Seasonality

    @model_validator(mode="after")
    def _days_add_up(self) -> Sales:
        if self.good_days + self.bad_days > self.days_worked:
            raise ValueError("good and bad days are more than the days worked")
        return self

    @property
    def ordinary_days(self) -> int:
        return self.days_worked - self.good_days - self.bad_days


class Costs(_Frozen):
    rent: Money = Field(ge=0)
    wages: Money = Field(ge=0)
    utilities: Money = Field(ge=0)
    transport: Money = Field(ge=0)
    taxes: Money = Field(ge=0)
    other: Money = Field(ge=0)

    @property
    def total(self) -> Money:
        return self.rent + self.wages + self.utilities + self.transport + self.taxes + self.other


class Household(_Frozen):
    spending: Money = Field(ge=0)
    other_income: Money = Field(ge=0)


class BalanceSheet(_Frozen):
    cash_and_bank: Money = Field(ge=0)
    receivables: Money = Field(ge=0)
    stock: Money = Field(ge=0)  # at cost
    equipment: Money = Field(ge=0)  # and vehicles
    other_business_assets: Money = Field(ge=0)
    household_assets: Money = Field(ge=0)
    payables: Money = Field(ge=0)
    loans: Debt
    other_liabilities: Money = Field(ge=0)

    @property
    def current_assets(self) -> Money:
        return self.cash_and_bank + self.receivables + self.stock

    @property
    def total_assets(self) -> Money:
        fixed = self.equipment + self.other_business_assets + self.household_assets
        return self.current_assets + fixed

    @property
    def current_liabilities(self) -> Money:
        return self.payables + self.other_liabilities

    @property
    def total_liabilities(self) -> Money:
        return self.current_liabilities + self.loans.balance


class Worksheet(_Frozen):
    """A complete worksheet: the body the bank keeps as one version."""

    sales: Sales
    product_lines: tuple[ProductLine, ...] = Field(min_length=1, max_length=8)
    costs: Costs
    household: Household
    balance: BalanceSheet


def read_worksheet(body: dict[str, Any]) -> Worksheet | None:
    """A saved version's body (the bank's JSON) as a worksheet; None when it does not read."""
    try:
        return Worksheet.model_validate(body)
    except ValidationError:
        return None


@dataclass(frozen=True)
class Proposal:
    """The loan the lead asks for, as schedulable terms (the product's rate, the method)."""

    terms: LoanTerms

    @property
    def amount(self) -> Money:
        return self.terms.principal


@dataclass(frozen=True)
class Figures:
    monthly_sales: Money
    gross_margin: Decimal  # 0..1
    gross_profit: Money
    operating_costs: Money
    net_business_income: Money
    household_disposable_income: Money
    installment_capacity: Money
    total_assets: Money
    total_liabilities: Money
    equity: Money
    debt_to_equity: Decimal | None  # None: no equity to divide by
    current_ratio: Decimal | None  # None: no current liabilities
    loan_to_equity: Decimal | None
    proposed_installment: Money | None  # the proposal's largest installment
    affordable_amount: Money | None  # the largest amount for the proposed term and method

    @property
    def proposal_fits(self) -> bool:
        return (
            self.proposed_installment is not None
            and self.proposed_installment <= self.installment_capacity
        )


def monthly_sales(sales: Sales) -> Money:
    by_days = (
        sales.good_day * sales.good_days
        + sales.ordinary_day * sales.ordinary_days
        + sales.bad_day * sales.bad_days
    )
    return by_days * SEASON_FACTORS[sales.seasonality]


def gross_margin(lines: tuple[ProductLine, ...]) -> Decimal:
    """The margin of the lines weighted by their shares (which need not add up to 1)."""
    shares = sum((line.share for line in lines), Decimal(0))
    return sum((line.share * line.margin for line in lines), Decimal(0)) / shares


def figures(
    worksheet: Worksheet,
    proposal: Proposal | None = None,
    share: Decimal = DEFAULT_INSTALLMENT_SHARE,
) -> Figures:
    """Everything the committee reads off a worksheet; the loan terms only when known."""
    sales = monthly_sales(worksheet.sales)
    margin = gross_margin(worksheet.product_lines)
    profit = sales * margin
    costs = worksheet.costs.total
    net = profit - costs
    balance = worksheet.balance
    household = worksheet.household
    disposable = net + household.other_income - household.spending - balance.loans.monthly_payment
    capacity = repayment_budget(disposable, share)
    equity = balance.total_assets - balance.total_liabilities
    installment, amount = _affordability(proposal, capacity)
    return Figures(
        monthly_sales=sales,
        gross_margin=margin,
        gross_profit=profit,
        operating_costs=costs,
        net_business_income=net,
        household_disposable_income=disposable,
        installment_capacity=capacity,
        total_assets=balance.total_assets,
        total_liabilities=balance.total_liabilities,
        equity=equity,
        debt_to_equity=_ratio(balance.total_liabilities, equity),
        current_ratio=_ratio(balance.current_assets, balance.current_liabilities),
        loan_to_equity=_ratio(proposal.amount, equity) if proposal else None,
        proposed_installment=installment,
        affordable_amount=amount,
    )


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return numerator / denominator if denominator > 0 else None


def _affordability(proposal: Proposal | None, capacity: Money) -> tuple[Money | None, Money | None]:
    if proposal is None:
        return None, None
    try:
        installment = build_schedule(proposal.terms).largest_payment
        step = AMOUNT_STEP.min(proposal.terms.principal)
        largest = max_principal(proposal.terms, capacity, step=step)
    except ScheduleError:
        return None, None
    return installment, largest
