"""The calculator's terms from a Mini App query string, checked against the product's bounds.

Every refusal is one sentence in the user's language, worded as the chat and the command line
word it; the caller answers it as a 400 problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from aiogram.utils.i18n import gettext as _
from multidict import MultiMapping

from bot.domain.amounts import AmountError, parse_amount
from bot.domain.plans import PLANS_BY_ID, RepaymentPlan
from bot.domain.terms import TermError, parse_term
from bot.services.calculator import ProductBounds
from bot.views import calculator as views


class TermsRefused(ValueError):
    """The query does not describe a loan the product offers; the message says why."""


@dataclass(frozen=True, slots=True)
class QueryTerms:
    amount: Decimal
    months: int
    plan: RepaymentPlan
    start: date | None


def terms_from_query(
    query: MultiMapping[str], bounds: ProductBounds, currency: str, locale: str
) -> QueryTerms:
    """Call inside the user's locale (the messages are translated as they are made)."""
    try:
        amount = parse_amount(query.get("principal", ""))
    except AmountError as error:
        raise TermsRefused(views.amount_error(error)) from None
    if not bounds.amount_fits(amount):
        raise TermsRefused(views.amount_out_of_range(amount, bounds, currency, locale))
    try:
        months = parse_term(query.get("months", ""))
    except TermError:
        months = 0
    if not bounds.months_fit(months):
        raise TermsRefused(views.months_out_of_range(bounds))
    return QueryTerms(amount, months, _plan(query.get("method", ""), bounds, months), _start(query))


def _plan(plan_id: str, bounds: ProductBounds, months: int) -> RepaymentPlan:
    plan = PLANS_BY_ID.get(plan_id)
    if plan is None or plan not in bounds.plans:
        message = _("{option} must be one of {choices}, not {value}.")
        choices = ", ".join(offered.plan_id for offered in bounds.plans)
        raise TermsRefused(message.format(option="method", choices=choices, value=plan_id))
    if plan not in bounds.plans_for(months):
        raise TermsRefused(views.plans_needing_longer([plan], months))
    return plan


def _start(query: MultiMapping[str]) -> date | None:
    text = query.get("start")
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = _("{option} must be a date like 2026-01-15, not {value}.")
        raise TermsRefused(message.format(option="start", value=text)) from None
