"""The repayment plans a merchant chooses from: the source bank's methods (seed 000:147).

A plan is a method plus the options that make the seed's combined methods, e.g. "first
three months interest only, then equal installments" is equal installments with a
three-period principal grace. Manual schedules need per-period amounts and are not a plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.domain.loan_terms import LoanTerms, RepaymentMethod


@dataclass(frozen=True, slots=True)
class RepaymentPlan:
    plan_id: str
    method: RepaymentMethod
    grace_principal: int = 0
    principal_every: int = 1

    @property
    def min_months(self) -> int:
        """The shortest term it fits: the grace, then at least one period that repays principal
        (the terms' own range check, so a plan is offered only where its terms are valid)."""
        return self.grace_principal + self.principal_every

    def terms(
        self, principal: Decimal, annual_rate: Decimal, months: int, start: date
    ) -> LoanTerms:
        return LoanTerms(
            principal=principal,
            annual_rate=annual_rate,
            months=months,
            method=self.method,
            start=start,
            grace_principal=self.grace_principal,
            principal_every=self.principal_every,
        )


PLANS: tuple[RepaymentPlan, ...] = (
    RepaymentPlan("equal_installments", RepaymentMethod.EQUAL_INSTALLMENTS),
    RepaymentPlan("equal_principal", RepaymentMethod.EQUAL_PRINCIPAL),
    RepaymentPlan("interest_only", RepaymentMethod.INTEREST_ONLY),
    RepaymentPlan("bullet", RepaymentMethod.BULLET),
    RepaymentPlan("flat", RepaymentMethod.FLAT),
    RepaymentPlan("principal_every_2", RepaymentMethod.EQUAL_PRINCIPAL, principal_every=2),
    RepaymentPlan("principal_every_3", RepaymentMethod.EQUAL_PRINCIPAL, principal_every=3),
    RepaymentPlan("principal_every_6", RepaymentMethod.EQUAL_PRINCIPAL, principal_every=6),
    RepaymentPlan("grace_3_installments", RepaymentMethod.EQUAL_INSTALLMENTS, grace_principal=3),
    RepaymentPlan(
        "grace_3_principal_every_2",
        RepaymentMethod.EQUAL_PRINCIPAL,
        grace_principal=3,
        principal_every=2,
    ),
)
PLANS_BY_ID = {plan.plan_id: plan for plan in PLANS}


def plans_allowed(methods: set[str]) -> tuple[RepaymentPlan, ...]:
    """The plans whose base method the product allows (by the method's stable id)."""
    return tuple(plan for plan in PLANS if plan.method.value in methods)
