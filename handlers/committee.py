"""The credit committee in the chat: the presenter sends a ready case and answers the
committee's question; members read the pack and vote (approve, approve with changes after
seeing the new installment, decline with a reason and a note, ask for more).

Callback data is never trusted: each press looks the officer up by chat, and the bank
decides again whether this officer may act on this case. Changed terms live in the
member's form, never in a button."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.container import Services
from bot.domain.amounts import AmountError, parse_amount
from bot.filters import RouterEntry
from bot.i18n import money
from bot.keyboards import out_of_date
from bot.routing import FeatureRouter
from bot.services.committee.desk import CommitteeDesk, NotReadyYet, TermsRefused
from bot.services.officers.staff import DeskError, Refused, StaffMember
from bot.state import leave_flow
from bot.views import committee as views
from bot.views.committee_pack import pack_lines, pack_photos
from bot.views.committee_pdf import render_pack
from handlers.officers import not_staff_text, staff_pressing
from integrations.bank.committee_models import CommitteeCase, VoteKind, VoteRequest
from integrations.bank.models import DeclineReason, RepaymentMethod

MAX_MONTHS = 360


class CommitteeForm(StatesGroup):
    recommendation = State()
    answer = State()
    amount = State()
    months = State()
    note = State()
    question = State()


class OutOfDate(Exception):
    """The press parsed but does not fit the member's form or the case."""


def _refused_text() -> str:
    return _("This case is not yours to act on.")


def _bank_text(error: DeskError) -> str:
    if error.code == "invalid_state":
        return _("Not possible now: the committee has decided, or waits for the officer's answer.")
    return _("The bank cannot be reached right now. Try again in a minute.")


# --- the presenter ----------------------------------------------------------------------------


async def case_button(
    callback: CallbackQuery,
    callback_data: views.CaseAction,
    bot: Bot,
    state: FSMContext,
    services: Services,
) -> None:
    member = await staff_pressing(callback, services, callback_data.ref, callback_data.verb)
    if member is None:
        return
    desk = services.committee.desk
    try:
        if callback_data.verb is views.CaseVerb.SEND:
            lead = await desk.presenting(member, callback_data.ref)
            await state.set_state(CommitteeForm.recommendation)
            await state.update_data(committee_lead=lead.id)
            prompt = _("Send your recommendation for the committee on lead {lead}.")
        else:
            case = await desk.questioned(member, callback_data.ref)
            await state.set_state(CommitteeForm.answer)
            await state.update_data(committee_case=case.id)
            prompt = _("Send your answer to the committee on case {case}.")
    except NotReadyYet as missing:
        await callback.answer()
        await bot.send_message(member.chat_id, views.not_ready_text(missing.missing))
        return
    except Refused:
        await callback.answer(_refused_text(), show_alert=True)
        return
    except DeskError as error:
        await callback.answer(_bank_text(error), show_alert=True)
        return
    await callback.answer()
    await bot.send_message(
        member.chat_id, prompt.format(lead=callback_data.ref, case=callback_data.ref)
    )


async def recommendation_given(message: Message, state: FSMContext, services: Services) -> None:
    case = await _pass_text_to_desk(
        message, state, services, "committee_lead", services.committee.desk.send,
        _("Send the recommendation as text, or /cancel."),
    )  # fmt: skip
    if case is not None:
        await message.answer(
            _("Lead {lead} went to the committee as case {case}; its members have it now.").format(
                lead=case.lead_id, case=case.id
            )
        )


async def answer_given(message: Message, state: FSMContext, services: Services) -> None:
    case = await _pass_text_to_desk(
        message, state, services, "committee_case", services.committee.desk.answer,
        _("Send the answer as text, or /cancel."),
    )  # fmt: skip
    if case is not None:
        await message.answer(
            _("Your answer went to the committee with the case, now case {case}.").format(
                case=case.id
            )
        )


async def _pass_text_to_desk(
    message: Message,
    state: FSMContext,
    services: Services,
    ref_key: str,
    call: Callable[[StaffMember, str, str], Awaitable[CommitteeCase]],
    empty_text: str,
) -> CommitteeCase | None:
    """The officer's text (a recommendation or an answer) for the lead or case the form
    holds under `ref_key`; the refusals are told here and None returned."""
    text = (message.text or "").strip()
    if not text:
        await message.answer(empty_text)
        return None
    ref = str((await state.get_data()).get(ref_key, ""))
    await leave_flow(state)
    member = await services.officers.directory.by_chat(message.chat.id)
    if member is None:
        await message.answer(not_staff_text())
        return None
    try:
        return await call(member, ref, text[:1000])
    except NotReadyYet as missing:
        await message.answer(views.not_ready_text(missing.missing))
    except Refused:
        await message.answer(_refused_text())
    except DeskError as error:
        await message.answer(_bank_text(error))
    return None


# --- the members ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Press:
    callback: CallbackQuery
    bot: Bot
    data: views.VoteAction
    member: StaffMember
    desk: CommitteeDesk
    state: FSMContext
    services: Services
    locale: str

    async def reply(self, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
        await self.bot.send_message(self.member.chat_id, text, reply_markup=reply_markup)


async def vote_button(
    callback: CallbackQuery,
    callback_data: views.VoteAction,
    bot: Bot,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    member = await staff_pressing(callback, services, callback_data.case, callback_data.verb)
    if member is None:
        return
    press = Press(
        callback, bot, callback_data, member,
        services.committee.desk, state, services, locale,
    )  # fmt: skip
    try:
        await VOTE_ACTIONS[callback_data.verb](press)
    except OutOfDate:
        await out_of_date(callback)
    except Refused:
        await callback.answer(_refused_text(), show_alert=True)
    except DeskError as error:
        await callback.answer(_bank_text(error), show_alert=True)


async def _pack(press: Press) -> None:
    facts = await press.desk.pack(press.member, press.data.case)
    currency = press.services.settings.currency
    zone = press.services.officers.policy.calendar.timezone
    lines = pack_lines(facts, currency, zone, press.locale)
    photos = pack_photos(facts)
    pdf, png = await asyncio.to_thread(render_pack, lines, photos, _("Photos"))
    await press.callback.answer()
    case_id = facts.pack.case.id
    await press.bot.send_photo(
        press.member.chat_id,
        BufferedInputFile(png, filename=f"{case_id}.png"),
        caption=_("Case pack {case}, first page; the whole pack is the PDF.").format(case=case_id),
    )
    await press.bot.send_document(
        press.member.chat_id, BufferedInputFile(pdf, filename=f"{case_id}.pdf")
    )


async def _cast(press: Press, request: VoteRequest) -> None:
    case = await press.desk.vote(press.member, press.data.case, request)
    await leave_flow(press.state)
    await press.callback.answer()
    await press.reply(views.vote_recorded(request.vote, case))


FORM_KEYS = ("committee_case", "reason", "amount", "months", "method")


async def _begin(state: FSMContext, step: State, **values: str) -> None:
    """A member's form from its first step: nothing of an earlier one is left in it."""
    data = {key: value for key, value in (await state.get_data()).items() if key not in FORM_KEYS}
    await state.set_state(step)
    await state.set_data(data | values)


async def _approve(press: Press) -> None:
    await press.desk.voting(press.member, press.data.case)
    await _cast(press, VoteRequest(member_id=press.member.officer_id, vote=VoteKind.APPROVE))


async def _change(press: Press) -> None:
    case = await press.desk.voting(press.member, press.data.case)
    await _begin(press.state, CommitteeForm.amount, committee_case=case.id)
    await press.callback.answer()
    proposed = money(case.amount, press.services.settings.currency, press.locale)
    await press.reply(_("Send the amount to approve (proposed: {amount}).").format(amount=proposed))


async def _decline(press: Press) -> None:
    await press.desk.voting(press.member, press.data.case)
    await press.callback.answer()
    await press.reply(
        _("Why decline case {case}?").format(case=press.data.case),
        reply_markup=views.reason_keyboard(press.data.case),
    )


async def _reason(press: Press) -> None:
    if press.data.arg not in {reason.value for reason in DeclineReason}:
        raise OutOfDate
    await press.desk.voting(press.member, press.data.case)
    await _begin(
        press.state, CommitteeForm.note, committee_case=press.data.case, reason=press.data.arg
    )
    await press.callback.answer()
    await press.reply(_("Send a note on the decline (the merchant may be told it), or - for none."))


async def _more(press: Press) -> None:
    case = await press.desk.voting(press.member, press.data.case)
    await _begin(press.state, CommitteeForm.question, committee_case=case.id)
    await press.callback.answer()
    await press.reply(
        _("Send your question for the presenting officer of case {case}.").format(case=case.id)
    )


async def _method(press: Press) -> None:
    data = await press.state.get_data()
    methods = {method.value: method for method in RepaymentMethod}
    if data.get("committee_case") != press.data.case or "months" not in data:
        raise OutOfDate
    if press.data.arg not in methods:
        raise OutOfDate
    case = await press.desk.voting(press.member, press.data.case)
    amount, months = Decimal(str(data["amount"])), int(data["months"])
    method = methods[press.data.arg]
    try:
        preview = await press.desk.preview(case, amount, months, method)
    except TermsRefused:
        await press.callback.answer(
            _("These terms make no schedule. Start again."), show_alert=True
        )
        await leave_flow(press.state)
        return
    await press.state.update_data(method=method.value)
    currency = press.services.settings.currency
    terms = views.terms_text(amount, months, method, currency, press.locale)
    await press.callback.answer()
    await press.reply(
        views.preview_text(preview.proposed, preview.changed, terms, currency, press.locale),
        reply_markup=views.confirm_keyboard(case.id),
    )


async def _confirm(press: Press) -> None:
    data = await press.state.get_data()
    if data.get("committee_case") != press.data.case or "method" not in data:
        raise OutOfDate
    await press.desk.voting(press.member, press.data.case)
    request = VoteRequest(
        member_id=press.member.officer_id,
        vote=VoteKind.APPROVE_CHANGED,
        amount=Decimal(str(data["amount"])),
        term_months=int(data["months"]),
        method=RepaymentMethod(str(data["method"])),
    )
    await _cast(press, request)


VOTE_ACTIONS: dict[views.VoteVerb, Callable[[Press], Awaitable[None]]] = {
    views.VoteVerb.PACK: _pack,
    views.VoteVerb.APPROVE: _approve,
    views.VoteVerb.CHANGE: _change,
    views.VoteVerb.DECLINE: _decline,
    views.VoteVerb.REASON: _reason,
    views.VoteVerb.MORE: _more,
    views.VoteVerb.METHOD: _method,
    views.VoteVerb.CONFIRM: _confirm,
}


# --- the members' texts -------------------------------------------------------------------------


async def amount_given(message: Message, state: FSMContext) -> None:
    try:
        amount = parse_amount(message.text or "")
    except AmountError:
        await message.answer(_("That is not an amount. Example: 40000"))
        return
    await state.update_data(amount=str(amount))
    await state.set_state(CommitteeForm.months)
    await message.answer(_("For how many months?"))


async def months_given(message: Message, state: FSMContext) -> None:
    text = (message.text or "").strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_MONTHS:
        await message.answer(_("Send the term as a number of months, 1 to 360."))
        return
    await state.update_data(months=int(text))
    case_id = str((await state.get_data()).get("committee_case", ""))
    await message.answer(_("Which repayment method?"), reply_markup=views.method_keyboard(case_id))


async def note_given(message: Message, state: FSMContext, services: Services) -> None:
    data = await state.get_data()
    note = (message.text or "").strip()
    reason = DeclineReason(str(data.get("reason", DeclineReason.OTHER.value)))

    def request(member_id: str) -> VoteRequest:
        shared = "" if note == "-" else note[:500]
        return VoteRequest(member_id=member_id, vote=VoteKind.DECLINE, reason=reason, note=shared)

    await _vote_by_text(message, state, services, str(data.get("committee_case", "")), request)


async def question_given(message: Message, state: FSMContext, services: Services) -> None:
    question = (message.text or "").strip()
    if not question:
        await message.answer(_("Send the question as text, or /cancel."))
        return
    data = await state.get_data()

    def request(member_id: str) -> VoteRequest:
        return VoteRequest(member_id=member_id, vote=VoteKind.MORE_INFO, note=question[:500])

    await _vote_by_text(message, state, services, str(data.get("committee_case", "")), request)


async def _vote_by_text(
    message: Message,
    state: FSMContext,
    services: Services,
    case_id: str,
    build: Callable[[str], VoteRequest],
) -> None:
    await leave_flow(state)
    member = await services.officers.directory.by_chat(message.chat.id)
    if member is None:
        await message.answer(not_staff_text())
        return
    request = build(member.officer_id)
    try:
        case: CommitteeCase = await services.committee.desk.vote(member, case_id, request)
    except Refused:
        await message.answer(_refused_text())
        return
    except DeskError as error:
        await message.answer(_bank_text(error))
        return
    await message.answer(views.vote_recorded(request.vote, case))


async def _committee_button(callback: CallbackQuery) -> bool:
    return (callback.data or "").split(":", 1)[0] in views.COMMITTEE_PREFIXES


def build_router() -> Router:
    router = FeatureRouter(name="committee")
    router.message.filter(RouterEntry(forms=(CommitteeForm,)))
    router.message.register(recommendation_given, StateFilter(CommitteeForm.recommendation))
    router.message.register(answer_given, StateFilter(CommitteeForm.answer))
    router.message.register(amount_given, StateFilter(CommitteeForm.amount))
    router.message.register(months_given, StateFilter(CommitteeForm.months))
    router.message.register(note_given, StateFilter(CommitteeForm.note))
    router.message.register(question_given, StateFilter(CommitteeForm.question))
    router.callback_query.register(case_button, views.CaseAction.filter())
    router.callback_query.register(vote_button, views.VoteAction.filter())
    router.callback_query.register(out_of_date, _committee_button)  # none of the above parsed
    return router
