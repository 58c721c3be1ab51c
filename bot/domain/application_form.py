"""The loan pre-application as a form: twenty questions in six sections, how each answer is
read and checked, and the draft that keeps them (pure: no I/O).

Drafts saved before the answers were typed (every answer a string, "consent": "yes" among
them, the calculator's loan under "prefill", the question under "step") still load.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, model_validator

from bot.domain.amounts import AmountError, parse_amount
from bot.domain.forms.definition import Form, Invalid, Position, Question
from bot.domain.forms.engine import FormEngine
from bot.domain.plans import RepaymentPlan
from bot.domain.terms import TERM_CHOICES, TermError, Unit, parse_months, parse_term

PREMISES = ("owned", "rented", "stall")
ASSETS = ("home", "vehicle", "stock")
GUARANTORS = ("none", "spouse", "relative", "friend", "partner")
CALL_TIMES = ("morning", "afternoon", "evening", "any")


class LoanLimits(Protocol):
    """The product's bounds (bot.services.calculator.ProductBounds)."""

    @property
    def plans(self) -> tuple[RepaymentPlan, ...]: ...

    def amount_fits(self, amount: Decimal) -> bool: ...

    def months_fit(self, months: int) -> bool: ...

    def plans_for(self, months: int) -> tuple[RepaymentPlan, ...]: ...


@dataclass(frozen=True)
class ApplicationContext:
    """What the questions need to read and offer answers: the product and the bank's codes."""

    limits: LoanLimits
    industries: tuple[str, ...]
    districts: tuple[str, ...]


class CardUse(BaseModel):
    model_config = ConfigDict(frozen=True)

    limit: Decimal
    used: Decimal


class SharedLocation(BaseModel):
    """Where the merchant said the business is, by sharing a location (the officer's
    check-in is measured from it)."""

    model_config = ConfigDict(frozen=True)

    latitude: float
    longitude: float


class ApplicationAnswers(BaseModel):
    """Every answer, None until given (or skipped); money in currency units."""

    model_config = ConfigDict(frozen=True)

    phone: str | None = None  # E.164
    name: str | None = None
    industry: str | None = None  # the bank's code
    district: str | None = None  # the bank's code
    location: SharedLocation | None = None  # when the merchant shared it for the district
    months_operating: int | None = None
    employees: int | None = None
    premises: str | None = None
    daily_sales: Decimal | None = None
    monthly_sales: Decimal | None = None
    monthly_costs: Decimal | None = None
    household_spending: Decimal | None = None
    assets: tuple[str, ...] | None = None
    debt_payments: Decimal | None = None
    cards: CardUse | None = None
    amount: Decimal | None = None
    months: int | None = None
    plan: str | None = None
    purpose: str | None = None
    guarantor: str | None = None
    call_time: str | None = None


class ApplicationDraft(BaseModel):
    """One application in progress: its id (the root of the lead's idempotency key)."""

    id: str
    referral: str | None = None
    consented: bool = False
    answers: ApplicationAnswers = ApplicationAnswers()
    at: Position = Position()

    @property
    def idempotency_key(self) -> str:
        return f"lead-{self.id}"

    @model_validator(mode="before")
    @classmethod
    def _saved_as_strings(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "prefill" not in data:  # every earlier draft had it
            return data
        answers = {**(data.get("prefill") or {}), **(data.get("answers") or {})}
        step = data.get("step")
        return {
            "id": data.get("id") or new_draft_id(),
            "referral": data.get("referral"),
            "consented": answers.pop("consent", None) == "yes",
            "answers": _typed_answers(answers),
            "at": {
                "step": step if step in APPLICATION_FORM.question_keys else None,
                "editing": data.get("editing"),
                "given": list(data.get("prefill") or {}) if step != "summary" else [],
            },
        }


def _typed_answers(saved: dict[str, str]) -> dict[str, Any]:
    """Answers saved as strings: skipped ones empty, assets joined by commas, cards as
    "limit/used"; the rest pydantic reads from their strings."""
    answers: dict[str, Any] = {key: value for key, value in saved.items() if value != ""}
    if "assets" in answers:
        answers["assets"] = tuple(item for item in answers["assets"].split(",") if item)
    if "cards" in answers:
        limit, _slash, used = answers["cards"].partition("/")
        answers["cards"] = {"limit": limit, "used": used}
    return answers


def new_draft_id() -> str:
    return secrets.token_hex(8)


# --- reading answers --------------------------------------------------------------------


def _name(text: str, _context: ApplicationContext) -> str:
    if not 2 <= len(text) <= 40 or any(ch.isdigit() for ch in text) or text.startswith("/"):
        raise Invalid("name")
    return text


def _months_operating(text: str, _context: ApplicationContext) -> int:
    try:
        return parse_months(text, bare=Unit.YEARS)
    except TermError:
        raise Invalid("months_operating") from None


def _count(text: str, _context: ApplicationContext) -> int:
    cleaned = text.removesuffix("人").strip()
    if not cleaned.isdecimal() or int(cleaned) > 999:
        raise Invalid("count")
    return int(cleaned)


def _amount(text: str) -> Decimal:
    try:
        return parse_amount(text)
    except AmountError as error:
        raise Invalid("amount", error) from None


def _positive_amount(text: str, _context: ApplicationContext) -> Decimal:
    value = _amount(text)
    if value <= 0:
        raise Invalid("positive")
    return value


def _any_amount(text: str, _context: ApplicationContext) -> Decimal:
    return _amount(text)


def _cards(text: str, _context: ApplicationContext) -> CardUse:
    limit_text, slash, used_text = text.replace("／", "/").partition("/")
    if not slash:
        raise Invalid("cards")
    limit, used = _amount(limit_text), _amount(used_text)
    if used > limit:
        raise Invalid("card_over_limit")
    return CardUse(limit=limit, used=used)


def _purpose(text: str, _context: ApplicationContext) -> str:
    if not 2 <= len(text) <= 200:
        raise Invalid("purpose")
    return text


def loan_amount(text: str, context: ApplicationContext) -> Decimal:
    value = _amount(text)
    if not context.limits.amount_fits(value):
        raise Invalid("amount_range")
    return value


def loan_months(text: str, context: ApplicationContext) -> int:
    try:
        months = parse_term(text)
    except TermError:
        raise Invalid("months") from None
    if not context.limits.months_fit(months):
        raise Invalid("months")
    return months


Choices = Callable[[ApplicationContext, ApplicationAnswers], tuple[str, ...]]


def _fixed(values: tuple[str, ...]) -> Choices:
    return lambda _context, _answers: values


def _plans(context: ApplicationContext, answers: ApplicationAnswers) -> tuple[str, ...]:
    """The plans that fit the chosen term (all of them before a term is chosen)."""
    limits = context.limits
    plans = limits.plans if answers.months is None else limits.plans_for(answers.months)
    return tuple(plan.plan_id for plan in plans)


def _terms(context: ApplicationContext, _answers: ApplicationAnswers) -> tuple[str, ...]:
    return tuple(str(months) for months in TERM_CHOICES if context.limits.months_fit(months))


APPLICATION_FORM: Form[ApplicationAnswers, ApplicationContext] = Form(
    ApplicationAnswers,
    (
        Question("phone", "contact", refusal="phone_button"),
        Question("name", "contact", read=_name),
        Question("industry", "business", options=lambda context, _: context.industries),
        Question("district", "business", options=lambda context, _: context.districts),
        Question("months_operating", "business", read=_months_operating),
        Question("employees", "business", read=_count, optional=True),
        Question("premises", "business", options=_fixed(PREMISES)),
        Question("daily_sales", "cash_flow", read=_positive_amount),
        Question("monthly_sales", "cash_flow", read=_positive_amount),
        Question("monthly_costs", "cash_flow", read=_any_amount),
        Question("household_spending", "cash_flow", read=_any_amount),
        Question("assets", "assets", options=_fixed(ASSETS), multiple=True, optional=True),
        Question("debt_payments", "assets", read=_any_amount, optional=True),
        Question("cards", "assets", read=_cards, optional=True),
        Question("amount", "loan", read=loan_amount),
        Question("months", "loan", read=loan_months, options=_terms),
        Question("plan", "loan", options=_plans),
        Question("purpose", "loan", read=_purpose),
        Question("guarantor", "other", options=_fixed(GUARANTORS)),
        Question("call_time", "other", options=_fixed(CALL_TIMES)),
    ),
)
APPLICATION = FormEngine(APPLICATION_FORM)
