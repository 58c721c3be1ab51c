"""The loan pre-application: reference data, judgement, and the lead handed to the outbox.

The draft lives in the user's FSM data (Redis, expiring with the state); its answers are
plain strings. Submitting judges the answers and, unless the outcome is "not now", puts the
lead into the outbox (`bot.services.lead_outbox`) before the merchant hears "received".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.clock import Clock
from bot.domain.application import Application, CashFlow, Debts, LoanRequest, Place
from bot.domain.due_dates import add_months
from bot.domain.judgement import Judgement, Outcome, Product, Rules, judge
from bot.domain.plans import PLANS_BY_ID
from bot.services.calculator import LoanCalculator, ProductBounds
from bot.services.later import LaterMessage, LaterMessages
from bot.services.lead_outbox import LeadOutbox, OutboxEntry
from bot.services.reference_data import BankNotAnswering
from integrations.bank.errors import BankUnavailable, NotFound
from integrations.bank.models import (
    DeletionReport,
    District,
    Industry,
    LeadSubmission,
    RepaymentMethod,
)
from integrations.bank.protocol import BankAdapter

CONSENT_TEXT_VERSION = "apply-2026-11"
YES = "yes"
Answers = dict[str, Any]


@dataclass(frozen=True)
class Draft:
    """One application in progress: its id (the idempotency key's root) and answers."""

    draft_id: str
    answers: Answers
    referral: str | None = None

    @property
    def idempotency_key(self) -> str:
        return f"lead-{self.draft_id}"


def new_draft_id() -> str:
    return secrets.token_hex(8)


@dataclass(frozen=True)
class SubmitResult:
    judgement: Judgement
    enqueued: bool  # False for "not now" and for a draft already in the outbox


class ApplicationService:
    def __init__(
        self,
        bank: BankAdapter,
        calculator: LoanCalculator,
        outbox: LeadOutbox,
        clock: Clock,
        later: LaterMessages,
        rules: Rules | None = None,
    ) -> None:
        self.bank = bank
        self.calculator = calculator
        self.outbox = outbox
        self.later = later
        self.clock = clock
        self.rules = rules or Rules()

    async def bounds(self) -> ProductBounds:
        return await self.calculator.bounds()

    async def districts(self) -> list[District]:
        return (await self.calculator.reference.catalogue()).districts

    async def industries(self) -> list[Industry]:
        return (await self.calculator.reference.catalogue()).industries

    async def nearest_district(self, latitude: float, longitude: float) -> District:
        districts = await self.districts()
        return min(
            districts,
            key=lambda d: (d.latitude - latitude) ** 2 + (d.longitude - longitude) ** 2,
        )

    async def forget(self, user_id: int, phone: str | None) -> DeletionReport | None:
        """Delete what the bank and the bot keep about the user; the bank's report. The bank
        goes first: when it does not answer (BankNotAnswering) nothing is deleted yet."""
        try:
            phone = phone or await self.outbox.applied_phone(user_id)
            phone = phone or await self._bound_phone(user_id)
            await self.bank.unbind(user_id)
            report = await self.bank.delete_person_data(phone) if phone else None
        except BankUnavailable as error:
            raise BankNotAnswering(str(error)) from None
        await self.outbox.forget_user(user_id)
        await self.later.forget(user_id)
        return report

    async def _bound_phone(self, user_id: int) -> str | None:
        try:
            binding = await self.bank.get_binding(user_id)
            if binding.customer_id is None:
                return None
            return (await self.bank.get_customer(binding.customer_id)).phone
        except NotFound:
            return None

    async def judge(self, answers: Answers) -> Judgement:
        bounds = await self.bounds()
        application = await self._application(answers)
        return judge(application, _product(bounds), self.rules, self.today())

    async def submit(self, draft: Draft, user_id: int, locale: str) -> SubmitResult:
        judgement = await self.judge(draft.answers)
        if judgement.outcome is Outcome.NOT_NOW:
            return SubmitResult(judgement, enqueued=False)
        entry = OutboxEntry(
            idempotency_key=draft.idempotency_key,
            user_id=user_id,
            locale=locale,
            submission=_submission(draft, judgement),
        )
        return SubmitResult(judgement, enqueued=await self.outbox.enqueue(entry))

    def today(self) -> date:
        return self.calculator.today()

    async def remind_later(self, user_id: int, locale: str, months: int) -> date:
        """Invite the merchant to apply again in `months` months, at 10:00 bank time."""
        day = add_months(self.today(), months)
        at = datetime(day.year, day.month, day.day, 10, tzinfo=self.calculator.zone)
        await self.later.schedule(LaterMessage("reapply", user_id, locale, {}), at, "reapply")
        return day

    async def _application(self, answers: Answers) -> Application:
        district = next(d for d in await self.districts() if d.code == answers["district"])
        return Application(
            consent=answers.get("consent") == YES,
            phone=answers["phone"],
            place=Place(district.code, district.city, district.province),
            months_operating=int(answers["months_operating"]),
            cash_flow=CashFlow(
                daily_sales=Decimal(answers["daily_sales"]),
                last_month_sales=Decimal(answers["monthly_sales"]),
                monthly_costs=Decimal(answers["monthly_costs"]),
                household_spending=Decimal(answers["household_spending"]),
            ),
            debts=_debts(answers),
            loan=LoanRequest(Decimal(answers["amount"]), int(answers["months"]), answers["plan"]),
            has_guarantor=answers.get("guarantor", "none") != "none",
            owns_home="home" in answers.get("assets", ""),
        )


def _debts(answers: Answers) -> Debts:
    limit, _slash, used = (answers.get("cards") or "0/0").partition("/")
    return Debts(
        monthly_payments=Decimal(answers.get("debt_payments") or 0),
        card_limit=Decimal(limit),
        card_used=Decimal(used),
    )


def _product(bounds: ProductBounds) -> Product:
    return Product(
        bounds.min_amount, bounds.max_amount, bounds.min_months, bounds.max_months,
        bounds.annual_rate,
    )  # fmt: skip


def _submission(draft: Draft, judgement: Judgement) -> LeadSubmission:
    answers = draft.answers
    plan = PLANS_BY_ID[answers["plan"]]
    details = {
        key: value
        for key, value in answers.items()
        if key not in ("name", "phone", "consent", "purpose")
    }
    details["score_factors"] = {factor.code: factor.points for factor in judgement.factors}
    details["outcome"] = judgement.outcome.value
    details["consent_version"] = CONSENT_TEXT_VERSION
    details["net_cash_flow"] = str(judgement.net_cash_flow)
    details["largest_installment"] = str(judgement.largest_installment)
    return LeadSubmission(
        applicant_name=answers["name"],
        phone=answers["phone"],
        district_code=answers["district"],
        industry_code=answers["industry"],
        amount=Decimal(answers["amount"]),
        term_months=int(answers["months"]),
        method=RepaymentMethod(plan.method.value),
        purpose=answers.get("purpose", ""),
        referral_code=draft.referral,
        score=judgement.score,
        flags=[flag.value for flag in judgement.flags],
        details=details,
    )
