"""How the pre-application looks: consent, questions, errors, summary, outcome, lead news."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.support import LazyProxy
from pydantic import AfterValidator

from bot.domain.amounts import AmountError
from bot.domain.application_form import APPLICATION, APPLICATION_FORM, ApplicationAnswers, CardUse
from bot.domain.forms.definition import Filled, Invalid
from bot.domain.judgement import Alternatives, Judgement, Reason
from bot.domain.plans import PLANS_BY_ID
from bot.i18n import day, listing, moment, money
from bot.services.applications import FormSetting
from bot.services.calculator import ProductBounds
from bot.services.lead_outbox import Recipient
from bot.services.outbound import Outbox, OutgoingMessage, PhoneBook, Priority
from bot.views.calculator import amount_error, not_for_this_term, plan_name
from bot.views.forms import Asked, button, heading, nav_keyboard, question_keyboard
from bot.views.text import labelled
from integrations.bank.masking import mask_phone
from integrations.bank.models import (
    District,
    Industry,
    Lead,
    LeadStatus,
    LeadStatusChanged,
    LoanDisbursed,
    RetainedRecord,
)

SECTIONS = APPLICATION_FORM.sections
ApplyAction = Literal[
    "agree", "decline", "pick", "toggle", "done", "skip", "back", "cancel", "discard", "edit",
    "submit", "resume", "restart", "use_amount", "use_months", "remind_later",
]  # fmt: skip


def _question_key(key: str) -> str:
    if key and key not in APPLICATION_FORM.question_keys:
        raise ValueError("unknown question")
    return key


class ApplyStep(CallbackData, prefix="ap"):
    action: ApplyAction
    key: Annotated[str, AfterValidator(_question_key)] = ""  # the question it belongs to
    value: str = ""


SECTION_TITLES: dict[str, LazyProxy] = {
    "contact": __("You"),
    "business": __("Business"),
    "cash_flow": __("Cash flow"),
    "assets": __("Assets and debts"),
    "loan": __("The loan"),
    "other": __("Guarantor and call"),
}


def section_title(section: str) -> str:
    return str(SECTION_TITLES[section])


def consent_text(ttl_days: int) -> str:
    return "\n".join(
        [
            _("📝 Loan pre-application"),
            "",
            _(
                "I will ask about you, your business, its cash flow, your assets and debts "
                "and the loan you need, so that a loan officer can prepare your case."
            ),
            _(
                "By agreeing you authorise the bank to query your credit record at the "
                "credit bureau (征信授权) and to use your answers for this application only."
            ),
            ngettext(
                "Unfinished answers are kept for {days} day, then deleted. "
                "/forget deletes everything I keep about you.",
                "Unfinished answers are kept for {days} days, then deleted. "
                "/forget deletes everything I keep about you.",
                ttl_days,
            ).format(days=ttl_days),
        ]
    )


def declined() -> str:
    return _("Understood. Nothing was kept. You can apply any time with /apply.")


CHOICE_LABELS: dict[tuple[str, str], LazyProxy] = {
    ("premises", "owned"): __("Owned"),
    ("premises", "rented"): __("Rented"),
    ("premises", "stall"): __("Market stall"),
    ("assets", "home"): __("Home"),
    ("assets", "vehicle"): __("Vehicle"),
    ("assets", "stock"): __("Stock of goods"),
    ("guarantor", "none"): __("No guarantor"),
    ("guarantor", "spouse"): __("Spouse"),
    ("guarantor", "relative"): __("Relative"),
    ("guarantor", "friend"): __("Friend"),
    ("guarantor", "partner"): __("Business partner"),
    ("call_time", "morning"): __("Morning"),
    ("call_time", "afternoon"): __("Afternoon"),
    ("call_time", "evening"): __("Evening"),
    ("call_time", "any"): __("Any time"),
}


def choice_label(key: str, value: str) -> str:
    return str(CHOICE_LABELS[(key, value)])


def question(key: str, bounds: ProductBounds, currency: str, locale: str) -> str:
    prompts = {
        "phone": lambda: _("Please share your phone number with the button below."),
        "name": lambda: _("Your full name, as on your ID card."),
        "industry": lambda: _("What does your business do?"),
        "district": lambda: _("Where is the business? Choose the district or share its location."),
        "months_operating": lambda: _(
            "How long has the business been running? For example: 3 years, 8 months."
        ),
        "employees": lambda: _("How many people work in the business besides you? For example: 2."),
        "premises": lambda: _("Are the premises owned, rented or a market stall?"),
        "daily_sales": lambda: _("Sales on an ordinary day? For example: 3000."),
        "monthly_sales": lambda: _("Sales last month, in total? For example: 8万."),
        "monthly_costs": lambda: _(
            "Monthly costs of the business: goods, rent, wages and utilities? For example: 5万."
        ),
        "household_spending": lambda: _("Household spending a month? For example: 6000."),
        "assets": lambda: _("What does your household own? Tap all that apply, then Done."),
        "debt_payments": lambda: _(
            "Monthly payments on other loans (mortgage, car, business)? For example: 3000. "
            "Skip if none."
        ),
        "cards": lambda: _(
            "Credit cards: total limit and amount used, for example: 5万/1万. Skip if none."
        ),
        "amount": lambda: _("How much would you like to borrow? From {low} to {high}.").format(
            low=money(bounds.min_amount, currency, locale),
            high=money(bounds.max_amount, currency, locale),
        ),
        "months": lambda: _("For how many months? From {low} to {high}.").format(
            low=bounds.min_months, high=bounds.max_months
        ),
        "plan": lambda: _("How would you like to repay?"),
        "purpose": lambda: _("What is the loan for? For example: stock for the spring festival."),
        "guarantor": lambda: _("Could someone guarantee the loan? Who?"),
        "call_time": lambda: _("When is the best time for the officer to call you?"),
    }
    return prompts[key]()


def error(code: str, bounds: ProductBounds, currency: str, locale: str) -> str:
    errors = {
        "name": lambda: _(
            "Please send your name in letters, 2 to 40 characters. For example: 陈小梅."
        ),
        "months_operating": lambda: _(
            "Please send how long, in years or months. For example: 2 years, 18 months, 2年."
        ),
        "count": lambda: _("Please send a whole number from 0 to 999. For example: 3."),
        "positive": lambda: _("Please send an amount above zero. For example: 3000 or 5万."),
        "cards": lambda: _(
            "Please send the limit and the amount used, separated by /. For example: 5万/1万."
        ),
        "card_over_limit": lambda: _(
            "The amount used cannot be above the limit. For example: 5万/1万."
        ),
        "amount_range": lambda: _(
            "Please send an amount from {low} to {high}. For example: 5万."
        ).format(
            low=money(bounds.min_amount, currency, locale),
            high=money(bounds.max_amount, currency, locale),
        ),
        "months": lambda: _(
            "Please send a number of months from {low} to {high}. For example: 12."
        ).format(low=bounds.min_months, high=bounds.max_months),
        "purpose": lambda: _(
            "Please say in a few words what the loan is for. For example: buy stock."
        ),
        "choose": lambda: _("Please use the buttons below."),
        "phone_button": lambda: _("Please use the button below to share your own phone number."),
        "not_own_contact": lambda: _(
            "That is someone else's contact. Please share your own number with the button below."
        ),
        "bad_phone": lambda: _(
            "I could not read that phone number. Please share it with the button."
        ),
    }
    return errors[code]()


def error_text(invalid: Invalid, bounds: ProductBounds, currency: str, locale: str) -> str:
    if isinstance(invalid.cause, AmountError):
        return amount_error(invalid.cause)
    return error(invalid.code, bounds, currency, locale)


def reference_label(item: District | Industry, locale: str) -> str:
    """The bank's name for an industry or district, in the reader's language."""
    return item.name_in(locale)


def option_label(key: str, value: str, setting: FormSetting, locale: str) -> str:
    if key == "industry":
        return reference_label(setting.industries[value], locale)
    if key == "district":
        return reference_label(setting.districts[value], locale)
    if key == "months":
        return months_text(int(value))
    if key == "plan":
        return plan_name(PLANS_BY_ID[value])
    return choice_label(key, value)


def months_text(months: int) -> str:
    return ngettext("{months} month", "{months} months", months).format(months=months)


def answer_text(
    key: str, answers: ApplicationAnswers, setting: FormSetting, currency: str, locale: str
) -> str:
    value = getattr(answers, key)
    if key == "phone":
        return mask_phone(value)
    if key in ("industry", "district"):
        known = setting.industries if key == "industry" else setting.districts
        return reference_label(known[value], locale) if value in known else str(value)
    if key in ("months_operating", "months"):
        return months_text(int(value))
    if key in ("premises", "guarantor", "call_time", "plan"):
        return option_label(key, value, setting, locale)
    if key == "assets":
        return listing([choice_label(key, item) for item in value], locale) or _("None")
    if isinstance(value, Decimal):
        return money(value, currency, locale)
    if isinstance(value, CardUse):
        return _("limit {limit}, used {used}").format(
            limit=money(value.limit, currency, locale), used=money(value.used, currency, locale)
        )
    return str(value)


FIELD_NAMES: dict[str, LazyProxy] = {
    "phone": __("Phone"),
    "name": __("Name"),
    "industry": __("Industry"),
    "district": __("District"),
    "months_operating": __("Operating for"),
    "employees": __("Employees"),
    "premises": __("Premises"),
    "daily_sales": __("Sales on an ordinary day"),
    "monthly_sales": __("Sales last month"),
    "monthly_costs": __("Monthly costs"),
    "household_spending": __("Household spending"),
    "assets": __("Assets"),
    "debt_payments": __("Loan payments a month"),
    "cards": __("Credit cards"),
    "amount": __("Amount"),
    "months": __("Term"),
    "plan": __("Repayment"),
    "purpose": __("Purpose"),
    "guarantor": __("Guarantor"),
    "call_time": __("Best time to call"),
}


def field_name(key: str) -> str:
    return str(FIELD_NAMES[key])


def skipped() -> str:
    return _("skipped")


def resume_offer(position: int, total: int) -> str:
    return _(
        "Welcome back! Your application is saved at step {position} of {total}. "
        "Continue where you stopped, or start over?"
    ).format(position=position, total=total)


def waiting(position: int, total: int) -> str:
    return _("Your application is waiting at step {position} of {total}.").format(
        position=position, total=total
    )


def received() -> str:
    return _(
        "✅ Received. Your application is saved and on its way to the bank; "
        "I will send you its reference number in a moment."
    )


def saved_until_bank_returns() -> str:
    return _(
        "⏳ Saved. The bank is not answering at the moment: your application is kept and "
        "will reach a loan officer as soon as the bank is back. I will send you its "
        "reference number then; there is nothing more you need to do."
    )


def bank_not_answering() -> str:
    return _(
        "⏳ The bank is not answering at the moment. Please try again in a few minutes; "
        "your answers are kept."
    )


def already_sent() -> str:
    return _("This application was already sent. Start a new one with /apply.")


def cancelled() -> str:
    return _("Application cancelled. Nothing was kept.")


def reason_text(reason: Reason, judgement: Judgement, currency: str, locale: str) -> str:
    texts = {
        Reason.NO_CONSENT: _("You have not agreed to the credit check."),
        Reason.AMOUNT_OUTSIDE_PRODUCT: _("The amount is outside what the loan allows."),
        Reason.TERM_OUTSIDE_PRODUCT: _("The term is outside what the loan allows."),
        Reason.TOO_NEW: _("The business needs to run a little longer before a loan."),
        Reason.NO_CASH_FLOW: _(
            "After costs, household spending and other debts, the business leaves no money "
            "each month for a repayment."
        ),
        Reason.UNAFFORDABLE: _(
            "The largest monthly payment, {payment}, is more than the business can spare "
            "each month ({budget})."
        ).format(
            payment=money(judgement.largest_installment or Decimal(0), currency, locale),
            budget=money(judgement.budget, currency, locale),
        ),
    }
    return texts[reason]


def not_now(judgement: Judgement, currency: str, locale: str) -> str:
    lines = [_("Not now, and here is why:")]
    lines += [f"• {reason_text(r, judgement, currency, locale)}" for r in judgement.reasons]
    alternatives = judgement.alternatives
    if alternatives.amount_for_term is not None:
        lines.append(
            _("What would work: {amount} for the same term.").format(
                amount=money(alternatives.amount_for_term, currency, locale)
            )
        )
    if alternatives.months_for_amount is not None:
        lines.append(
            ngettext(
                "What would work: the same amount over {months} month.",
                "What would work: the same amount over {months} months.",
                alternatives.months_for_amount,
            ).format(months=alternatives.months_for_amount)
        )
    if alternatives.months_to_wait is not None:
        lines.append(
            ngettext(
                "Please apply again in {months} month.",
                "Please apply again in {months} months.",
                alternatives.months_to_wait,
            ).format(months=alternatives.months_to_wait)
        )
    lines.append(_("You can change your answers with the buttons below."))
    return "\n".join(lines)


def reminder_scheduled(when: date, locale: str) -> str:
    return _(
        "Fine. I will remind you on {day}; nothing else is kept. "
        "You can apply again any time with /apply."
    ).format(day=day(when, locale))


def visit_booked(
    lead_id: str, officer_name: str | None, at: datetime, zone: ZoneInfo, locale: str
) -> str:
    return _("📅 {officer} will visit your business on {when} ({reference}).").format(
        officer=officer_name or _("a loan officer"),
        when=moment(at.astimezone(zone).replace(tzinfo=None), locale),
        reference=lead_id,
    )


def visit_tomorrow(
    lead_id: str, officer_name: str | None, at: datetime, zone: ZoneInfo, locale: str
) -> str:
    return _(
        "⏰ Reminder: {officer} visits your business tomorrow, {when} ({reference}). "
        "Please have your ID card and sales records ready."
    ).format(
        officer=officer_name or _("a loan officer"),
        when=moment(at.astimezone(zone).replace(tzinfo=None), locale),
        reference=lead_id,
    )


def reapply_invitation() -> str:
    return _(
        "You asked me to remind you about a loan. If your business has grown since, "
        "send /apply and I will check again what fits."
    )


def first_contact_by(submitted_at: datetime, zone: ZoneInfo) -> date:
    """One working day after the submission (weekends do not count)."""
    when = submitted_at.astimezone(zone).date() + timedelta(days=1)
    while when.weekday() >= 5:
        when += timedelta(days=1)
    return when


def lead_received(lead: Lead, zone: ZoneInfo, locale: str) -> str:
    return "\n".join(
        [
            _("📨 Your application is with the bank. Reference number: {reference}").format(
                reference=lead.id
            ),
            _(
                "What happens next: a loan officer will call you by the end of {day} to "
                "arrange a visit to your business. Please keep your ID card and records "
                "of sales at hand."
            ).format(day=day(first_contact_by(lead.submitted_at, zone), locale)),
        ]
    )


def lead_status(
    event: LeadStatusChanged | LoanDisbursed,
    officer_name: str | None,
    currency: str,
    locale: str,
) -> str | None:
    if isinstance(event, LoanDisbursed):
        notice = event.notice
        return _(
            "💰 Your loan {amount} was paid to account {account}. First payment {payment} on {day}."
        ).format(
            amount=money(notice.amount, currency, locale),
            account=notice.masked_account,
            payment=money(notice.first_installment, currency, locale),
            day=day(notice.first_due_date, locale),
        )
    officer = officer_name or _("a loan officer")
    texts = {
        LeadStatus.CLAIMED: _(
            "👤 {officer} is handling your application ({reference}) and will call you soon."
        ),
        LeadStatus.CONTACTED: _("📞 {officer} has contacted you about {reference}."),
        LeadStatus.VISIT_BOOKED: _("📅 {officer} booked a visit to your business ({reference})."),
        LeadStatus.COMMITTEE: _("🗂 Your application {reference} is with the loan committee."),
        LeadStatus.APPROVED: _("🎉 Your loan {reference} is approved."),
    }  # a decline is told with its reason by `OfferNotices`
    template = texts.get(event.status)
    if template is None:
        return None
    return template.format(officer=officer, reference=event.lead_id)


def forget_confirm() -> str:
    return _(
        "This deletes everything I keep about you: unfinished applications, your bank "
        "binding, your language and your lead records, and asks the bank to delete your "
        "data too (it keeps only what the law requires). Delete?"
    )


def forgotten(retained: list[RetainedRecord]) -> str:
    lines = [_("Done. I have deleted everything I kept about you.")]
    if retained:
        lines.append(_("The bank must keep by law:"))
        lines += [f"• {retained_record(record)}" for record in retained]
    return "\n".join(lines)


def retained_record(record: RetainedRecord) -> str:
    names = {
        RetainedRecord.CUSTOMER_RECORD: _("your customer record, accounts and transactions"),
        RetainedRecord.CREDIT_FILE: _("the applications that led to a loan (the credit file)"),
    }
    return names[record]


def asked(filled: Filled[ApplicationAnswers], setting: FormSetting, locale: str) -> Asked:
    question_ = APPLICATION.current(filled)
    key = question_.key
    chosen = set(APPLICATION.chosen(filled, key))
    options = tuple(
        (value, ("✓ " if value in chosen else "") + option_label(key, value, setting, locale))
        for value in APPLICATION.options(filled, setting.context)
    )
    return Asked(
        key, options, question_.multiple, APPLICATION.can_go_back(filled.at), question_.optional,
        width=1 if key == "plan" else 2,
    )  # fmt: skip


def question_text(
    filled: Filled[ApplicationAnswers], setting: FormSetting, currency: str, locale: str
) -> str:
    question_ = APPLICATION.current(filled)
    months = filled.answers.months
    longer = not_for_this_term(setting.bounds, months) if question_.key == "plan" and months else ""
    stale = APPLICATION.stale(filled, setting.context) is question_
    return "\n".join(
        [
            heading(APPLICATION.position(filled.at), APPLICATION.total,
                    section_title(question_.section)),
            *([_("What you chose before is no longer offered: please choose again.")]
              if stale else []),
            question(question_.key, setting.bounds, currency, locale),
            *(["", longer] if longer else []),
        ]
    )  # fmt: skip


def question_markup(
    filled: Filled[ApplicationAnswers], setting: FormSetting, locale: str
) -> InlineKeyboardMarkup:
    return question_keyboard(asked(filled, setting, locale), locale, ApplyStep)


def leave_markup(
    filled: Filled[ApplicationAnswers], setting: FormSetting, locale: str
) -> InlineKeyboardMarkup:
    """Back and Cancel under the phone question, whose answer is a reply-keyboard button."""
    return nav_keyboard(asked(filled, setting, locale), locale, ApplyStep)


def leave_prompt() -> str:
    return _("Or leave the application:")


def contact_keyboard() -> ReplyKeyboardMarkup:
    share = KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[share]], resize_keyboard=True, one_time_keyboard=True)


def summary(answers: ApplicationAnswers, setting: FormSetting, currency: str, locale: str) -> str:
    lines = [_("Please check your application:")]
    for section in SECTIONS:
        lines += ["", section_title(section)]
        for question_ in APPLICATION_FORM.questions:
            if question_.section != section:
                continue
            value = getattr(answers, question_.key)
            shown = (
                skipped()
                if value is None or value == ()
                else answer_text(question_.key, answers, setting, currency, locale)
            )
            lines.append(labelled(field_name(question_.key), shown))
    return "\n".join(lines)


@lru_cache(maxsize=8)
def summary_keyboard(locale: str) -> InlineKeyboardMarkup:
    """The same for everyone in a language (`locale` is the cache's key)."""
    edits = [
        button("✏️ " + section_title(section), ApplyStep(action="edit", value=section))
        for section in SECTIONS
    ]
    rows = [edits[start : start + 2] for start in range(0, len(edits), 2)]
    rows.append([button(_("✅ Submit"), ApplyStep(action="submit"))])
    rows.append([button(_("✖ Cancel"), ApplyStep(action="cancel"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@lru_cache(maxsize=8)
def consent_keyboard(locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("✅ I agree"), ApplyStep(action="agree")),
                button(_("✖ Decline"), ApplyStep(action="decline")),
            ]
        ]
    )


def resume_keyboard(start_over: bool = True) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("▶ Continue"), callback_data=ApplyStep(action="resume"))
    if start_over:
        builder.button(text=_("↺ Start over"), callback_data=ApplyStep(action="restart"))
    return builder.as_markup()


def cancel_confirm() -> str:
    return _("Cancel the application? The answers you gave so far will be deleted.")


def cancel_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🗑 Yes, delete my answers"), callback_data=ApplyStep(action="discard"))
    builder.button(text=_("▶ Continue"), callback_data=ApplyStep(action="resume"))
    builder.adjust(1)
    return builder.as_markup()


def not_now_keyboard(
    alternatives: Alternatives, currency: str, locale: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if alternatives.amount_for_term is not None:
        builder.button(
            text=_("Borrow {amount}").format(
                amount=money(alternatives.amount_for_term, currency, locale)
            ),
            callback_data=ApplyStep(action="use_amount", value=str(alternatives.amount_for_term)),
        )
    if alternatives.months_for_amount is not None:
        builder.button(
            text=ngettext(
                "Repay over {months} month",
                "Repay over {months} months",
                alternatives.months_for_amount,
            ).format(months=alternatives.months_for_amount),
            callback_data=ApplyStep(action="use_months", value=str(alternatives.months_for_amount)),
        )
    builder.button(
        text="✏️ " + section_title("loan"), callback_data=ApplyStep(action="edit", value="loan")
    )
    wait = alternatives.months_to_wait or 1
    builder.button(
        text=ngettext(
            "⏰ Remind me in {months} month", "⏰ Remind me in {months} months", wait
        ).format(months=wait),
        callback_data=ApplyStep(action="remind_later", value=str(wait)),
    )
    builder.button(text=_("✖ Cancel"), callback_data=ApplyStep(action="cancel"))
    builder.adjust(1)
    return builder.as_markup()


class ChatLeadMessenger:
    """Queues lead news for the merchant's chat, in the language they applied in; by SMS to
    the phone they applied with if they blocked the bot."""

    def __init__(
        self, outbox: Outbox, phones: PhoneBook, i18n: I18n, zone: ZoneInfo, currency: str
    ) -> None:
        self.outbox = outbox
        self.phones = phones
        self.i18n = i18n
        self.zone = zone
        self.currency = currency

    async def lead_received(self, recipient: Recipient, lead: Lead) -> None:
        with self.i18n.context(), self.i18n.use_locale(recipient.locale):
            text = lead_received(lead, self.zone, recipient.locale)
        await self.outbox.enqueue(
            OutgoingMessage(
                key=f"lead:{lead.id}:received",
                chat_id=recipient.user_id,
                text=text,
                sms_text=text,
                phone=lead.phone,
                priority=Priority.URGENT,
            )
        )

    async def lead_changed(
        self,
        recipient: Recipient,
        event: LeadStatusChanged | LoanDisbursed,
        officer_name: str | None,
        visit_at: datetime | None = None,
    ) -> None:
        with self.i18n.context(), self.i18n.use_locale(recipient.locale):
            if visit_at is not None:
                text: str | None = visit_booked(
                    event.lead_id or "", officer_name, visit_at, self.zone, recipient.locale
                )
            else:
                text = lead_status(event, officer_name, self.currency, recipient.locale)
        if text is None or event.lead_id is None:
            return
        await self.outbox.enqueue(
            OutgoingMessage(
                key=f"lead:{event.lead_id}:{event.id}",
                chat_id=recipient.user_id,
                text=text,
                sms_text=text,
                phone=await self.phones.phone_of_lead(event.lead_id),
            )
        )
