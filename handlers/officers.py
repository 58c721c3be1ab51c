"""Loan officers: /officer binding, lead card buttons, notes and /queue.

Callback data is never trusted: every press looks the officer up by chat and the bank
decides again whether this officer may act on this lead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from aiogram.utils.i18n import gettext as _

from bot.container import Services
from bot.filters import RouterEntry
from bot.i18n import day, moment
from bot.keyboards import out_of_date
from bot.routing import FeatureRouter
from bot.services.officers import OfficerServices
from bot.services.officers.lead_actions import ReassignRefused
from bot.services.officers.staff import DeskError, NotStaff, Refused, StaffMember, refusal
from bot.services.officers.tasks import DayNotOffered
from bot.state import leave_flow
from bot.views import desk as desk_views
from bot.views import officers as views
from bot.views.officers import (
    OFFICER_PREFIXES,
    KindChoice,
    LeadAction,
    LeadVerb,
    QueueOpen,
    QueuePage,
    StaffUnlink,
    TaskAction,
    TaskDay,
    TaskVerb,
    UnlinkStep,
)

VISIT_DAYS_OFFERED = 6


class OfficerForm(StatesGroup):
    staff_code = State()
    code = State()
    note = State()
    task_note = State()


def not_staff_text() -> str:
    return _("This is for the bank's loan officers. Officers link their account with /officer.")


async def staff_pressing(
    callback: CallbackQuery, services: Services, subject_id: str, action: str
) -> StaffMember | None:
    """The staff member who pressed the button; None, the press refused (logged) and
    answered with the not-staff alert, when the chat is no staff member's."""
    member = await services.officers.directory.by_chat(callback.from_user.id)
    if member is None:
        refusal(member, subject_id, action)
        await callback.answer(not_staff_text(), show_alert=True)
    return member


# --- binding ------------------------------------------------------------------------------


async def officer(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    if message.from_user is None:
        return
    member = await services.officers.directory.by_chat(message.from_user.id)
    if member is not None:
        area = await services.officers.cards.facts.area(member)
        text = _linked_text(member, area, locale)
        await message.answer(text, reply_markup=views.linked_keyboard())
        return
    await state.set_state(OfficerForm.staff_code)
    await message.answer(_("Send your staff code (for example K001)."))


def _linked_text(member: StaffMember, area: views.StaffArea, locale: str) -> str:
    role = _("supervisor") if member.is_supervisor else _("loan officer")
    return _("You are linked as {name}, {role}, territory {territory}, team {team}.").format(
        name=member.name,
        role=role,
        territory=views.territory_name(area, locale),
        team=views.team_name(area, locale),
    )


async def staff_code_given(message: Message, state: FSMContext, services: Services) -> None:
    if message.from_user is None:
        return
    code = (message.text or "").strip()
    try:
        challenge = await services.officers.binding.start(message.from_user.id, code)
    except ValueError:
        await message.answer(_("That is not a staff code. Example: K001."))
        return
    except DeskError as error:
        await message.answer(_binding_error(error.code))
        return
    await state.set_state(OfficerForm.code)
    await state.update_data(officer_challenge=challenge.id)
    await message.answer(
        _("The bank sent a 6-digit code to {phone}. Send it here.").format(
            phone=challenge.masked_phone
        )
    )


async def code_given(
    message: Message, state: FSMContext, bot: Bot, locale: str, services: Services
) -> None:
    challenge_id = (await state.get_data()).get("officer_challenge", "")
    try:
        member = await services.officers.binding.confirm(challenge_id, message.text or "", locale)
    except NotStaff:
        await leave_flow(state)
        await message.answer(not_staff_text())
        return
    except DeskError as error:
        if error.code != "invalid_code":
            await leave_flow(state)
        await message.answer(_binding_error(error.code, error.attempts_left))
        return
    await leave_flow(state)
    menu = views.staff_menu(member.is_supervisor)
    await bot.set_my_commands(menu, scope=BotCommandScopeChat(chat_id=member.chat_id))
    area = await services.officers.cards.facts.area(member)
    await message.answer(
        _linked_text(member, area, locale)
        + "\n"
        + _("New leads will arrive here. /queue shows your queue.")
    )


async def unlink(
    callback: CallbackQuery, callback_data: StaffUnlink, bot: Bot, services: Services
) -> None:
    member = await services.officers.directory.by_chat(callback.from_user.id)
    if member is None or not isinstance(callback.message, Message):
        await out_of_date(callback)
        return
    if callback_data.step is UnlinkStep.ASK:
        await callback.message.edit_text(
            _("Unlink this chat? New leads and tasks will no longer come here."),
            reply_markup=views.unlink_keyboard(),
        )
    elif callback_data.step is UnlinkStep.NO:
        await callback.message.edit_text(_("Nothing changed: the chat stays linked."))
    else:
        try:
            await services.officers.binding.unbind(member)
        except DeskError as error:
            await callback.answer(views.bank_refusal(error), show_alert=True)
            return
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=member.chat_id))
        await callback.message.edit_text(
            _("Unlinked: leads no longer come to this chat. /officer links it again.")
        )
    await callback.answer()


def _binding_error(code: str, attempts_left: int = 0) -> str:
    texts = {
        "not_found": _("No officer has that staff code. Check it and send it again."),
        "invalid_request": _("That is not a staff code. Example: K001."),
        "invalid_code": _("Wrong code. Attempts left: {count}.").format(count=attempts_left),
        "code_expired": _("The code has expired. Send /officer to get a new one."),
        "too_many_attempts": _("Too many wrong codes. Try again later with /officer."),
    }
    return texts.get(code, _("The bank cannot be reached right now. Try again in a minute."))


# --- the queue and notes --------------------------------------------------------------------


async def queue(message: Message, locale: str, services: Services) -> None:
    member = await services.officers.directory.by_chat(message.chat.id)
    if member is None:
        await message.answer(not_staff_text())
        return
    text, markup = await _queue_page(services.officers, member, 0, locale)
    await message.answer(
        text, reply_markup=views.with_dashboard(markup, services.settings.webapp_url)
    )


async def _queue_page(
    officers: OfficerServices, member: StaffMember, page: int, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    items = await officers.tasks.queue(member)
    zone = officers.policy.calendar.timezone
    return views.queue_page(items, page, officers.currency, zone, locale)


async def queue_page(
    callback: CallbackQuery, callback_data: QueuePage, locale: str, services: Services
) -> None:
    member = await services.officers.directory.by_chat(callback.from_user.id)
    if member is None or not isinstance(callback.message, Message):
        await callback.answer(not_staff_text(), show_alert=True)
        return
    text, markup = await _queue_page(services.officers, member, callback_data.page, locale)
    await callback.message.edit_text(text, reply_markup=markup)
    await callback.answer()


async def open_card(callback: CallbackQuery, callback_data: QueueOpen, services: Services) -> None:
    member = await staff_pressing(callback, services, callback_data.lead, "open")
    if member is None:
        return
    lead = await services.officers.tasks.queued_lead(member, callback_data.lead)
    if lead is None:
        refusal(member, callback_data.lead, "open")
        await out_of_date(callback)
        return
    await services.officers.cards.reopen(member, lead, callback.id)
    await callback.answer()


async def task_button(
    callback: CallbackQuery, callback_data: TaskAction, locale: str, services: Services
) -> None:
    member = await staff_pressing(callback, services, callback_data.task, "task")
    if member is None:
        return
    tasks = services.officers.tasks
    try:
        if callback_data.action is TaskVerb.LATER:
            days = await tasks.postpone_days(member, callback_data.task)
            picker = views.task_days_keyboard(callback_data.task, days, callback_data.page, locale)
            if isinstance(callback.message, Message):
                await callback.message.edit_reply_markup(reply_markup=picker)
            await callback.answer(
                _("Move task {task} to which day?").format(task=callback_data.task)
            )
            return
        await tasks.finish(member, callback_data.task)
    except Refused:
        await callback.answer(_("This task is not yours to act on."), show_alert=True)
        return
    except DeskError as error:
        await callback.answer(views.bank_refusal(error), show_alert=True)
        return
    if isinstance(callback.message, Message):
        text, markup = await _queue_page(services.officers, member, callback_data.page, locale)
        await callback.message.edit_text(text, reply_markup=markup)
    await callback.answer(_("Task {task} done.").format(task=callback_data.task))


async def task_day(
    callback: CallbackQuery,
    callback_data: TaskDay,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    """The day is checked now and again when the note comes; the note completes the move."""
    member = await staff_pressing(callback, services, callback_data.task, "task")
    if member is None:
        return
    try:
        chosen = _parsed(callback_data.day, "%Y%m%d").date()
        if chosen not in await services.officers.tasks.postpone_days(member, callback_data.task):
            raise OutOfDate
    except OutOfDate:
        await out_of_date(callback)
        return
    except Refused:
        await callback.answer(_("This task is not yours to act on."), show_alert=True)
        return
    await state.set_state(OfficerForm.task_note)
    queue_message = callback.message.message_id if isinstance(callback.message, Message) else 0
    await state.update_data(
        task_note=callback_data.task,
        task_day=callback_data.day,
        queue_message=queue_message,
        queue_page=callback_data.page,
    )
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.answer(
            _("Task {task} moves to {day}. Send a short note: why, and what was agreed.").format(
                task=callback_data.task, day=day(chosen, locale)
            )
        )


async def task_note_given(
    message: Message, state: FSMContext, bot: Bot, locale: str, services: Services
) -> None:
    note = (message.text or "").strip()
    if not note:
        await message.answer(_("Send the note as text, or /cancel to leave the task as it is."))
        return
    data = await state.get_data()
    await leave_flow(state)
    member = await services.officers.directory.by_chat(message.chat.id)
    if member is None:
        await message.answer(not_staff_text())
        return
    task_id = str(data.get("task_note", ""))
    due_on = datetime.strptime(str(data.get("task_day", "")), "%Y%m%d").date()
    try:
        task = await services.officers.tasks.postpone(member, task_id, due_on, note)
    except DayNotOffered:
        await message.answer(_("That day can no longer be chosen. Open /queue to pick another."))
        return
    except Refused:
        await message.answer(_("This task is not yours to act on."))
        return
    except DeskError as error:
        await message.answer(views.bank_refusal(error))
        return
    await message.answer(
        _("Task {task} moved to {day}.").format(task=task.id, day=day(task.due_on, locale))
    )
    page = int(data.get("queue_page", 0))
    text, markup = await _queue_page(services.officers, member, page, locale)
    with suppress(TelegramBadRequest):  # the queue message is gone or unchanged
        await bot.edit_message_text(
            text,
            chat_id=member.chat_id,
            message_id=int(data.get("queue_message", 0)),
            reply_markup=markup,
        )


async def overdue(message: Message, services: Services) -> None:
    member = await services.officers.directory.by_chat(message.chat.id)
    if member is None:
        await message.answer(not_staff_text())
        return
    text, markup = views.overdue_page(await services.officers.team.overdue(member))
    await message.answer(text, reply_markup=markup)


async def team(message: Message, locale: str, services: Services) -> None:
    member = await services.officers.directory.by_chat(message.chat.id)
    if member is None or not member.is_supervisor:
        refusal(member, "team", "team")
        await message.answer(_("/team is for supervisors."))
        return
    await message.answer(views.team_page(await services.officers.team.team(member), locale))


async def kind_chosen(
    callback: CallbackQuery, callback_data: KindChoice, locale: str, services: Services
) -> None:
    member = await staff_pressing(callback, services, callback_data.task, "classify")
    if member is None:
        return
    try:
        step = await services.officers.team.classify(member, callback_data.task, callback_data.kind)
    except Refused:
        await callback.answer(_("This task is not yours to act on."), show_alert=True)
        return
    except DeskError as error:
        await callback.answer(views.bank_refusal(error), show_alert=True)
        return
    zone = services.officers.policy.calendar.timezone
    if isinstance(callback.message, Message):
        text, markup = views.overdue_page(await services.officers.team.overdue(member))
        await callback.message.edit_text(text, reply_markup=markup)
        await callback.message.answer(views.proposed_step(step, zone, locale))
    await callback.answer()


async def note_given(message: Message, state: FSMContext, services: Services) -> None:
    lead_id = (await state.get_data()).get("note_lead", "")
    member = await services.officers.directory.by_chat(message.chat.id)
    await leave_flow(state)
    note = (message.text or "").strip()
    if member is None or not note:
        await message.answer(_("No note was saved."))
        return
    try:
        lead = await services.officers.actions.add_note(member, lead_id, note)
    except Refused:
        await message.answer(views.not_yours())
        return
    await services.officers.cards.refresh(lead)
    await message.answer(_("Note saved on lead {lead}.").format(lead=lead.id))


class OutOfDate(Exception):
    """The press parsed but its argument does not fit the lead's or the calendar's state."""


# --- lead card buttons ------------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    callback: CallbackQuery
    data: LeadAction
    member: StaffMember
    officers: OfficerServices
    bot: Bot
    state: FSMContext
    locale: str


async def lead_button(
    callback: CallbackQuery,
    callback_data: LeadAction,
    bot: Bot,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    member = await staff_pressing(callback, services, callback_data.lead, callback_data.action)
    if member is None:
        return
    press = Press(callback, callback_data, member, services.officers, bot, state, locale)
    try:
        await ACTIONS[callback_data.action](press)
    except OutOfDate:
        await out_of_date(callback)
    except ReassignRefused as refused:
        await callback.answer(desk_views.not_reassignable(refused.reason), show_alert=True)
    except Refused:
        await callback.answer(views.not_yours(), show_alert=True)
    except DeskError as error:
        await callback.answer(views.bank_refusal(error), show_alert=True)
        if error.code != "already_claimed":  # the winner's claim redraws every card itself
            await _redraw(press)


async def _redraw(press: Press) -> None:
    lead = await press.officers.actions.lead_for(press.member, press.data.lead, "view")
    await press.officers.cards.refresh(lead)


async def _claim(press: Press) -> None:
    lead = await press.officers.actions.claim(press.member, press.data.lead)
    await press.officers.cards.refresh(lead)
    await press.callback.answer(_("Claimed. The full number is on the card."))


async def _show_markup(press: Press, markup: InlineKeyboardMarkup) -> None:
    if isinstance(press.callback.message, Message):
        await press.officers.cards.changed(press.data.lead, press.member)
        await press.callback.message.edit_reply_markup(reply_markup=markup)
    await press.callback.answer()


async def _pass(press: Press) -> None:
    await press.officers.actions.lead_for(press.member, press.data.lead, "pass")
    await _show_markup(press, views.pass_keyboard(press.data.lead))


async def _pass_reason(press: Press) -> None:
    if press.data.arg not in views.PASS_REASONS:
        raise OutOfDate
    lead = await press.officers.actions.pass_on(press.member, press.data.lead, press.data.arg)
    await press.officers.cards.refresh(lead)
    await press.callback.answer(_("Passed on."))


async def _details(press: Press) -> None:
    lead = await press.officers.actions.lead_for(press.member, press.data.lead, "details")
    card = await press.officers.cards.changed(lead.id, press.member)
    if card is None:
        raise refusal(press.member, lead.id, "details")
    await press.officers.cards.edit(card, press.member, lead, detailed=True)
    await press.officers.cards.changed(lead.id, press.member)
    await press.callback.answer()


async def _back(press: Press) -> None:
    lead = await press.officers.actions.lead_for(press.member, press.data.lead, "back")
    card = await press.officers.cards.changed(lead.id, press.member)
    if card is not None:
        await press.officers.cards.edit(card, press.member, lead)
    await press.callback.answer()


async def _call(press: Press) -> None:
    lead = await press.officers.actions.claimed_lead_for(press.member, press.data.lead, "call")
    await press.bot.send_contact(
        press.member.chat_id, phone_number=lead.phone, first_name=lead.applicant_name
    )
    await press.callback.answer()


async def _status(press: Press) -> None:
    await press.officers.actions.claimed_lead_for(press.member, press.data.lead, "status")
    await _show_markup(press, views.status_keyboard(press.data.lead))


async def _set_status(press: Press) -> None:
    status = next((s for s in views.SETTABLE if s.value == press.data.arg), None)
    if status is None:
        raise OutOfDate
    actions = press.officers.actions
    lead = await actions.set_status(press.member, press.data.lead, status)  # type: ignore[arg-type]
    await press.officers.cards.refresh(lead)
    await press.callback.answer(_("Status: {status}").format(status=views.status_label(status)))


async def _visit(press: Press) -> None:
    await press.officers.actions.claimed_lead_for(press.member, press.data.lead, "visit")
    calendar = press.officers.policy.calendar
    today = press.officers.clock.now().astimezone(calendar.zone).date()
    first = today if _slots(press.officers, today) else calendar.next_working_day(today)
    days = [calendar.working_day_on_or_after(first)]
    while len(days) < VISIT_DAYS_OFFERED:
        days.append(calendar.next_working_day(days[-1]))
    await _show_markup(press, views.days_keyboard(press.data.lead, days, press.locale))


def _slots(officers: OfficerServices, day: date) -> list[datetime]:
    """Hourly visit times left on a working day, in the bank's time zone."""
    calendar = officers.policy.calendar
    if not calendar.is_working_day(day):
        return []
    start = calendar.opening(day)
    last = calendar.closing(day) - timedelta(hours=1)
    now = officers.clock.now()
    slots = []
    while start <= last:
        if start > now:
            slots.append(start)
        start += timedelta(hours=1)
    return slots


async def _visit_day(press: Press) -> None:
    chosen = _parsed(press.data.arg, "%Y%m%d").date()
    await press.officers.actions.claimed_lead_for(press.member, press.data.lead, "visit")
    slots = _slots(press.officers, chosen)
    if not slots:
        await press.callback.answer(_("No free time left that day."), show_alert=True)
        return
    await _show_markup(press, views.times_keyboard(press.data.lead, slots))


def _parsed(arg: str, layout: str) -> datetime:
    """The day or time a picker button carries, exactly as the picker wrote it."""
    try:
        parsed = datetime.strptime(arg, layout)
    except ValueError:
        raise OutOfDate from None
    if parsed.strftime(layout) != arg:
        raise OutOfDate
    return parsed


async def _visit_time(press: Press) -> None:
    zone = press.officers.policy.calendar.zone
    at = _parsed(press.data.arg, "%Y%m%d%H%M").replace(tzinfo=zone)
    if at not in _slots(press.officers, at.date()):
        await press.callback.answer(_("No free time left that day."), show_alert=True)
        return
    lead = await press.officers.actions.book_visit(press.member, press.data.lead, at)
    await press.officers.cards.refresh(lead)
    when = moment(at.replace(tzinfo=None), press.locale)
    await press.callback.answer(_("Visit booked for {when}.").format(when=when))


async def _note(press: Press) -> None:
    lead = await press.officers.actions.lead_for(press.member, press.data.lead, "note")
    await press.state.set_state(OfficerForm.note)
    await press.state.update_data(note_lead=lead.id)
    await press.callback.answer()
    await press.bot.send_message(
        press.member.chat_id, _("Send the note for lead {lead}.").format(lead=lead.id)
    )


async def _reassign(press: Press) -> None:
    if not press.data.arg:
        raise OutOfDate
    lead = await press.officers.actions.reassign(press.member, press.data.lead, press.data.arg)
    await press.officers.cards.refresh(lead)
    name = await press.officers.cards.facts.officer_name(lead.officer_id)
    await press.callback.answer(_("Reassigned to {name}.").format(name=name))


ACTIONS: dict[LeadVerb, Callable[[Press], Awaitable[None]]] = {
    LeadVerb.CLAIM: _claim,
    LeadVerb.PASS: _pass,
    LeadVerb.PASS_REASON: _pass_reason,
    LeadVerb.DETAILS: _details,
    LeadVerb.BACK: _back,
    LeadVerb.CALL: _call,
    LeadVerb.STATUS: _status,
    LeadVerb.SET_STATUS: _set_status,
    LeadVerb.VISIT: _visit,
    LeadVerb.VISIT_DAY: _visit_day,
    LeadVerb.VISIT_TIME: _visit_time,
    LeadVerb.NOTE: _note,
    LeadVerb.REASSIGN: _reassign,
}


async def _officer_button(callback: CallbackQuery) -> bool:
    return (callback.data or "").split(":", 1)[0] in OFFICER_PREFIXES


def build_router() -> Router:
    router = FeatureRouter(name="officers")
    router.message.filter(
        RouterEntry(commands=("officer", "queue", "overdue", "team"), forms=(OfficerForm,))
    )
    router.message.register(officer, Command("officer"))
    router.message.register(queue, Command("queue"))
    router.message.register(staff_code_given, StateFilter(OfficerForm.staff_code))
    router.message.register(code_given, StateFilter(OfficerForm.code))
    router.message.register(note_given, StateFilter(OfficerForm.note))
    router.message.register(task_note_given, StateFilter(OfficerForm.task_note))
    router.callback_query.register(lead_button, LeadAction.filter())
    router.callback_query.register(queue_page, QueuePage.filter())
    router.callback_query.register(open_card, QueueOpen.filter())
    router.callback_query.register(task_button, TaskAction.filter())
    router.callback_query.register(task_day, TaskDay.filter())
    router.message.register(overdue, Command("overdue"))
    router.message.register(team, Command("team"))
    router.callback_query.register(kind_chosen, KindChoice.filter())
    router.callback_query.register(unlink, StaffUnlink.filter())
    router.callback_query.register(out_of_date, _officer_button)  # none of the above parsed
    return router
