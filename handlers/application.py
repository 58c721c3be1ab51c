"""/apply: consent, twenty short questions in six sections, summary, judgement, hand-off.

The draft is the user's FSM data (`apply`): its id, the answers (strings), the question
being asked and, while editing from the summary, the section being edited. The update gate
writes it to Redis before any answer leaves, so a user can leave and resume any time until
the draft expires. /forget deletes what the bot keeps about the user.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Literal

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    TelegramObject,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import AfterValidator

from bot.config import Settings
from bot.container import Services
from bot.domain.amounts import AmountError, parse_amount
from bot.domain.application import normalized_phone
from bot.domain.judgement import Alternatives, Outcome
from bot.filters import MenuButton, RouterEntry
from bot.i18n import money
from bot.keyboards import (
    APPLY_LABEL,
    CALCULATOR_LABEL,
    HELP_LABEL,
    LANGUAGE_LABEL,
    ApplyWith,
    close_question,
    main_menu,
    note_question,
    out_of_date,
)
from bot.routing import FeatureRouter
from bot.services.applications import YES, ApplicationService, Draft, new_draft_id
from bot.services.calculator import ProductBounds
from bot.services.lead_outbox import LeadDelivery, LeadMessenger
from bot.services.reference_data import BankNotAnswering
from bot.views import application as views
from bot.views.calculator import amount_error, plan_name

TERM_CHOICES = (3, 6, 12, 18, 24)
REFERRAL = re.compile(r"ref_([A-Za-z0-9_-]{1,32})")
DURATION = re.compile(
    r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>years?|yrs?|y|年|months?|m|个月|月)?", re.IGNORECASE
)
MENU_LABELS = (APPLY_LABEL, CALCULATOR_LABEL, HELP_LABEL, LANGUAGE_LABEL)


class ApplyForm(StatesGroup):
    consent = State()
    question = State()
    summary = State()


class ForgetChoice(CallbackData, prefix="fg"):
    confirm: bool


FORGET_QUESTION = "forget"


@dataclass(frozen=True)
class Question:
    key: str
    section: str
    optional: bool = False


QUESTIONS = (
    Question("phone", "contact"),
    Question("name", "contact"),
    Question("industry", "business"),
    Question("district", "business"),
    Question("months_operating", "business"),
    Question("employees", "business", optional=True),
    Question("premises", "business"),
    Question("daily_sales", "cash_flow"),
    Question("monthly_sales", "cash_flow"),
    Question("monthly_costs", "cash_flow"),
    Question("household_spending", "cash_flow"),
    Question("assets", "assets", optional=True),
    Question("debt_payments", "assets", optional=True),
    Question("cards", "assets", optional=True),
    Question("amount", "loan"),
    Question("months", "loan"),
    Question("plan", "loan"),
    Question("purpose", "loan"),
    Question("guarantor", "other"),
    Question("call_time", "other"),
)
KEYS = tuple(question.key for question in QUESTIONS)
BY_KEY = {question.key: question for question in QUESTIONS}
FIXED_CHOICES = {
    "premises": ("owned", "rented", "stall"),
    "assets": ("home", "vehicle", "stock"),
    "guarantor": ("none", "spouse", "relative", "friend", "partner"),
    "call_time": ("morning", "afternoon", "evening", "any"),
}
BUTTON_ONLY = ("phone", "industry", "district", "premises", "assets", "plan", "guarantor",
               "call_time")  # fmt: skip
ApplyAction = Literal[
    "agree", "decline", "pick", "toggle", "done", "skip", "back", "cancel", "edit", "submit",
    "resume", "restart", "use_amount", "use_months", "remind_later",
]  # fmt: skip
SUMMARY_ACTIONS = ("edit", "submit", "use_amount", "use_months", "remind_later")


def _question_key(key: str) -> str:
    if key and key not in BY_KEY:
        raise ValueError("unknown question")
    return key


class ApplyStep(CallbackData, prefix="ap"):
    action: ApplyAction
    key: Annotated[str, AfterValidator(_question_key)] = ""  # the question it belongs to
    value: str = ""


class InvalidAnswer(ValueError):
    """`code` names the message in views.error; `detail` replaces it when given."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


class ApplyLink(Filter):
    """/start apply or /start ref_<code>: a deep link into the application."""

    async def __call__(self, message: Message) -> bool | dict[str, Any]:
        parts = (message.text or "").split(maxsplit=1)
        if len(parts) != 2 or parts[0] != "/start":
            return False
        match = REFERRAL.fullmatch(parts[1])
        if parts[1] != "apply" and match is None:
            return False
        return {"referral": match.group(1) if match else None}


class InApplication(Filter):
    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        return raw_state is not None and raw_state.startswith(ApplyForm.__full_group_name__)


class PlainAnswer(Filter):
    """Text that is an answer: not a command and not a main-menu button."""

    async def __call__(self, message: Message) -> bool:
        text = message.text or ""
        return not text.startswith("/") and all(text != str(label) for label in MENU_LABELS)


# --- context passed around ------------------------------------------------------------------


@dataclass
class Turn:
    """What every step needs: the user's state, the service and how to format."""

    state: FSMContext
    applications: ApplicationService
    settings: Settings
    locale: str
    bounds: ProductBounds

    async def draft(self) -> dict[str, Any]:
        data = await self.state.get_data()
        return dict(data.get("apply") or {})

    async def save(self, draft: dict[str, Any]) -> None:
        await self.state.update_data(apply=draft)


async def _turn(
    state: FSMContext, applications: ApplicationService, settings: Settings, locale: str
) -> Turn:
    return Turn(state, applications, settings, locale, await applications.bounds())


# --- entry ----------------------------------------------------------------------------------


async def apply(
    message: Message,
    state: FSMContext,
    locale: str,
    services: Services,
    referral: str | None = None,
    prefill: dict[str, str] | None = None,
) -> None:
    turn = await _turn(state, services.applications, services.settings, locale)
    draft = await turn.draft()
    if draft.get("answers", {}).get("consent") == YES:
        await _offer_resume(message, draft)
        return
    await state.set_state(ApplyForm.consent)
    await turn.save(
        {"id": new_draft_id(), "answers": {}, "referral": referral, "prefill": prefill or {}}
    )
    await message.answer(
        views.consent_text(services.settings.draft_ttl_days), reply_markup=_consent_keyboard(locale)
    )


async def apply_by_link(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    locale: str,
    referral: str | None,
    services: Services,
) -> None:
    await apply(message, state, locale, services, referral)


async def apply_with(
    callback: CallbackQuery,
    callback_data: ApplyWith,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    """From a calculator result: the loan's amount, term and plan are already answered."""
    bounds = await services.applications.bounds()
    fits = (
        bounds.amount_fits(callback_data.amount)
        and bounds.months_fit(callback_data.months)
        and callback_data.plan in {plan.plan_id for plan in bounds.plans}
    )
    if not isinstance(callback.message, Message) or not fits:
        await out_of_date(callback)
        return
    await callback.answer()
    loan = {"amount": str(callback_data.amount), "months": str(callback_data.months),
            "plan": callback_data.plan}  # fmt: skip
    await apply(callback.message, state, locale, services, prefill=loan)


async def _offer_resume(message: Message, draft: dict[str, Any]) -> None:
    position = _position(draft)
    builder = InlineKeyboardBuilder()
    builder.button(text=_("▶ Continue"), callback_data=ApplyStep(action="resume"))
    builder.button(text=_("↺ Start over"), callback_data=ApplyStep(action="restart"))
    await message.answer(
        views.resume_offer(position, len(QUESTIONS)), reply_markup=builder.as_markup()
    )


def _position(draft: dict[str, Any]) -> int:
    step = draft.get("step")
    return KEYS.index(step) + 1 if step in KEYS else len(QUESTIONS)


# --- answers --------------------------------------------------------------------------------


async def text_answer(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    turn = await _turn(state, services.applications, services.settings, locale)
    draft = await turn.draft()
    key = draft.get("step", "")
    if key in BUTTON_ONLY:
        code = "phone_button" if key == "phone" else "choose"
        await message.answer(views.error(code, turn.bounds, services.settings.currency, locale))
        await _ask(message, turn, draft)
        return
    try:
        value = _parse(key, message.text or "", turn.bounds)
    except InvalidAnswer as invalid:
        text = invalid.detail or views.error(
            invalid.code, turn.bounds, services.settings.currency, locale
        )
        await message.answer(text, reply_markup=await _question_keyboard(key, turn, draft))
        return
    await _accept(message, turn, draft, key, value)


async def contact_answer(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    turn = await _turn(state, services.applications, services.settings, locale)
    draft = await turn.draft()
    contact = message.contact
    if draft.get("step") != "phone" or contact is None:
        await message.answer(views.error("choose", turn.bounds, services.settings.currency, locale))
        return
    if message.from_user is None or contact.user_id != message.from_user.id:
        await message.answer(
            views.error("not_own_contact", turn.bounds, services.settings.currency, locale)
        )
        return
    phone = normalized_phone(contact.phone_number)
    if phone is None:
        await message.answer(
            views.error("bad_phone", turn.bounds, services.settings.currency, locale)
        )
        return
    await message.answer(
        _("✓ Phone {phone}").format(phone=views.answer_text("phone", phone, {}, {}, "", locale)),
        reply_markup=ReplyKeyboardRemove(),
    )
    await _accept(message, turn, draft, "phone", phone)


async def location_answer(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    turn = await _turn(state, services.applications, services.settings, locale)
    draft = await turn.draft()
    if draft.get("step") != "district" or message.location is None:
        await message.answer(views.error("choose", turn.bounds, services.settings.currency, locale))
        return
    district = await services.applications.nearest_district(
        message.location.latitude, message.location.longitude
    )
    await message.answer(_("📍 Nearest district: {name}").format(name=district.name))
    await _accept(message, turn, draft, "district", district.code)


def _parse(key: str, text: str, bounds: ProductBounds) -> str:
    text = text.strip()
    parsers = {
        "name": _parse_name,
        "months_operating": _parse_duration,
        "employees": _parse_count,
        "daily_sales": _positive_amount,
        "monthly_sales": _positive_amount,
        "monthly_costs": _any_amount,
        "household_spending": _any_amount,
        "debt_payments": _any_amount,
        "cards": _parse_cards,
        "purpose": _parse_purpose,
    }
    if key == "amount":
        return _loan_amount(text, bounds)
    if key == "months":
        return _loan_months(text, bounds)
    return parsers[key](text)


def _parse_name(text: str) -> str:
    if not 2 <= len(text) <= 40 or any(ch.isdigit() for ch in text) or text.startswith("/"):
        raise InvalidAnswer("name")
    return text


def _parse_duration(text: str) -> str:
    match = DURATION.fullmatch(text.lower())
    if match is None:
        raise InvalidAnswer("months_operating")
    number = Decimal(match["number"])
    unit = (match["unit"] or "y").lower()
    months = number if unit in ("m", "month", "months", "个月", "月") else number * 12
    if months > 1200 or months != months.to_integral_value():
        raise InvalidAnswer("months_operating")
    return str(int(months))


def _parse_count(text: str) -> str:
    cleaned = text.removesuffix("人").strip()
    if not cleaned.isdecimal() or int(cleaned) > 999:
        raise InvalidAnswer("count")
    return str(int(cleaned))


def _amount(text: str) -> Decimal:
    try:
        return parse_amount(text)
    except AmountError as error:
        raise InvalidAnswer("amount", amount_error(error)) from None


def _positive_amount(text: str) -> str:
    value = _amount(text)
    if value <= 0:
        raise InvalidAnswer("positive")
    return str(value)


def _any_amount(text: str) -> str:
    return str(_amount(text))


def _parse_cards(text: str) -> str:
    limit_text, slash, used_text = text.replace("／", "/").partition("/")
    if not slash:
        raise InvalidAnswer("cards")
    limit, used = _amount(limit_text), _amount(used_text)
    if used > limit:
        raise InvalidAnswer("card_over_limit")
    return f"{limit}/{used}"


def _parse_purpose(text: str) -> str:
    if not 2 <= len(text) <= 200:
        raise InvalidAnswer("purpose")
    return text


def _loan_amount(text: str, bounds: ProductBounds) -> str:
    value = _amount(text)
    if not bounds.amount_fits(value):
        raise InvalidAnswer("amount_range")
    return str(value)


def _loan_months(text: str, bounds: ProductBounds) -> str:
    cleaned = text.lower().removesuffix("个月").removesuffix("月").removesuffix("months").strip()
    if not cleaned.isdecimal() or not bounds.months_fit(int(cleaned)):
        raise InvalidAnswer("months")
    return cleaned


async def _accept(
    message: Message, turn: Turn, draft: dict[str, Any], key: str, value: str
) -> None:
    draft["answers"] = {**draft.get("answers", {}), key: value}
    await _advance(message, turn, draft, key)


async def _advance(message: Message, turn: Turn, draft: dict[str, Any], key: str) -> None:
    following = _next_key(key, draft.get("editing"))
    while following is not None and following in draft.get("prefill", {}):
        following = _next_key(following, draft.get("editing"))
    if following is None:
        await _show_summary(message, turn, draft)
        return
    draft["step"] = following
    await turn.save(draft)
    await _ask(message, turn, draft)


def _next_key(key: str, editing: str | None) -> str | None:
    index = KEYS.index(key) + 1
    if index >= len(KEYS):
        return None
    following = QUESTIONS[index]
    if editing is not None and following.section != editing:
        return None
    return following.key


def _previous_key(key: str) -> str | None:
    index = KEYS.index(key)
    return KEYS[index - 1] if index > 0 else None


# --- asking ---------------------------------------------------------------------------------


async def _ask(message: Message, turn: Turn, draft: dict[str, Any]) -> None:
    await turn.state.set_state(ApplyForm.question)
    key = draft["step"]
    text = "\n".join(
        [
            f"{views.progress(_position(draft), len(QUESTIONS))} · "
            f"{views.section_title(BY_KEY[key].section)}",
            views.question(key, turn.bounds, turn.settings.currency, turn.locale),
        ]
    )
    if key == "phone":
        await message.answer(text, reply_markup=_contact_keyboard())
        await message.answer(
            _("Or leave the application:"), reply_markup=_nav_markup(key, turn.locale)
        )
        return
    await message.answer(text, reply_markup=await _question_keyboard(key, turn, draft))


async def _question_keyboard(key: str, turn: Turn, draft: dict[str, Any]) -> InlineKeyboardMarkup:
    return _keyboard_for(key, turn.locale, tuple(await _options(key, turn, draft)))


@lru_cache(maxsize=1024)
def _keyboard_for(
    key: str, locale: str, options: tuple[tuple[str, str], ...]
) -> InlineKeyboardMarkup:
    """The same for everyone at this question in this language (`locale` is the cache's key):
    built once, as building buttons costs more than the rest of a step."""
    action = "toggle" if key == "assets" else "pick"
    buttons = [
        _button(label, ApplyStep(action=action, key=key, value=value)) for value, label in options
    ]
    if key == "assets":
        buttons.append(_button(_("Done"), ApplyStep(action="done", key=key)))
    width = 1 if key == "plan" else 2
    rows = [buttons[start : start + width] for start in range(0, len(buttons), width)]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, _nav_row(key)])


@lru_cache(maxsize=128)
def _nav_markup(key: str, locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[_nav_row(key)])


def _nav_row(key: str) -> list[InlineKeyboardButton]:
    row = []
    if key in KEYS and _previous_key(key) is not None:
        row.append(_button(_("◀ Back"), ApplyStep(action="back", key=key)))
    if key in BY_KEY and BY_KEY[key].optional:
        row.append(_button(_("Skip ▶"), ApplyStep(action="skip", key=key)))
    row.append(_button(_("✖ Cancel"), ApplyStep(action="cancel")))
    return row


def _button(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _contact_keyboard() -> ReplyKeyboardMarkup:
    button = KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)
    return ReplyKeyboardMarkup(keyboard=[[button]], resize_keyboard=True, one_time_keyboard=True)


async def _options(key: str, turn: Turn, draft: dict[str, Any]) -> list[tuple[str, str]]:
    if key == "industry":
        return [(i.code, i.name) for i in await turn.applications.industries()]
    if key == "district":
        return [(d.code, d.name) for d in await turn.applications.districts()]
    if key == "months":
        terms = [m for m in TERM_CHOICES if turn.bounds.months_fit(m)]
        return [(str(m), _("{months} months").format(months=m)) for m in terms]
    if key == "plan":
        return [(plan.plan_id, plan_name(plan)) for plan in turn.bounds.plans]
    if key == "assets":
        chosen = set(draft.get("answers", {}).get("assets", "").split(","))
        return [
            (value, ("✓ " if value in chosen else "") + views.choice_label(key, value))
            for value in FIXED_CHOICES[key]
        ]
    return [(value, views.choice_label(key, value)) for value in FIXED_CHOICES.get(key, ())]


# --- summary and outcome --------------------------------------------------------------------


async def _show_summary(message: Message, turn: Turn, draft: dict[str, Any]) -> None:
    draft["step"] = "summary"
    draft["editing"] = None
    await turn.save(draft)
    await turn.state.set_state(ApplyForm.summary)
    await message.answer(
        await _summary_text(turn, draft), reply_markup=_summary_keyboard(turn.locale)
    )


async def _summary_text(turn: Turn, draft: dict[str, Any]) -> str:
    answers = draft.get("answers", {})
    districts = {d.code: d for d in await turn.applications.districts()}
    industries = {i.code: i for i in await turn.applications.industries()}
    lines = [_("Please check your application:")]
    for section in views.SECTIONS:
        lines += ["", views.section_title(section)]
        for question in QUESTIONS:
            if question.section != section:
                continue
            value = answers.get(question.key, "")
            shown = (
                views.answer_text(
                    question.key, value, districts, industries, turn.settings.currency, turn.locale
                )
                if value
                else views.skipped()
            )
            lines.append(f"{views.field_name(question.key)}: {shown}")
    return "\n".join(lines)


@lru_cache(maxsize=8)
def _summary_keyboard(locale: str) -> InlineKeyboardMarkup:
    """The same for everyone in a language (`locale` is the cache's key)."""
    edits = [
        _button("✏️ " + views.section_title(section), ApplyStep(action="edit", value=section))
        for section in views.SECTIONS
    ]
    rows = [edits[start : start + 2] for start in range(0, len(edits), 2)]
    rows.append([_button(_("✅ Submit"), ApplyStep(action="submit"))])
    rows.append([_button(_("✖ Cancel"), ApplyStep(action="cancel"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


@lru_cache(maxsize=8)
def _consent_keyboard(locale: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _button(_("✅ I agree"), ApplyStep(action="agree")),
                _button(_("✖ Decline"), ApplyStep(action="decline")),
            ]
        ]
    )


async def _submit(
    message: Message,
    turn: Turn,
    draft: dict[str, Any],
    user_id: int,
    delivery: LeadDelivery,
    lead_messenger: LeadMessenger,
) -> None:
    saved = Draft(draft["id"], draft.get("answers", {}), draft.get("referral"))
    result = await turn.applications.submit(saved, user_id, turn.locale)
    if result.judgement.outcome is Outcome.NOT_NOW:
        await message.answer(
            views.not_now(result.judgement, turn.settings.currency, turn.locale),
            reply_markup=_not_now_keyboard(result.judgement.alternatives, turn),
        )
        return
    await turn.state.clear()
    if not result.enqueued:
        await message.answer(views.already_sent(), reply_markup=main_menu())
        return
    bank_was_down = await delivery.bank_down()
    text = views.saved_until_bank_returns() if bank_was_down else views.received()
    await message.answer(text, reply_markup=main_menu())
    # One lead (the oldest waiting) per Submit: with many merchants submitting at once each
    # hands one to the bank instead of all of them racing for the whole stream; the worker
    # (`LeadDelivery.run`) takes whatever is left.
    await delivery.deliver_new(lead_messenger, count=1)
    if not bank_was_down and await delivery.bank_down():
        await message.answer(views.saved_until_bank_returns())


def _not_now_keyboard(alternatives: Alternatives, turn: Turn) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if alternatives.amount_for_term is not None:
        builder.button(
            text=_("Borrow {amount}").format(
                amount=money(alternatives.amount_for_term, turn.settings.currency, turn.locale)
            ),
            callback_data=ApplyStep(action="use_amount", value=str(alternatives.amount_for_term)),
        )
    if alternatives.months_for_amount is not None:
        builder.button(
            text=_("Repay over {months} months").format(months=alternatives.months_for_amount),
            callback_data=ApplyStep(action="use_months", value=str(alternatives.months_for_amount)),
        )
    edit_loan = ApplyStep(action="edit", value="loan")
    builder.button(text="✏️ " + views.section_title("loan"), callback_data=edit_loan)
    wait = alternatives.months_to_wait or 1
    builder.button(
        text=_("⏰ Remind me in {months} months").format(months=wait),
        callback_data=ApplyStep(action="remind_later", value=str(wait)),
    )
    builder.button(text=_("✖ Cancel"), callback_data=ApplyStep(action="cancel"))
    builder.adjust(1)
    return builder.as_markup()


# --- buttons --------------------------------------------------------------------------------


async def button(
    callback: CallbackQuery,
    callback_data: ApplyStep,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    message = callback.message
    current = await state.get_state()
    if not isinstance(message, Message) or current is None:
        await out_of_date(callback)
        return
    turn = await _turn(state, services.applications, services.settings, locale)
    draft = await turn.draft()
    if not await _offered(callback_data, current, turn, draft):
        await out_of_date(callback)
        return
    await callback.answer()
    await message.edit_reply_markup(reply_markup=None)
    action = callback_data.action
    if action == "submit":
        await _submit(
            message, turn, draft, callback.from_user.id, services.delivery, services.lead_messenger
        )
        return
    await ACTIONS[action](message, turn, draft, callback_data)


async def _offered(data: ApplyStep, current: str, turn: Turn, draft: dict[str, Any]) -> bool:
    """Whether the user is where this button was offered, with a value it could carry."""
    if data.action in ("agree", "decline"):
        return current == ApplyForm.consent.state
    if data.action in ("resume", "restart"):
        in_form = current.startswith(ApplyForm.__full_group_name__)
        return in_form and draft.get("answers", {}).get("consent") == YES
    if data.action == "cancel":
        return current.startswith(ApplyForm.__full_group_name__)
    if data.action in SUMMARY_ACTIONS:
        return current == ApplyForm.summary.state and _summary_value_fits(data, turn.bounds)
    at_question = current == ApplyForm.question.state and draft.get("step") in KEYS
    return at_question and data.key == draft["step"] and await _answer_fits(data, turn, draft)


def _summary_value_fits(data: ApplyStep, bounds: ProductBounds) -> bool:
    try:
        if data.action == "use_amount":
            _loan_amount(data.value, bounds)
        elif data.action == "use_months":
            _loan_months(data.value, bounds)
    except InvalidAnswer:
        return False
    if data.action == "edit":
        return data.value in views.SECTIONS
    if data.action == "remind_later":
        return data.value.isdecimal() and 0 < int(data.value) <= 24
    return True


async def _answer_fits(data: ApplyStep, turn: Turn, draft: dict[str, Any]) -> bool:
    key = data.key
    if data.action == "pick":
        options = await _options(key, turn, draft)
        return key != "assets" and data.value in {value for value, _label in options}
    if data.action == "toggle":
        return key == "assets" and data.value in FIXED_CHOICES["assets"]
    if data.action == "done":
        return key == "assets"
    if data.action == "skip":
        return BY_KEY[key].optional
    return _previous_key(key) is not None  # back


async def _agree(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    draft["answers"] = {"consent": YES, **draft.get("prefill", {})}
    draft["step"] = "phone"
    await turn.save(draft)
    await _ask(message, turn, draft)


async def _decline(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    await turn.state.clear()
    await message.answer(views.declined(), reply_markup=main_menu())


async def _cancel(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    await turn.state.clear()
    await message.answer(views.cancelled(), reply_markup=main_menu())


async def _pick(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    await _accept(message, turn, draft, data.key, data.value)


async def _toggle(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    answers = draft.setdefault("answers", {})
    chosen = {item for item in answers.get("assets", "").split(",") if item} ^ {data.value}
    answers["assets"] = ",".join(v for v in FIXED_CHOICES["assets"] if v in chosen)
    await turn.save(draft)
    await _ask(message, turn, draft)


async def _done(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    await _advance(message, turn, draft, data.key)


async def _skip(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    await _accept(message, turn, draft, data.key, "")


async def _back(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    previous = _previous_key(data.key)
    assert previous is not None  # _answer_fits offers Back only after the first question
    if draft.get("editing") and BY_KEY[previous].section != draft["editing"]:
        await _show_summary(message, turn, draft)
        return
    draft["step"] = previous
    await turn.save(draft)
    await _ask(message, turn, draft)


async def _edit(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    draft["editing"] = data.value
    draft["step"] = next(q.key for q in QUESTIONS if q.section == data.value)
    await turn.save(draft)
    await _ask(message, turn, draft)


async def _resume(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    if draft.get("step") in KEYS:
        await _ask(message, turn, draft)
    else:
        await _show_summary(message, turn, draft)


async def _restart(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    draft = {"id": new_draft_id(), "answers": {"consent": YES}, "step": "phone",
             "referral": draft.get("referral"), "prefill": {}}  # fmt: skip
    await turn.save(draft)
    await _ask(message, turn, draft)


async def _use_amount(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    draft["answers"]["amount"] = _loan_amount(data.value, turn.bounds)
    await _show_summary(message, turn, draft)


async def _use_months(message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep) -> None:
    draft["answers"]["months"] = _loan_months(data.value, turn.bounds)
    await _show_summary(message, turn, draft)


async def _remind_later(
    message: Message, turn: Turn, draft: dict[str, Any], data: ApplyStep
) -> None:
    months = int(data.value)
    day = await turn.applications.remind_later(message.chat.id, turn.locale, months)
    await turn.state.clear()
    await message.answer(views.reminder_scheduled(day, turn.locale), reply_markup=main_menu())


ACTIONS = {
    "agree": _agree,
    "decline": _decline,
    "cancel": _cancel,
    "pick": _pick,
    "toggle": _toggle,
    "done": _done,
    "skip": _skip,
    "back": _back,
    "edit": _edit,
    "resume": _resume,
    "restart": _restart,
    "use_amount": _use_amount,
    "use_months": _use_months,
    "remind_later": _remind_later,
}


# --- leaving, resuming, forgetting ----------------------------------------------------------


async def cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(views.cancelled(), reply_markup=main_menu())


async def start_with_draft(message: Message, state: FSMContext) -> None:
    draft = dict((await state.get_data()).get("apply") or {})
    if draft.get("answers", {}).get("consent") != YES:
        await state.clear()
        await message.answer(views.cancelled(), reply_markup=main_menu())
        return
    await _offer_resume(message, draft)


async def forget(message: Message, state: FSMContext) -> None:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🗑 Delete everything"), callback_data=ForgetChoice(confirm=True))
    builder.button(text=_("Keep"), callback_data=ForgetChoice(confirm=False))
    await note_question(state, FORGET_QUESTION)
    await message.answer(views.forget_confirm(), reply_markup=builder.as_markup())


async def forget_chosen(
    callback: CallbackQuery, callback_data: ForgetChoice, state: FSMContext, services: Services
) -> None:
    if not await close_question(state, FORGET_QUESTION):
        await out_of_date(callback)
        return
    await callback.answer()
    message = callback.message
    if not isinstance(message, Message):
        return
    await message.edit_reply_markup(reply_markup=None)
    if not callback_data.confirm:
        await message.answer(_("Nothing was deleted."), reply_markup=main_menu())
        return
    draft = dict((await state.get_data()).get("apply") or {})
    phone = draft.get("answers", {}).get("phone")
    report = await services.applications.forget(callback.from_user.id, phone)
    await state.clear()
    await services.preferences.forget(callback.from_user.id)
    await message.answer(
        views.forgotten(report.retained if report else []), reply_markup=main_menu()
    )


async def _bank_not_answering(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """Any step that needed the bank when it did not answer and there was no copy to use."""
    try:
        return await handler(event, data)
    except BankNotAnswering:
        message = event.message if isinstance(event, CallbackQuery) else event
        if isinstance(event, CallbackQuery):
            with suppress(TelegramBadRequest):  # the step may have answered it already
                await event.answer()
        if isinstance(message, Message):
            await message.answer(views.bank_not_answering())
        return None


def build_router() -> Router:
    router = FeatureRouter(name="application")
    router.message.middleware(_bank_not_answering)
    router.callback_query.middleware(_bank_not_answering)
    router.message.filter(
        RouterEntry(
            commands=("apply", "forget", "start", "cancel"),
            labels=(APPLY_LABEL,),
            forms=(ApplyForm,),
        )
    )
    # Answers first: most messages here are answers, and an answer is never a command or a
    # menu button (PlainAnswer), so the handlers below never see one anyway.
    asking = StateFilter(ApplyForm.question)  # a bare State would be called in a thread
    router.message.register(text_answer, asking, HasContent("text"), PlainAnswer())
    router.message.register(contact_answer, asking, HasContent("contact"))
    router.message.register(location_answer, asking, HasContent("location"))
    router.message.register(apply_by_link, CommandStart(deep_link=True), ApplyLink())
    router.message.register(start_with_draft, CommandStart(), InApplication())
    router.message.register(cancel, Command("cancel"), InApplication())
    router.message.register(apply, Command("apply"))
    router.message.register(apply, MenuButton(APPLY_LABEL))
    router.message.register(forget, Command("forget"))
    router.callback_query.register(button, ApplyStep.filter())
    router.callback_query.register(forget_chosen, ForgetChoice.filter())
    router.callback_query.register(apply_with, ApplyWith.filter())
    return router


class HasContent(Filter):
    def __init__(self, kind: str) -> None:
        self.kind = kind

    async def __call__(self, message: Message) -> bool:
        return getattr(message, self.kind) is not None
