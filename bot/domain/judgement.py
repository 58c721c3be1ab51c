"""Judging a pre-application: hard rules, IPC cross-checks (交叉检验), red flags, a score.

Pure and configurable: every threshold is in ``Rules``. The outcome is one of: qualified
(a lead), review (a lead with its flags), or not now with what would work instead. The
score and its factors are for the officer, never shown to the merchant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bot.domain.affordability import max_principal, repayment_budget, shortest_term
from bot.domain.application import ZERO, Application, phone_region
from bot.domain.loan_terms import LoanTerms, ScheduleError
from bot.domain.plans import PLANS_BY_ID
from bot.domain.schedule import build_schedule

BASE_SCORE = 500
MAX_SCORE = 1000
FLAG_PENALTY = 80
ALTERNATIVE_STEP = Decimal(100)


class Outcome(StrEnum):
    QUALIFIED = "qualified"
    REVIEW = "review"
    NOT_NOW = "not_now"


class Reason(StrEnum):
    """A hard rule the application breaks."""

    NO_CONSENT = "no_consent"
    AMOUNT_OUTSIDE_PRODUCT = "amount_outside_product"
    TERM_OUTSIDE_PRODUCT = "term_outside_product"
    TOO_NEW = "too_new"
    NO_CASH_FLOW = "no_cash_flow"
    UNAFFORDABLE = "unaffordable"


class Flag(StrEnum):
    """A cross-check that failed: an officer looks closer."""

    SALES_MISMATCH = "sales_mismatch"
    COSTS_OVER_SALES = "costs_over_sales"
    CARD_USE_HIGH = "card_use_high"
    PHONE_ELSEWHERE = "phone_elsewhere"
    LOAN_OVER_SALES = "loan_over_sales"
    DEBTS_HEAVY = "debts_heavy"


@dataclass(frozen=True)
class Rules:
    min_months_operating: int = 6
    installment_share: Decimal = Decimal("0.5")  # of the monthly net cash flow
    sales_gap: Decimal = Decimal("0.3")  # daily x working days vs last month
    working_days: int = 26
    card_use_limit: Decimal = Decimal("0.8")
    loan_to_monthly_sales: Decimal = Decimal(3)
    debt_share: Decimal = Decimal("0.5")  # of the cash flow before debts


@dataclass(frozen=True)
class Product:
    min_amount: Decimal
    max_amount: Decimal
    min_months: int
    max_months: int
    annual_rate: Decimal


@dataclass(frozen=True)
class Alternatives:
    """What would work instead: this term with a smaller amount, or this amount for longer."""

    amount_for_term: Decimal | None = None
    months_for_amount: int | None = None
    months_to_wait: int | None = None


@dataclass(frozen=True)
class Factor:
    code: str
    points: int


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    flags: tuple[Flag, ...]
    net_cash_flow: Decimal  # after household spending and other debts
    budget: Decimal  # what may go to this loan each month
    largest_installment: Decimal | None
    alternatives: Alternatives = field(default_factory=Alternatives)
    score: int = 0
    factors: tuple[Factor, ...] = ()


def monthly_sales(application: Application, rules: Rules) -> Decimal:
    """The lower of last month's sales and an ordinary day times the working days."""
    flow = application.cash_flow
    return min(flow.last_month_sales, flow.daily_sales * rules.working_days)


def cash_flow_before_debts(application: Application, rules: Rules) -> Decimal:
    flow = application.cash_flow
    return monthly_sales(application, rules) - flow.monthly_costs - flow.household_spending


def judge(application: Application, product: Product, rules: Rules, today: date) -> Judgement:
    net = cash_flow_before_debts(application, rules) - application.debts.monthly_payments
    budget = repayment_budget(net, rules.installment_share)
    installment = _largest_installment(application, product, today)
    reasons = _hard_rule_breaches(application, product, rules, net, budget, installment)
    flags = red_flags(application, rules)
    factors = _score_factors(application, rules, flags, budget, installment)
    score = min(max(BASE_SCORE + sum(f.points for f in factors), 0), MAX_SCORE)
    outcome = _outcome(reasons, flags)
    alternatives = _alternatives(application, product, rules, budget, today, reasons)
    return Judgement(
        outcome, reasons, flags, net, budget, installment, alternatives, score, tuple(factors)
    )


def _outcome(reasons: tuple[Reason, ...], flags: tuple[Flag, ...]) -> Outcome:
    if reasons:
        return Outcome.NOT_NOW
    return Outcome.REVIEW if flags else Outcome.QUALIFIED


def red_flags(application: Application, rules: Rules) -> tuple[Flag, ...]:
    flow = application.cash_flow
    debts = application.debts
    checks = {
        Flag.SALES_MISMATCH: _far_apart(
            flow.daily_sales * rules.working_days, flow.last_month_sales, rules.sales_gap
        ),
        Flag.COSTS_OVER_SALES: flow.monthly_costs >= flow.last_month_sales,
        Flag.CARD_USE_HIGH: debts.card_limit > 0
        and debts.card_used > debts.card_limit * rules.card_use_limit,
        Flag.PHONE_ELSEWHERE: phone_elsewhere(application),
        Flag.LOAN_OVER_SALES: application.loan.amount
        > monthly_sales(application, rules) * rules.loan_to_monthly_sales,
        Flag.DEBTS_HEAVY: debts.monthly_payments > 0
        and debts.monthly_payments
        > max(cash_flow_before_debts(application, rules), ZERO) * rules.debt_share,
    }
    return tuple(flag for flag, raised in checks.items() if raised)


def phone_elsewhere(application: Application) -> bool:
    """The number was issued in another city or province than the business district's."""
    region = phone_region(application.phone)
    return bool(region) and application.place.city not in region


def _far_apart(first: Decimal, second: Decimal, gap: Decimal) -> bool:
    larger = max(first, second)
    return larger > 0 and abs(first - second) > larger * gap


def _terms(application: Application, product: Product, amount: Decimal, today: date) -> LoanTerms:
    plan = PLANS_BY_ID[application.loan.plan_id]
    return plan.terms(amount, product.annual_rate, application.loan.months, today)


def _largest_installment(application: Application, product: Product, today: date) -> Decimal | None:
    try:
        terms = _terms(application, product, application.loan.amount, today)
        return build_schedule(terms).largest_payment
    except ScheduleError:
        return None


def _hard_rule_breaches(
    application: Application,
    product: Product,
    rules: Rules,
    net: Decimal,
    budget: Decimal,
    installment: Decimal | None,
) -> tuple[Reason, ...]:
    loan = application.loan
    checks = {
        Reason.NO_CONSENT: not application.consent,
        Reason.AMOUNT_OUTSIDE_PRODUCT: not product.min_amount <= loan.amount <= product.max_amount,
        Reason.TERM_OUTSIDE_PRODUCT: not product.min_months <= loan.months <= product.max_months,
        Reason.TOO_NEW: application.months_operating < rules.min_months_operating,
        Reason.NO_CASH_FLOW: net <= 0,
        Reason.UNAFFORDABLE: net > 0 and (installment is None or installment > budget),
    }
    return tuple(reason for reason, broken in checks.items() if broken)


def _alternatives(
    application: Application,
    product: Product,
    rules: Rules,
    budget: Decimal,
    today: date,
    reasons: tuple[Reason, ...],
) -> Alternatives:
    wait = (
        rules.min_months_operating - application.months_operating
        if Reason.TOO_NEW in reasons
        else None
    )
    if Reason.UNAFFORDABLE not in reasons or Reason.TERM_OUTSIDE_PRODUCT in reasons:
        return Alternatives(months_to_wait=wait)
    return Alternatives(
        amount_for_term=_amount_for_term(application, product, budget, today),
        months_for_amount=_months_for_amount(application, product, budget, today),
        months_to_wait=wait,
    )


def _amount_for_term(
    application: Application, product: Product, budget: Decimal, today: date
) -> Decimal | None:
    terms = _terms(application, product, product.min_amount, today)
    try:
        largest = max_principal(terms, budget, step=ALTERNATIVE_STEP)
    except ScheduleError:
        return None
    if largest is None or largest < product.min_amount:
        return None
    return min(largest, product.max_amount, application.loan.amount)


def _months_for_amount(
    application: Application, product: Product, budget: Decimal, today: date
) -> int | None:
    amount = application.loan.amount
    if not product.min_amount <= amount <= product.max_amount:
        return None
    terms = _terms(application, product, amount, today)
    try:
        months = shortest_term(terms, budget, product.max_months)
    except ScheduleError:
        return None
    if months is None or months <= application.loan.months:
        return None
    return max(months, product.min_months)


def _score_factors(
    application: Application,
    rules: Rules,
    flags: tuple[Flag, ...],
    budget: Decimal,
    installment: Decimal | None,
) -> list[Factor]:
    factors = [
        Factor("coverage", _coverage_points(budget, installment)),
        Factor("months_operating", min(application.months_operating, 60) * 2),
    ]
    if application.has_guarantor:
        factors.append(Factor("guarantor", 50))
    if application.owns_home:
        factors.append(Factor("owns_home", 50))
    factors.extend(Factor(f"flag:{flag.value}", -FLAG_PENALTY) for flag in flags)
    return factors


def _coverage_points(budget: Decimal, installment: Decimal | None) -> int:
    if installment is None or installment > budget:
        return -150
    if installment * 2 <= budget:
        return 150
    return 75
