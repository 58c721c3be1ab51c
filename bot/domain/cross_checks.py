"""Cross-checks (交叉检验): what the officer rebuilt against what the merchant declared in
the application, and the sales by two routes. Two figures are apart when they differ by at
least the tolerance (default 30%) of the larger; both figures are kept for the committee.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from bot.domain.worksheet import Figures, Worksheet

DEFAULT_TOLERANCE = Decimal("0.3")


class CheckCode(StrEnum):
    SALES = "sales"  # declared monthly sales vs the worksheet's
    DAILY_SALES = "daily_sales"  # declared daily sales vs an ordinary day seen
    DAYS_ROUTE = "days_route"  # an ordinary day x days worked vs the declared monthly sales
    COSTS = "costs"
    HOUSEHOLD = "household"
    DEBT_PAYMENTS = "debt_payments"


ASSET_KINDS = ("home", "vehicle", "stock")  # what the application asks the merchant to tick


@dataclass(frozen=True)
class Declared:
    """What the merchant said in the application; None where they did not say."""

    daily_sales: Decimal | None = None
    monthly_sales: Decimal | None = None
    monthly_costs: Decimal | None = None
    household_spending: Decimal | None = None
    debt_payments: Decimal | None = None
    assets: tuple[str, ...] = ()


def declared_in(details: dict[str, Any]) -> Declared:
    """What the merchant declared, from a lead's details (the application's answers)."""
    assets = details.get("assets")
    return Declared(
        daily_sales=_decimal(details.get("daily_sales")),
        monthly_sales=_decimal(details.get("monthly_sales")),
        monthly_costs=_decimal(details.get("monthly_costs")),
        household_spending=_decimal(details.get("household_spending")),
        debt_payments=_decimal(details.get("debt_payments")),
        assets=tuple(str(item) for item in assets) if isinstance(assets, list | tuple) else (),
    )


def _decimal(raw: object) -> Decimal | None:
    if raw is None:
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@dataclass(frozen=True)
class CrossCheck:
    code: CheckCode
    declared: Decimal
    seen: Decimal
    flagged: bool


@dataclass(frozen=True)
class CrossChecks:
    checks: tuple[CrossCheck, ...]
    missing_assets: tuple[str, ...]  # declared owned, nothing of the kind seen

    @property
    def flagged(self) -> tuple[CrossCheck, ...]:
        return tuple(check for check in self.checks if check.flagged)

    @property
    def clean(self) -> bool:
        return not self.flagged and not self.missing_assets


def apart(first: Decimal, second: Decimal, tolerance: Decimal = DEFAULT_TOLERANCE) -> bool:
    larger = max(abs(first), abs(second))
    return larger > 0 and abs(first - second) >= tolerance * larger


def cross_check(
    worksheet: Worksheet,
    figures: Figures,
    declared: Declared,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> CrossChecks:
    sales = worksheet.sales
    pairs = (
        (CheckCode.SALES, declared.monthly_sales, figures.monthly_sales),
        (CheckCode.DAILY_SALES, declared.daily_sales, sales.ordinary_day),
        (CheckCode.DAYS_ROUTE, declared.monthly_sales, sales.ordinary_day * sales.days_worked),
        (CheckCode.COSTS, declared.monthly_costs, figures.operating_costs),
        (CheckCode.HOUSEHOLD, declared.household_spending, worksheet.household.spending),
        (CheckCode.DEBT_PAYMENTS, declared.debt_payments, worksheet.balance.loans.monthly_payment),
    )
    checks = tuple(
        CrossCheck(code, said, seen, apart(said, seen, tolerance))
        for code, said, seen in pairs
        if said is not None
    )
    return CrossChecks(checks, _missing_assets(worksheet, declared.assets))


def _missing_assets(worksheet: Worksheet, declared: tuple[str, ...]) -> tuple[str, ...]:
    balance = worksheet.balance
    seen = {"home": balance.household_assets, "vehicle": balance.equipment, "stock": balance.stock}
    return tuple(kind for kind in ASSET_KINDS if kind in declared and seen[kind] <= 0)
