"""The loan calculator: the bank's product bounds (from the reference data, which does not
need the bank to answer) and schedules for every plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.clock import Clock
from bot.domain.loan_terms import ScheduleError
from bot.domain.plans import PLANS_BY_ID, RepaymentPlan, plans_allowed
from bot.domain.schedule import Schedule, build_schedule
from bot.services.reference_data import Catalogue, ReferenceData
from integrations.bank.models import LoanProduct


@dataclass(frozen=True)
class ProductBounds:
    min_amount: Decimal
    max_amount: Decimal
    min_months: int
    max_months: int
    annual_rate: Decimal
    plans: tuple[RepaymentPlan, ...]

    def amount_fits(self, amount: Decimal) -> bool:
        return self.min_amount <= amount <= self.max_amount

    def months_fit(self, months: int) -> bool:
        return self.min_months <= months <= self.max_months

    def plans_for(self, months: int) -> tuple[RepaymentPlan, ...]:
        """The product's plans that fit a term of ``months``: the only ones offered for it."""
        return tuple(plan for plan in self.plans if plan.min_months <= months)


@dataclass(frozen=True)
class Comparison:
    plan: RepaymentPlan
    schedule: Schedule | None  # None: the plan does not work for this term


class LoanCalculator:
    def __init__(
        self,
        reference: ReferenceData,
        clock: Clock,
        *,
        timezone: str,
        product_code: str | None = None,
    ) -> None:
        self.reference = reference
        self._bounds: tuple[Catalogue, ProductBounds] | None = None  # of the last copy seen
        self.clock = clock
        self.product_code = product_code
        self.zone = ZoneInfo(timezone)

    async def bounds(self) -> ProductBounds:
        """Raises BankNotAnswering only when the bank has never been reached."""
        catalogue = await self.reference.catalogue()
        if self._bounds is None or self._bounds[0] is not catalogue:
            self._bounds = (catalogue, self._bounds_of(catalogue.products))
        return self._bounds[1]

    def _bounds_of(self, products: list[LoanProduct]) -> ProductBounds:
        product = next((p for p in products if self.product_code in (None, p.code)), products[0])
        return ProductBounds(
            min_amount=product.min_amount,
            max_amount=product.max_amount,
            min_months=product.min_term_months,
            max_months=product.max_term_months,
            annual_rate=product.annual_rate,
            plans=plans_allowed({method.value for method in product.allowed_methods}),
        )

    def today(self) -> date:
        return self.clock.now().astimezone(self.zone).date()

    def schedule(
        self,
        bounds: ProductBounds,
        amount: Decimal,
        months: int,
        plan_id: str,
        start: date | None = None,
    ) -> Schedule:
        """Raises KeyError for an unknown plan and ScheduleError for terms it cannot make;
        the loan starts today unless ``start`` is given."""
        plan = PLANS_BY_ID[plan_id]
        terms = plan.terms(amount, bounds.annual_rate, months, start or self.today())
        return build_schedule(terms)

    def compare(self, bounds: ProductBounds, amount: Decimal, months: int) -> list[Comparison]:
        results = []
        for plan in bounds.plans:
            try:
                schedule: Schedule | None = self.schedule(bounds, amount, months, plan.plan_id)
            except ScheduleError:
                schedule = None
            results.append(Comparison(plan, schedule))
        return results
