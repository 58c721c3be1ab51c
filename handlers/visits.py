"""The officer's visit in the chat: check in with the location, send evidence tagged by
kind, tick the checklist with notes.

Callback data is never trusted: every press looks the officer up by chat, the bank decides
again whether this officer may act on this lead, and a file is saved only if this chat sent
it for this lead and it is still waiting for its kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.filters.logic import or_f
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.container import Services
from bot.filters import RouterEntry
from bot.keyboards import out_of_date
from bot.routing import FeatureRouter
from bot.services.officers.staff import DeskError, Refused, StaffMember
from bot.services.visits import FileRefused, Place, TooFar, VisitDesk
from bot.state import leave_flow
from bot.views import visits as views
from bot.views.officers import bank_refusal, not_yours
from bot.views.visits import VISIT_PREFIXES, VisitAction, VisitVerb
from handlers.officers import not_staff_text, staff_pressing
from integrations.bank.fieldwork_models import MAX_UPLOAD_BYTES, DocumentKind

LEAD, PLACE, FILES, ITEM = "visit_lead", "visit_place", "visit_files", "visit_item"
LIVE = "visit_live"  # FSM data: the message of the live location this check-in is shared by


class VisitForm(StatesGroup):
    location = State()
    reason = State()
    evidence = State()
    note = State()


def _cancel_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=str(views.CANCEL_LABEL))]], resize_keyboard=True
    )


async def _member(services: Services, chat_id: int) -> StaffMember | None:
    return await services.officers.directory.by_chat(chat_id)


# --- buttons ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    callback: CallbackQuery
    data: VisitAction
    member: StaffMember
    desk: VisitDesk
    services: Services
    bot: Bot
    state: FSMContext
    locale: str

    async def show(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Edit the pressed message in place (a message too old to edit: a new one)."""
        if isinstance(self.callback.message, Message):
            await self.callback.message.edit_text(text, reply_markup=markup)
            await self.callback.answer()
        else:
            await self.send(text, markup)

    async def send(self, text: str, markup: Any = None) -> None:
        await self.bot.send_message(self.callback.from_user.id, text, reply_markup=markup)
        await self.callback.answer()


async def visit_button(
    callback: CallbackQuery,
    callback_data: VisitAction,
    bot: Bot,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    member = await staff_pressing(callback, services, callback_data.lead, callback_data.action)
    if member is None:
        return
    press = Press(callback, callback_data, member, services.visits, services, bot, state, locale)
    try:
        await ACTIONS[callback_data.action](press)
    except Refused:
        await callback.answer(not_yours(), show_alert=True)
    except DeskError as error:
        await callback.answer(bank_refusal(error), show_alert=True)


async def _check_in(press: Press) -> None:
    lead = await press.desk.lead(press.member, press.data.lead, "check_in")
    if lead.visit_at is None:
        await press.callback.answer(views.book_visit_first(), show_alert=True)
        return
    await leave_flow(press.state)
    await press.state.set_state(VisitForm.location)
    await press.state.update_data({LEAD: lead.id})
    await press.send(views.check_in_question(lead.id), views.location_keyboard())


async def _evidence(press: Press) -> None:
    documents = await press.desk.documents(press.member, press.data.lead)
    await leave_flow(press.state)
    await press.state.set_state(VisitForm.evidence)
    await press.state.update_data({LEAD: press.data.lead, FILES: {}})
    text = views.evidence_intro(press.data.lead, documents, press.locale)
    await press.send(text, views.evidence_keyboard(press.data.lead))


async def _kind(press: Press) -> None:
    key, _sep, kind = press.data.arg.partition("-")
    data = await press.state.get_data()
    waiting = data.get(FILES, {}) if data.get(LEAD) == press.data.lead else {}
    if key not in waiting:
        await press.callback.answer(views.file_expired(), show_alert=True)
        return
    if kind not in set(DocumentKind):
        await out_of_date(press.callback)
        return
    file = waiting[key]
    content = await press.bot.download(file["id"])
    assert content is not None  # without a destination, download returns the bytes
    try:
        document = await press.desk.add_evidence(
            press.member, press.data.lead, DocumentKind(kind), content.read(), file["name"]
        )
    except FileRefused as refused:
        text = views.file_refused(refused.reason, refused.limit_bytes, press.locale)
    else:
        text = views.saved(document, _zone(press.services), press.locale)
    await press.state.update_data({FILES: {k: v for k, v in waiting.items() if k != key}})
    await press.show(text)


async def _done(press: Press) -> None:
    documents = await press.desk.documents(press.member, press.data.lead)
    if (await press.state.get_data()).get(LEAD) == press.data.lead:
        await leave_flow(press.state)
    await press.show(views.evidence_done(len(documents)))


async def _checklist(press: Press) -> None:
    checklist = await press.desk.checklist(press.member, press.data.lead)
    await _leave_note(press)
    text, markup = views.checklist_text(checklist), views.checklist_keyboard(checklist)
    if press.data.arg == "back":
        await press.show(text, markup)
    else:
        await press.send(text, markup)


async def _item(press: Press) -> None:
    checklist = await press.desk.checklist(press.member, press.data.lead)
    entry = next((item for item in checklist.items if item.code == press.data.arg), None)
    if entry is None:
        await out_of_date(press.callback)
        return
    await leave_flow(press.state)
    await press.state.set_state(VisitForm.note)
    await press.state.update_data({LEAD: press.data.lead, ITEM: entry.code})
    await press.show(views.item_question(entry), views.item_keyboard(entry, press.data.lead))


async def _tick(press: Press) -> None:
    done = press.data.action is VisitVerb.PLAIN
    try:
        checklist = await press.desk.tick(press.member, press.data.lead, press.data.arg, done)
    except DeskError as error:
        if error.code != "invalid_request":  # an item code made by hand
            raise
        await out_of_date(press.callback)
        return
    await _leave_note(press)
    await press.show(views.checklist_text(checklist), views.checklist_keyboard(checklist))


async def _close(press: Press) -> None:
    checklist = await press.desk.checklist(press.member, press.data.lead)
    await _leave_note(press)
    await press.show(views.checklist_text(checklist))


async def _leave_note(press: Press) -> None:
    if await press.state.get_state() == VisitForm.note.state:
        await leave_flow(press.state)


ACTIONS = {
    VisitVerb.CHECK_IN: _check_in,
    VisitVerb.EVIDENCE: _evidence,
    VisitVerb.KIND: _kind,
    VisitVerb.DONE: _done,
    VisitVerb.CHECKLIST: _checklist,
    VisitVerb.ITEM: _item,
    VisitVerb.PLAIN: _tick,
    VisitVerb.UNTICK: _tick,
    VisitVerb.CLOSE: _close,
}


def _zone(services: Services) -> Any:
    return services.officers.policy.calendar.zone


# --- messages --------------------------------------------------------------------------------


async def location_given(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    assert message.location is not None  # the filter
    place = Place(
        message.location.latitude,
        message.location.longitude,
        live=message.location.live_period is not None,
    )
    await state.update_data({LIVE: message.message_id if place.live else None})
    await _check_in_at(message, state, locale, services, place, reason="")


async def live_location_moved(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    """Telegram edits a live location's message as the officer moves. After a check-in
    refused as too far, the latest position checks in as soon as it is within the limit (no
    reason needed then); until then it quietly becomes the position a reason goes with.
    Edits of another message, or after the check-in (the form is left), change nothing."""
    assert message.location is not None  # the filter
    if (await state.get_data()).get(LIVE) != message.message_id:
        return
    place = Place(message.location.latitude, message.location.longitude, live=True)
    await _check_in_at(message, state, locale, services, place, reason="", moved=True)


async def location_text(message: Message, state: FSMContext) -> None:
    if message.text == str(views.CANCEL_LABEL):
        await leave_flow(state)
        await message.answer(views.check_in_cancelled(), reply_markup=ReplyKeyboardRemove())
        return
    await message.answer(views.location_expected(), reply_markup=views.location_keyboard())


async def reason_given(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    reason = (message.text or "").strip()
    if reason == str(views.CANCEL_LABEL):
        await leave_flow(state)
        await message.answer(views.check_in_cancelled(), reply_markup=ReplyKeyboardRemove())
        return
    if not reason:
        await message.answer(views.reason_expected())
        return
    place = Place(**(await state.get_data()).get(PLACE, {}))
    await _check_in_at(message, state, locale, services, place, reason)


async def _check_in_at(
    message: Message,
    state: FSMContext,
    locale: str,
    services: Services,
    place: Place,
    reason: str,
    moved: bool = False,  # a live location's update: no new refusal when still too far
) -> None:
    lead_id = (await state.get_data()).get(LEAD, "")
    member = await _member(services, message.chat.id)
    if member is None:
        await leave_flow(state)
        await message.answer(not_staff_text(), reply_markup=ReplyKeyboardRemove())
        return
    try:
        check_in = await services.visits.check_in(member, lead_id, place, reason)
    except TooFar as far:
        await state.set_state(VisitForm.reason)
        await state.update_data({PLACE: vars(place)})
        if not moved:
            text = views.too_far(far.distance_m, far.limit_m, locale)
            await message.answer(text, reply_markup=_cancel_keyboard())
        return
    except (Refused, DeskError) as error:
        await leave_flow(state)
        text = not_yours() if isinstance(error, Refused) else bank_refusal(error)
        await message.answer(text, reply_markup=ReplyKeyboardRemove())
        return
    await leave_flow(state)
    text = views.checked_in(check_in, _zone(services), locale)
    await message.answer(text, reply_markup=ReplyKeyboardRemove())
    await services.officers.cards.refresh(await services.visits.lead(member, lead_id, "view"))


async def file_given(message: Message, state: FSMContext, locale: str) -> None:
    lead_id = (await state.get_data()).get(LEAD, "")
    if message.photo:
        photo = message.photo[-1]  # the largest size
        file_id, name, size = photo.file_id, f"{photo.file_unique_id}.jpg", photo.file_size
    else:
        document = message.document
        assert document is not None  # the filter
        file_id, name, size = document.file_id, document.file_name or "", document.file_size
    if size is not None and size > MAX_UPLOAD_BYTES:
        await message.answer(views.file_refused("too_large", MAX_UPLOAD_BYTES, locale))
        return
    key = str(message.message_id)
    waiting = (await state.get_data()).get(FILES, {})
    await state.update_data({FILES: {**waiting, key: {"id": file_id, "name": name}}})
    await message.answer(views.kind_question(), reply_markup=views.kind_keyboard(lead_id, key))


async def note_given(message: Message, state: FSMContext, services: Services) -> None:
    data = await state.get_data()
    note = (message.text or "").strip()
    if not note:
        await message.answer(views.note_expected())
        return
    member = await _member(services, message.chat.id)
    await leave_flow(state)
    if member is None:
        await message.answer(not_staff_text())
        return
    try:
        checklist = await services.visits.tick(
            member, data.get(LEAD, ""), data.get(ITEM, ""), True, note
        )
    except Refused:
        await message.answer(not_yours())
        return
    except DeskError as error:
        await message.answer(bank_refusal(error))
        return
    await message.answer(
        views.checklist_text(checklist), reply_markup=views.checklist_keyboard(checklist)
    )


async def _visit_button(callback: CallbackQuery) -> bool:
    return (callback.data or "").split(":", 1)[0] in VISIT_PREFIXES


def build_router() -> Router:
    router = FeatureRouter(name="visits")
    router.message.filter(RouterEntry(forms=(VisitForm,)))
    router.message.register(
        location_given, StateFilter(VisitForm.location, VisitForm.reason), _has("location")
    )
    router.edited_message.register(
        live_location_moved, StateFilter(VisitForm.reason), _has("location")
    )
    router.message.register(location_text, StateFilter(VisitForm.location))
    router.message.register(reason_given, StateFilter(VisitForm.reason))
    router.message.register(
        file_given, StateFilter(VisitForm.evidence), or_f(_has("photo"), _has("document"))
    )
    router.message.register(_not_a_file, StateFilter(VisitForm.evidence))
    router.message.register(note_given, StateFilter(VisitForm.note))
    router.callback_query.register(visit_button, VisitAction.filter())
    router.callback_query.register(out_of_date, _visit_button)  # did not parse
    return router


async def _not_a_file(message: Message) -> None:
    await message.answer(views.not_a_file())


def _has(kind: str) -> Any:
    async def has(message: Message) -> bool:
        return getattr(message, kind) is not None

    return has
