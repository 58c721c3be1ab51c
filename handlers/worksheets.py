"""The worksheet: the lead's officer fills it in on the form engine (Back, Edit, resumable:
the draft waits in Redis), saves a version at the bank; the co-investigator reviews the
latest version and confirms or dissents with a note.

Callback data is never trusted: the officer is looked up by chat, the lead at the bank, the
form's button against the draft; the bank alone decides who may review and when.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.container import Services
from bot.domain.forms.definition import Filled, Invalid, NotOffered
from bot.domain.worksheet_form import WORKSHEET, WorksheetAnswers, WorksheetDraft, days_problem
from bot.domain.worksheet_form import to_worksheet as complete
from bot.filters import RouterEntry
from bot.keyboards import out_of_date
from bot.routing import FeatureRouter
from bot.services.officers.staff import DeskError, Refused, StaffMember
from bot.services.worksheets import WorksheetDesk
from bot.state import leave_flow
from bot.views import worksheets as views
from bot.views.officers import not_yours
from bot.views.worksheets import (
    WORKSHEET_PREFIXES,
    OpenVerb,
    WorksheetOpen,
    WorksheetStep,
    WorksheetVerdict,
)
from handlers.officers import not_staff_text
from integrations.bank.worksheet_models import ReviewVerdict

LEAD = "worksheet_lead"  # FSM data: the lead whose worksheet the officer is filling in
DISSENT = "worksheet_dissent"  # FSM data: the lead and version a dissent's note is for


class WorksheetForm(StatesGroup):
    question = State()
    review = State()
    dissent_note = State()


@dataclass(frozen=True)
class Desk:
    """One officer at the worksheet: who, the service, the chat's state and language."""

    member: StaffMember
    worksheets: WorksheetDesk
    state: FSMContext
    locale: str
    currency: str

    async def draft(self) -> WorksheetDraft | None:
        lead_id = (await self.state.get_data()).get(LEAD)
        if not isinstance(lead_id, str):
            return None
        lead = await self.worksheets.presenter_lead(self.member, lead_id)
        return await self.worksheets.draft(self.member, lead)


async def _desk(user_id: int, state: FSMContext, locale: str, services: Services) -> Desk | None:
    member = await services.officers.directory.by_chat(user_id)
    if member is None:
        return None
    return Desk(member, services.worksheets, state, locale, services.settings.currency)


# --- the lead card's buttons ----------------------------------------------------------------


async def open_worksheet(
    callback: CallbackQuery,
    callback_data: WorksheetOpen,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    desk = await _desk(callback.from_user.id, state, locale, services)
    if desk is None:
        await callback.answer(not_staff_text(), show_alert=True)
        return
    if not isinstance(callback.message, Message):
        await out_of_date(callback)
        return
    try:
        if callback_data.action is OpenVerb.FILL:
            await _fill(callback.message, desk, callback_data.lead)
        else:
            await _show_latest(callback.message, desk, callback_data.lead)
    except Refused:
        await callback.answer(not_yours(), show_alert=True)
        return
    except DeskError as error:
        await callback.answer(views.refusal_text(error.code), show_alert=True)
        return
    await callback.answer()


async def _fill(message: Message, desk: Desk, lead_id: str) -> None:
    lead = await desk.worksheets.presenter_lead(desk.member, lead_id)
    draft = await desk.worksheets.draft(desk.member, lead)
    await leave_flow(desk.state)
    await desk.state.update_data({LEAD: lead.id})
    await _move(message, desk, draft)


async def _show_latest(message: Message, desk: Desk, lead_id: str) -> None:
    assessment = await desk.worksheets.latest_assessment(desk.member, lead_id)
    if assessment is None or assessment.version is None:
        await message.answer(views.no_worksheet_text(lead_id))
        return
    presenter = await desk.worksheets.officer_name(assessment.version.officer_id)
    text = views.co_review_text(assessment, presenter, desk.currency, desk.locale)
    markup = None
    if desk.member.officer_id == assessment.lead.co_officer_id:
        markup = views.co_review_keyboard(lead_id, assessment.version.version)
    await message.answer(text, reply_markup=markup)


# --- the form -------------------------------------------------------------------------------


async def _move(message: Message, desk: Desk, draft: WorksheetDraft) -> None:
    await desk.worksheets.keep(desk.member, draft)
    await _show(message, desk, draft)


async def _show(message: Message, desk: Desk, draft: WorksheetDraft) -> None:
    filled = draft.filled
    if not filled.reviewing:
        await desk.state.set_state(WorksheetForm.question)
        await message.answer(
            views.question_text(filled, draft.lead_id),
            reply_markup=views.question_markup(filled, desk.locale),
        )
        return
    worksheet = complete(draft.answers)
    if worksheet is None:  # a saved body the form no longer reads: ask from the start
        begun = WORKSHEET.begin(WorksheetAnswers())
        await _move(message, desk, draft.moved(begun))
        return
    await desk.state.set_state(WorksheetForm.review)
    lead = await desk.worksheets.presenter_lead(desk.member, draft.lead_id)
    assessment = await desk.worksheets.assess(lead, worksheet)
    await message.answer(
        views.review_text(assessment, desk.currency, desk.locale),
        reply_markup=views.review_keyboard(),
    )


async def text_answer(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    desk = await _desk(message.chat.id, state, locale, services)
    try:
        draft = await desk.draft() if desk is not None else None
    except Refused:
        draft = None
    if desk is None or draft is None or draft.filled.reviewing:
        await leave_flow(state)
        await message.answer(views.left_text())
        return
    try:
        moved = WORKSHEET.type(draft.filled, message.text or "", None)
        problem = days_problem(moved.answers)
        if problem is not None:
            raise problem
    except Invalid as invalid:
        await message.answer(
            views.error_text(invalid), reply_markup=views.question_markup(draft.filled, locale)
        )
        return
    await _move(message, desk, draft.moved(moved))


async def step_button(
    callback: CallbackQuery,
    callback_data: WorksheetStep,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    desk = await _desk(callback.from_user.id, state, locale, services)
    message = callback.message
    try:
        draft = await desk.draft() if desk is not None else None
    except (Refused, DeskError):
        draft = None
    if desk is None or draft is None or not isinstance(message, Message):
        await out_of_date(callback)
        return
    try:
        moved = _engine_step(callback_data, draft.filled)
    except NotOffered:
        await out_of_date(callback)
        return
    await callback.answer()
    await message.edit_reply_markup(reply_markup=None)
    if moved is not None:
        await _move(message, desk, draft.moved(moved))
    elif callback_data.action == "save":
        await _save(message, desk, draft)
    else:
        await leave_flow(state)
        await message.answer(views.left_text())


def _engine_step(
    data: WorksheetStep, filled: Filled[WorksheetAnswers]
) -> Filled[WorksheetAnswers] | None:
    """The form after an answer or navigation button; None for Save and Cancel. Raises
    NotOffered when the button does not fit where the officer is."""
    moves: dict[str, Callable[[], Filled[WorksheetAnswers]]] = {
        "pick": lambda: WORKSHEET.pick(filled, data.key, data.value, None),
        "back": lambda: WORKSHEET.back(filled, data.key),
        "edit": lambda: WORKSHEET.edit(filled, data.value),
    }
    if data.action == "save" and (not filled.reviewing or complete(filled.answers) is None):
        raise NotOffered("save")
    move = moves.get(data.action)
    return move() if move else None


async def _save(message: Message, desk: Desk, draft: WorksheetDraft) -> None:
    worksheet = complete(draft.answers)
    assert worksheet is not None  # checked before: Save is offered only at a complete review
    try:
        lead = await desk.worksheets.presenter_lead(desk.member, draft.lead_id)
        version = await desk.worksheets.save(desk.member, lead, worksheet)
    except Refused:
        await message.answer(not_yours())
        return
    except DeskError as error:
        await message.answer(views.refusal_text(error.code))
        await _show(message, desk, draft)
        return
    await leave_flow(desk.state)
    await message.answer(views.saved_text(version))


# --- the co-investigator's verdict -----------------------------------------------------------


async def verdict_button(
    callback: CallbackQuery,
    callback_data: WorksheetVerdict,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    desk = await _desk(callback.from_user.id, state, locale, services)
    if desk is None:
        await callback.answer(not_staff_text(), show_alert=True)
        return
    lead_id, version = callback_data.lead, callback_data.version
    if callback_data.verdict is ReviewVerdict.DISSENT and isinstance(callback.message, Message):
        await leave_flow(state)
        await state.set_state(WorksheetForm.dissent_note)
        await state.update_data({DISSENT: {"lead": lead_id, "version": version}})
        await callback.answer()
        await callback.message.answer(views.dissent_prompt())
        return
    text = await _review(desk, lead_id, version, ReviewVerdict.CONFIRMED, "")
    await callback.answer(text, show_alert=True)


async def dissent_note(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    desk = await _desk(message.chat.id, state, locale, services)
    asked = (await state.get_data()).get(DISSENT)
    await leave_flow(state)
    note = (message.text or "").strip()
    if desk is None or not isinstance(asked, dict) or not note:
        await message.answer(views.dissent_prompt())
        return
    lead_id, version = str(asked.get("lead", "")), int(asked.get("version", 0))
    await message.answer(await _review(desk, lead_id, version, ReviewVerdict.DISSENT, note))


async def _review(desk: Desk, lead_id: str, version: int, verdict: ReviewVerdict, note: str) -> str:
    try:
        await desk.worksheets.review(desk.member, lead_id, version, verdict, note)
    except Refused:
        return views.refusal_text("forbidden")
    except DeskError as error:
        return views.refusal_text(error.code)
    return views.reviewed_text(verdict, version, lead_id)


async def _worksheet_button(callback: CallbackQuery) -> bool:
    return (callback.data or "").split(":", 1)[0] in WORKSHEET_PREFIXES


def build_router() -> Router:
    router = FeatureRouter(name="worksheets")
    router.message.filter(RouterEntry(forms=(WorksheetForm,)))
    typed = F.text & ~F.text.startswith("/")
    router.message.register(text_answer, StateFilter(WorksheetForm.question), typed)
    router.message.register(dissent_note, StateFilter(WorksheetForm.dissent_note), typed)
    router.callback_query.register(open_worksheet, WorksheetOpen.filter())
    router.callback_query.register(step_button, WorksheetStep.filter())
    router.callback_query.register(verdict_button, WorksheetVerdict.filter())
    router.callback_query.register(out_of_date, _worksheet_button)  # none of the above parsed
    return router
