"""/apply: consent, then the application form (bot.domain.application_form) walked by the
form engine, the summary, judgement and hand-off. /forget deletes what the bot keeps.

This module only wires updates to the engine: the draft (a typed `ApplicationDraft`) is the
user's FSM data `apply`, and the truth about where they are; the FSM state (consent,
question, summary) routes their messages. The update gate writes the draft to Redis before
any answer leaves, so a user can leave (for /calc, another language, a restart) and resume
until the draft expires.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, CommandStart, Filter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove, TelegramObject
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.container import Services
from bot.domain.application import normalized_phone
from bot.domain.application_form import (
    APPLICATION,
    ApplicationAnswers,
    ApplicationDraft,
    SharedLocation,
    new_draft_id,
)
from bot.domain.forms.definition import Filled, Invalid, NotOffered, Position
from bot.domain.judgement import Outcome
from bot.filters import MenuButton, RouterEntry
from bot.keyboards import (
    APPLY_LABEL,
    CALCULATOR_LABEL,
    HELP_LABEL,
    LANGUAGE_LABEL,
    ApplyWith,
    LanguageChoice,
    close_question,
    main_menu,
    note_question,
    out_of_date,
)
from bot.routing import FeatureRouter
from bot.services.applications import FormSetting
from bot.services.reference_data import BankNotAnswering
from bot.views import application as views
from bot.views.application import ApplyStep
from handlers.common import switch_language

REFERRAL = re.compile(r"ref_([A-Za-z0-9_-]{1,32})")
MENU_LABELS = (APPLY_LABEL, CALCULATOR_LABEL, HELP_LABEL, LANGUAGE_LABEL)
AT_SUMMARY = ("edit", "submit", "use_amount", "use_months", "remind_later")


class ApplyForm(StatesGroup):
    consent = State()
    question = State()
    summary = State()


class ForgetChoice(CallbackData, prefix="fg"):
    confirm: bool


FORGET_QUESTION = "forget"


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


class PausedDraft(Filter):
    """No flow under way, and an application the merchant agreed to waits to be resumed."""

    async def __call__(
        self, event: TelegramObject, state: FSMContext, raw_state: str | None = None
    ) -> bool:
        saved = (await state.get_data()).get("apply")
        return (
            raw_state is None and bool(saved) and ApplicationDraft.model_validate(saved).consented
        )


class PlainAnswer(Filter):
    """Text that is an answer: not a command and not a main-menu button."""

    async def __call__(self, message: Message) -> bool:
        text = message.text or ""
        return not text.startswith("/") and all(text != str(label) for label in MENU_LABELS)


class HasContent(Filter):
    def __init__(self, kind: str) -> None:
        self.kind = kind

    async def __call__(self, message: Message) -> bool:
        return getattr(message, self.kind) is not None


# --- the user's draft and turn ----------------------------------------------------------


@dataclass
class Turn:
    """What every step needs: the user's state, the services, the language, the setting."""

    state: FSMContext
    services: Services
    locale: str
    setting: FormSetting

    @property
    def currency(self) -> str:
        return self.services.settings.currency

    async def draft(self) -> ApplicationDraft | None:
        saved = (await self.state.get_data()).get("apply")
        return ApplicationDraft.model_validate(saved) if saved else None

    async def save(self, draft: ApplicationDraft) -> None:
        await self.state.update_data(apply=draft.model_dump(mode="json"))

    async def end(self) -> None:
        await self.state.clear()


async def _turn(state: FSMContext, locale: str, services: Services) -> Turn:
    return Turn(state, services, locale, await services.applications.setting())


def _filled(draft: ApplicationDraft) -> Filled[ApplicationAnswers]:
    return Filled(draft.answers, draft.at)


def _moved(draft: ApplicationDraft, filled: Filled[ApplicationAnswers]) -> ApplicationDraft:
    return draft.model_copy(update={"answers": filled.answers, "at": filled.at})


# --- entry ------------------------------------------------------------------------------


async def apply(
    message: Message,
    state: FSMContext,
    locale: str,
    services: Services,
    referral: str | None = None,
    loan: ApplicationAnswers | None = None,
) -> None:
    turn = await _turn(state, locale, services)
    draft = await turn.draft()
    if draft is not None and draft.consented:
        await _offer_resume(message, draft)
        return
    given = frozenset(loan.model_dump(exclude_none=True)) if loan else frozenset()
    draft = ApplicationDraft(
        id=new_draft_id(),
        referral=referral,
        answers=loan or ApplicationAnswers(),
        at=Position(given=given),
    )
    await turn.save(draft)
    await _show(message, turn, draft)


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
    loan = ApplicationAnswers(
        amount=callback_data.amount, months=callback_data.months, plan=callback_data.plan
    )
    await apply(callback.message, state, locale, services, loan=loan)


async def _offer_resume(message: Message, draft: ApplicationDraft) -> None:
    await message.answer(
        views.resume_offer(APPLICATION.position(draft.at), APPLICATION.total),
        reply_markup=views.resume_keyboard(),
    )


# --- showing where the user is ----------------------------------------------------------


async def _show(message: Message, turn: Turn, draft: ApplicationDraft) -> None:
    """Consent, the current question or the summary: in the user's language, as now. An
    answer no longer offered (a plan that does not fit the term changed since) is asked
    again before the summary."""
    if not draft.consented:
        await turn.state.set_state(ApplyForm.consent)
        await message.answer(
            views.consent_text(turn.services.settings.draft_ttl_days),
            reply_markup=views.consent_keyboard(turn.locale),
        )
        return
    filled = APPLICATION.recheck(_filled(draft), turn.setting.context)
    if filled.at != draft.at:
        await turn.save(_moved(draft, filled))
    if filled.reviewing:
        await turn.state.set_state(ApplyForm.summary)
        await message.answer(
            views.summary(draft.answers, turn.setting, turn.currency, turn.locale),
            reply_markup=views.summary_keyboard(turn.locale),
        )
        return
    await turn.state.set_state(ApplyForm.question)
    text = views.question_text(filled, turn.setting, turn.currency, turn.locale)
    if filled.at.step == "phone":
        await message.answer(text, reply_markup=views.contact_keyboard())
        await message.answer(
            views.leave_prompt(), reply_markup=views.leave_markup(filled, turn.setting, turn.locale)
        )
        return
    await message.answer(
        text, reply_markup=views.question_markup(filled, turn.setting, turn.locale)
    )


async def _move(message: Message, turn: Turn, draft: ApplicationDraft) -> None:
    await turn.save(draft)
    await _show(message, turn, draft)


# --- answers ----------------------------------------------------------------------------


async def text_answer(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    turn = await _turn(state, locale, services)
    draft = await turn.draft()
    if draft is None or not draft.consented or draft.at.step is None:
        await turn.end()
        await message.answer(views.cancelled(), reply_markup=main_menu())
        return
    filled = _filled(draft)
    try:
        moved = APPLICATION.type(filled, message.text or "", turn.setting.context)
    except Invalid as invalid:
        text = views.error_text(invalid, turn.setting.bounds, turn.currency, locale)
        if APPLICATION.current(filled).read is None:  # buttons only: say so, ask again
            await message.answer(text)
            await _show(message, turn, draft)
            return
        await message.answer(
            text, reply_markup=views.question_markup(filled, turn.setting, turn.locale)
        )
        return
    await _move(message, turn, _moved(draft, moved))


async def contact_answer(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    turn = await _turn(state, locale, services)
    draft = await turn.draft()
    contact = message.contact
    if draft is None or draft.at.step != "phone" or contact is None:
        await message.answer(views.error("choose", turn.setting.bounds, turn.currency, locale))
        return
    if message.from_user is None or contact.user_id != message.from_user.id:
        await message.answer(
            views.error("not_own_contact", turn.setting.bounds, turn.currency, locale)
        )
        return
    phone = normalized_phone(contact.phone_number)
    if phone is None:
        await message.answer(views.error("bad_phone", turn.setting.bounds, turn.currency, locale))
        return
    moved = APPLICATION.give(_filled(draft), "phone", phone)
    shown = views.answer_text("phone", moved.answers, turn.setting, turn.currency, locale)
    await message.answer(
        _("✓ Phone {phone}").format(phone=shown), reply_markup=ReplyKeyboardRemove()
    )
    await _move(message, turn, _moved(draft, moved))


async def location_answer(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    turn = await _turn(state, locale, services)
    draft = await turn.draft()
    if draft is None or draft.at.step != "district" or message.location is None:
        await message.answer(views.error("choose", turn.setting.bounds, turn.currency, locale))
        return
    district = await services.applications.nearest_district(
        message.location.latitude, message.location.longitude
    )
    shared = SharedLocation(
        latitude=message.location.latitude, longitude=message.location.longitude
    )
    draft = draft.model_copy(
        update={"answers": draft.answers.model_copy(update={"location": shared})}
    )
    await message.answer(
        _("📍 Nearest district: {name}").format(name=views.reference_label(district, locale))
    )
    moved = APPLICATION.give(_filled(draft), "district", district.code)
    await _move(message, turn, _moved(draft, moved))


# --- buttons ----------------------------------------------------------------------------


async def button(
    callback: CallbackQuery,
    callback_data: ApplyStep,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    message = callback.message
    turn = await _turn(state, locale, services)
    draft = await turn.draft()
    current = await state.get_state()
    if (
        not isinstance(message, Message)
        or draft is None
        or not _fits(callback_data, current, draft)
    ):
        await out_of_date(callback)
        return
    try:
        moved = _engine_step(callback_data, draft, turn.setting)
    except NotOffered:
        await out_of_date(callback)
        return
    await callback.answer()
    await message.edit_reply_markup(reply_markup=None)
    if moved is not None:
        await _move(message, turn, moved)
        return
    await ACTIONS[callback_data.action](message, turn, draft, callback_data)


def _fits(data: ApplyStep, current: str | None, draft: ApplicationDraft) -> bool:
    """Whether the user is where this button was offered. Resume, restart and cancel go
    with the kept draft, wherever the user went since (the calculator, another command)."""
    if data.action in ("agree", "decline"):
        return current == ApplyForm.consent.state and not draft.consented
    if data.action in ("resume", "restart"):
        return draft.consented
    if data.action in ("cancel", "discard"):
        return draft.consented or current == ApplyForm.consent.state
    if data.action in AT_SUMMARY:
        return current == ApplyForm.summary.state and draft.at.step is None
    return current == ApplyForm.question.state and draft.at.step is not None


def _engine_step(
    data: ApplyStep, draft: ApplicationDraft, setting: FormSetting
) -> ApplicationDraft | None:
    """The draft after a navigation or answer button; None for the other actions. Raises
    NotOffered when the button does not fit the draft."""
    filled, context = _filled(draft), setting.context
    moves: dict[str, Callable[[], Filled[ApplicationAnswers]]] = {
        "pick": lambda: APPLICATION.pick(filled, data.key, data.value, context),
        "toggle": lambda: APPLICATION.toggle(filled, data.key, data.value, context),
        "done": lambda: APPLICATION.done(filled, data.key),
        "skip": lambda: APPLICATION.skip(filled, data.key),
        "back": lambda: APPLICATION.back(filled, data.key),
        "edit": lambda: APPLICATION.edit(filled, data.value),
        "use_amount": lambda: APPLICATION.change(filled, "amount", data.value, context),
        "use_months": lambda: APPLICATION.change(filled, "months", data.value, context),
    }
    if data.action == "remind_later" and not (data.value.isdecimal() and 0 < int(data.value) <= 24):
        raise NotOffered(data.value)
    move = moves.get(data.action)
    return _moved(draft, move()) if move else None


Action = Callable[[Message, Turn, ApplicationDraft, ApplyStep], Awaitable[None]]


async def _agree(message: Message, turn: Turn, draft: ApplicationDraft, data: ApplyStep) -> None:
    begun = APPLICATION.begin(draft.answers, draft.at.given)
    await _move(message, turn, _moved(draft.model_copy(update={"consented": True}), begun))


async def _decline(message: Message, turn: Turn, draft: ApplicationDraft, data: ApplyStep) -> None:
    await turn.end()
    await message.answer(views.declined(), reply_markup=main_menu())


async def _cancel(message: Message, turn: Turn, draft: ApplicationDraft, data: ApplyStep) -> None:
    if not draft.consented:  # nothing answered yet: nothing to lose
        await _discard(message, turn, draft, data)
        return
    await message.answer(views.cancel_confirm(), reply_markup=views.cancel_keyboard())


async def _discard(message: Message, turn: Turn, draft: ApplicationDraft, data: ApplyStep) -> None:
    await turn.end()
    await message.answer(views.cancelled(), reply_markup=main_menu())


async def _resume(message: Message, turn: Turn, draft: ApplicationDraft, data: ApplyStep) -> None:
    await _show(message, turn, draft)


async def _restart(message: Message, turn: Turn, draft: ApplicationDraft, data: ApplyStep) -> None:
    fresh = ApplicationDraft(id=new_draft_id(), referral=draft.referral, consented=True)
    await _move(message, turn, _moved(fresh, APPLICATION.begin(fresh.answers)))


async def _submit(message: Message, turn: Turn, draft: ApplicationDraft, data: ApplyStep) -> None:
    applications = turn.services.applications
    user_id = message.chat.id
    result = await applications.submit(draft, user_id, turn.locale)
    if result.judgement.outcome is Outcome.NOT_NOW:
        await message.answer(
            views.not_now(result.judgement, turn.currency, turn.locale),
            reply_markup=views.not_now_keyboard(
                result.judgement.alternatives, turn.currency, turn.locale
            ),
        )
        return
    await turn.end()
    if not result.enqueued:
        await message.answer(views.already_sent(), reply_markup=main_menu())
        return
    text = views.saved_until_bank_returns() if result.bank_was_down else views.received()
    await message.answer(text, reply_markup=main_menu())
    if await applications.hand_to_bank(result):
        await message.answer(views.saved_until_bank_returns())


async def _remind_later(
    message: Message, turn: Turn, draft: ApplicationDraft, data: ApplyStep
) -> None:
    day = await turn.services.applications.remind_later(
        message.chat.id, turn.locale, int(data.value)
    )
    await turn.end()
    await message.answer(views.reminder_scheduled(day, turn.locale), reply_markup=main_menu())


ACTIONS: dict[str, Action] = {
    "agree": _agree,
    "decline": _decline,
    "cancel": _cancel,
    "discard": _discard,
    "resume": _resume,
    "restart": _restart,
    "submit": _submit,
    "remind_later": _remind_later,
}


# --- leaving, resuming, another language ------------------------------------------------


async def cancel(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    turn = await _turn(state, locale, services)
    draft = await turn.draft()
    if draft is not None and draft.consented:
        await message.answer(views.cancel_confirm(), reply_markup=views.cancel_keyboard())
        return
    await turn.end()
    await message.answer(views.cancelled(), reply_markup=main_menu())


async def start_with_draft(message: Message, state: FSMContext) -> None:
    saved = (await state.get_data()).get("apply")
    draft = ApplicationDraft.model_validate(saved) if saved else None
    if draft is None or not draft.consented:
        await state.clear()
        await message.answer(views.cancelled(), reply_markup=main_menu())
        return
    await _offer_resume(message, draft)


async def language_in_form(
    callback: CallbackQuery,
    callback_data: LanguageChoice,
    state: FSMContext,
    i18n: I18n,
    services: Services,
) -> None:
    """/language mid-form: the same place in the form, now in the new language."""
    await switch_language(callback, callback_data.locale, i18n, services)
    if not isinstance(callback.message, Message):
        return
    with i18n.use_locale(callback_data.locale):
        turn = await _turn(state, callback_data.locale, services)
        draft = await turn.draft()
        if draft is None:
            await turn.end()
            await callback.message.answer(views.cancelled(), reply_markup=main_menu())
            return
        await _show(callback.message, turn, draft)


async def language_with_draft_waiting(
    callback: CallbackQuery,
    callback_data: LanguageChoice,
    state: FSMContext,
    i18n: I18n,
    services: Services,
) -> None:
    """/language with the application paused: say it waits, in the new language."""
    await switch_language(callback, callback_data.locale, i18n, services)
    draft = await (await _turn(state, callback_data.locale, services)).draft()
    if draft is None or not isinstance(callback.message, Message):
        return
    with i18n.use_locale(callback_data.locale):
        await callback.message.answer(
            views.waiting(APPLICATION.position(draft.at), APPLICATION.total),
            reply_markup=views.resume_keyboard(start_over=False),
        )


# --- forgetting -------------------------------------------------------------------------


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
    saved = (await state.get_data()).get("apply")
    phone = ApplicationDraft.model_validate(saved).answers.phone if saved else None
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
    in_form = StateFilter(ApplyForm.consent, ApplyForm.question, ApplyForm.summary)
    router.callback_query.register(language_in_form, LanguageChoice.filter(), in_form)
    router.callback_query.register(
        language_with_draft_waiting, LanguageChoice.filter(), PausedDraft()
    )
    return router
