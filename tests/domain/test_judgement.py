"""The pre-application judgement: hard rules, each red flag, alternatives and the score."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.application import (
    Application,
    CashFlow,
    Debts,
    LoanRequest,
    Place,
    normalized_phone,
    phone_region,
)
from bot.domain.judgement import Flag, Outcome, Product, Reason, Rules, judge, red_flags
from bot.domain.plans import PLANS_BY_ID
from bot.domain.schedule import build_schedule

TODAY = date(2026, 11, 22)
PRODUCT = Product(Decimal(5000), Decimal(500000), 1, 24, Decimal(12))
RULES = Rules()
CHENGDU_PHONE = "+8613880000001"
JINNIU = Place("JINNIU", "成都市", "四川省")

GOOD = Application(
    consent=True,
    phone=CHENGDU_PHONE,
    place=JINNIU,
    months_operating=36,
    cash_flow=CashFlow(
        daily_sales=Decimal(3000),
        last_month_sales=Decimal(80000),
        monthly_costs=Decimal(50000),
        household_spending=Decimal(8000),
    ),
    debts=Debts(),
    loan=LoanRequest(Decimal(50000), 12, "equal_installments"),
)


def with_flow(**changes: Decimal) -> Application:
    return replace(GOOD, cash_flow=replace(GOOD.cash_flow, **changes))


def test_a_sound_application_qualifies_with_a_score_and_factors() -> None:
    judgement = judge(GOOD, PRODUCT, RULES, TODAY)
    assert judgement.outcome is Outcome.QUALIFIED
    assert judgement.flags == () and judgement.reasons == ()
    assert judgement.net_cash_flow == Decimal(20000)  # 3000 x 26 days - costs
    assert judgement.budget == Decimal(10000)
    assert judgement.largest_installment is not None
    assert judgement.largest_installment <= judgement.budget
    assert {factor.code for factor in judgement.factors} >= {"coverage", "months_operating"}
    assert 500 < judgement.score <= 1000


def test_each_red_flag_sends_the_lead_to_review() -> None:
    cases = {
        Flag.SALES_MISMATCH: with_flow(daily_sales=Decimal(1500)),
        Flag.COSTS_OVER_SALES: with_flow(
            monthly_costs=Decimal(80000), household_spending=Decimal(0)
        ),
        Flag.CARD_USE_HIGH: replace(GOOD, debts=Debts(card_limit=Decimal(100000),
                                                      card_used=Decimal(85000))),
        Flag.PHONE_ELSEWHERE: replace(GOOD, phone="+8613911112222"),
        Flag.LOAN_OVER_SALES: replace(
            GOOD, loan=LoanRequest(Decimal(250000), 24, "interest_only")
        ),
        Flag.DEBTS_HEAVY: replace(GOOD, debts=Debts(monthly_payments=Decimal(12000))),
    }  # fmt: skip
    for flag, application in cases.items():
        assert flag in red_flags(application, RULES), flag
    assert judge(cases[Flag.CARD_USE_HIGH], PRODUCT, RULES, TODAY).outcome is Outcome.REVIEW
    assert judge(cases[Flag.PHONE_ELSEWHERE], PRODUCT, RULES, TODAY).flags == (
        Flag.PHONE_ELSEWHERE,
    )


def test_too_large_a_loan_is_not_now_with_the_amount_that_fits_and_the_term_that_fits() -> None:
    application = replace(GOOD, loan=LoanRequest(Decimal(150000), 6, "equal_installments"))
    judgement = judge(application, PRODUCT, RULES, TODAY)
    assert judgement.outcome is Outcome.NOT_NOW
    assert judgement.reasons == (Reason.UNAFFORDABLE,)
    amount = judgement.alternatives.amount_for_term
    months = judgement.alternatives.months_for_amount
    assert amount is not None and months is not None
    plan = PLANS_BY_ID["equal_installments"]
    assert build_schedule(plan.terms(amount, Decimal(12), 6, TODAY)).largest_payment <= Decimal(
        10000
    )
    too_much = amount + 100
    assert build_schedule(plan.terms(too_much, Decimal(12), 6, TODAY)).largest_payment > Decimal(
        10000
    )
    longer = build_schedule(plan.terms(Decimal(150000), Decimal(12), months, TODAY))
    assert longer.largest_payment <= Decimal(10000)


def test_a_business_younger_than_the_rule_waits_the_missing_months() -> None:
    judgement = judge(replace(GOOD, months_operating=4), PRODUCT, RULES, TODAY)
    assert judgement.reasons == (Reason.TOO_NEW,)
    assert judgement.alternatives.months_to_wait == 2
    stricter = Rules(min_months_operating=48)
    assert judge(GOOD, PRODUCT, stricter, TODAY).alternatives.months_to_wait == 12


def test_no_consent_amount_or_term_outside_the_product_are_hard_rules() -> None:
    outside = replace(GOOD, consent=False, loan=LoanRequest(Decimal(1000), 36, "bullet"))
    reasons = judge(outside, PRODUCT, RULES, TODAY).reasons
    assert {
        Reason.NO_CONSENT,
        Reason.AMOUNT_OUTSIDE_PRODUCT,
        Reason.TERM_OUTSIDE_PRODUCT,
    } <= set(reasons)


def test_no_cash_flow_left_is_not_now_without_alternatives() -> None:
    judgement = judge(with_flow(household_spending=Decimal(40000)), PRODUCT, RULES, TODAY)
    assert Reason.NO_CASH_FLOW in judgement.reasons
    assert judgement.alternatives.amount_for_term is None


def test_the_installment_share_is_configurable() -> None:
    assert judge(GOOD, PRODUCT, Rules(installment_share=Decimal("0.1")), TODAY).outcome is (
        Outcome.NOT_NOW
    )


def test_phone_numbers_are_normalized_and_located() -> None:
    assert normalized_phone("8613880000001") == CHENGDU_PHONE
    assert normalized_phone("138 8000 0001") == CHENGDU_PHONE
    assert normalized_phone("12345") is None
    assert "成都" in phone_region(CHENGDU_PHONE)


@settings(max_examples=60, deadline=None)
@given(
    sales=st.integers(0, 500_000),
    costs=st.integers(0, 500_000),
    amount=st.integers(5_000, 500_000),
    months=st.integers(1, 24),
    plan=st.sampled_from(["equal_installments", "equal_principal", "interest_only", "bullet"]),
)
def test_the_outcome_always_agrees_with_the_reasons_and_the_budget(
    sales: int, costs: int, amount: int, months: int, plan: str
) -> None:
    application = replace(
        with_flow(
            daily_sales=Decimal(sales) / 26,
            last_month_sales=Decimal(sales),
            monthly_costs=Decimal(costs),
        ),
        loan=LoanRequest(Decimal(amount), months, plan),
    )
    judgement = judge(application, PRODUCT, RULES, TODAY)
    assert 0 <= judgement.score <= 1000
    assert (judgement.outcome is Outcome.NOT_NOW) == bool(judgement.reasons)
    if judgement.outcome is not Outcome.NOT_NOW:
        assert judgement.largest_installment is not None
        assert judgement.largest_installment <= judgement.budget
    fitting = judgement.alternatives.amount_for_term
    if fitting is not None:
        terms = PLANS_BY_ID[plan].terms(fitting, Decimal(12), months, TODAY)
        assert build_schedule(terms).largest_payment <= judgement.budget
