"""The loan pre-application: reference data, judgement, and the lead handed to the outbox.

The draft (`bot.domain.application_form.ApplicationDraft`) lives in the user's FSM data
(Redis, expiring with the state). Submitting judges the answers and, unless the outcome is
"not now", puts the lead into the outbox (`bot.services.lead_outbox`) before the merchant
hears "received"; then one lead goes to the bank at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import TypeVar

from bot.clock import Clock
from bot.domain.application import Application, CashFlow, Debts, LoanRequest, Place
from bot.domain.application_form import (
    ApplicationAnswers,
    ApplicationContext,
    ApplicationDraft,
)
from bot.domain.due_dates import add_months
from bot.domain.judgement import Judgement, Outcome, Product, Rules, judge
from bot.domain.plans import PLANS_BY_ID
from bot.services.calculator import LoanCalculator, ProductBounds
from bot.services.later import LaterMessage, LaterMessages
from bot.services.lead_outbox import LeadDelivery, LeadMessenger, LeadOutbox, OutboxEntry
from bot.services.reference_data import BankNotAnswering, Catalogue
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
T = TypeVar("T")
PRIVATE_ANSWERS = frozenset({"name", "phone", "purpose"})  # fields of their own on the lead


@dataclass(frozen=True)
class FormSetting:
    """What the form's questions offer and check against: the product and the bank's
    industries and districts (by code), from the reference data."""

    bounds: ProductBounds
    industries: dict[str, Industry]
    districts: dict[str, District]

    @cached_property
    def context(self) -> ApplicationContext:
        return ApplicationContext(self.bounds, tuple(self.industries), tuple(self.districts))


@dataclass(frozen=True)
class SubmitResult:
    judgement: Judgement
    enqueued: bool  # False for "not now" and for a draft already in the outbox
    bank_was_down: bool = False  # when it was enqueued: the last delivery found the bank down


class ApplicationService:
    def __init__(
        self,
        bank: BankAdapter,
        calculator: LoanCalculator,
        outbox: LeadOutbox,
        clock: Clock,
        later: LaterMessages,
        delivery: LeadDelivery,
        messenger: LeadMessenger,
        rules: Rules | None = None,
    ) -> None:
        self.delivery = delivery
        self.messenger = messenger
        self._setting: tuple[Catalogue, FormSetting] | None = None
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

    async def setting(self) -> FormSetting:
        catalogue = await self.calculator.reference.catalogue()
        bounds = await self.bounds()
        if self._setting is None or self._setting[0] is not catalogue:  # of the last copy seen
            setting = FormSetting(
                bounds,
                {industry.code: industry for industry in catalogue.industries},
                {district.code: district for district in catalogue.districts},
            )
            self._setting = (catalogue, setting)
        return self._setting[1]

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

    async def judge(self, draft: ApplicationDraft) -> Judgement:
        bounds = await self.bounds()
        application = await self._application(draft)
        return judge(application, _product(bounds), self.rules, self.today())

    async def submit(self, draft: ApplicationDraft, user_id: int, locale: str) -> SubmitResult:
        judgement = await self.judge(draft)
        if judgement.outcome is Outcome.NOT_NOW:
            return SubmitResult(judgement, enqueued=False)
        entry = OutboxEntry(
            idempotency_key=draft.idempotency_key,
            user_id=user_id,
            locale=locale,
            submission=_submission(draft, judgement),
        )
        if not await self.outbox.enqueue(entry):
            return SubmitResult(judgement, enqueued=False)
        return SubmitResult(judgement, enqueued=True, bank_was_down=await self.delivery.bank_down())

    async def hand_to_bank(self, submitted: SubmitResult) -> bool:
        """One lead (the oldest waiting) to the bank, after the merchant heard "received";
        whether they must now hear that the bank is down (it was up when they submitted).

        One lead per Submit: with many merchants submitting at once each hands one to the
        bank instead of all of them racing for the whole stream; the worker
        (`LeadDelivery.run`) takes whatever is left."""
        await self.delivery.deliver_new(self.messenger, count=1)
        return not submitted.bank_was_down and await self.delivery.bank_down()

    def today(self) -> date:
        return self.calculator.today()

    async def remind_later(self, user_id: int, locale: str, months: int) -> date:
        """Invite the merchant to apply again in `months` months, at 10:00 bank time."""
        day = add_months(self.today(), months)
        at = datetime(day.year, day.month, day.day, 10, tzinfo=self.calculator.zone)
        await self.later.schedule(LaterMessage("reapply", user_id, locale, {}), at, "reapply")
        return day

    async def _application(self, draft: ApplicationDraft) -> Application:
        answers = draft.answers
        district = next(d for d in await self.districts() if d.code == answers.district)
        return Application(
            consent=draft.consented,
            phone=_given(answers.phone),
            place=Place(district.code, district.city, district.province),
            months_operating=_given(answers.months_operating),
            cash_flow=CashFlow(
                daily_sales=_given(answers.daily_sales),
                last_month_sales=_given(answers.monthly_sales),
                monthly_costs=_given(answers.monthly_costs),
                household_spending=_given(answers.household_spending),
            ),
            debts=_debts(answers),
            loan=LoanRequest(_given(answers.amount), _given(answers.months), _given(answers.plan)),
            has_guarantor=answers.guarantor not in (None, "none"),
            owns_home="home" in (answers.assets or ()),
        )


def _given(value: T | None) -> T:
    """An answer the form does not let the merchant skip: there at the review."""
    if value is None:
        raise ValueError("a required answer is missing")
    return value


def _debts(answers: ApplicationAnswers) -> Debts:
    cards = answers.cards
    return Debts(
        monthly_payments=answers.debt_payments or Decimal(0),
        card_limit=cards.limit if cards else Decimal(0),
        card_used=cards.used if cards else Decimal(0),
    )


def _product(bounds: ProductBounds) -> Product:
    return Product(
        bounds.min_amount, bounds.max_amount, bounds.min_months, bounds.max_months,
        bounds.annual_rate,
    )  # fmt: skip


def _submission(draft: ApplicationDraft, judgement: Judgement) -> LeadSubmission:
    answers = draft.answers
    plan = PLANS_BY_ID[_given(answers.plan)]
    details = answers.model_dump(mode="json", exclude=set(PRIVATE_ANSWERS), exclude_none=True)
    details["score_factors"] = {factor.code: factor.points for factor in judgement.factors}
    details["outcome"] = judgement.outcome.value
    details["consent_version"] = CONSENT_TEXT_VERSION
    details["net_cash_flow"] = str(judgement.net_cash_flow)
    details["largest_installment"] = str(judgement.largest_installment)
    return LeadSubmission(
        applicant_name=_given(answers.name),
        phone=_given(answers.phone),
        district_code=_given(answers.district),
        industry_code=_given(answers.industry),
        amount=_given(answers.amount),
        term_months=_given(answers.months),
        method=RepaymentMethod(plan.method.value),
        purpose=answers.purpose or "",
        referral_code=draft.referral,
        score=judgement.score,
        flags=[flag.value for flag in judgement.flags],
        details=details,
    )
