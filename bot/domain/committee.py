"""What a committee member sees before approving on other terms: the new installment and
whether the merchant can carry it (the calculator's affordability), pure and in Decimal."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain.affordability import DEFAULT_BUDGET_SHARE, fits, max_principal, repayment_budget
from bot.domain.loan_terms import LoanTerms
from bot.domain.schedule import build_schedule


@dataclass(frozen=True)
class Affordability:
    first_payment: Decimal
    largest_payment: Decimal
    total_interest: Decimal
    apr: Decimal
    budget: Decimal | None  # the share of the net monthly cash flow for repayments
    fits: bool | None  # None: the cash flow is not known
    largest_amount: Decimal | None  # the most these term and method allow within the budget


def affordability(
    terms: LoanTerms, net_cash_flow: Decimal | None, share: Decimal = DEFAULT_BUDGET_SHARE
) -> Affordability:
    """Raises ScheduleError for terms that make no schedule."""
    schedule = build_schedule(terms)
    budget = None if net_cash_flow is None else repayment_budget(net_cash_flow, share)
    return Affordability(
        first_payment=schedule.first_payment,
        largest_payment=schedule.largest_payment,
        total_interest=schedule.total_interest,
        apr=schedule.apr,
        budget=budget,
        fits=None if budget is None else fits(schedule, budget),
        largest_amount=None if budget is None else max_principal(terms, budget, Decimal(100)),
    )
