"""The merchant's offer in the chat: the schedule (table, chart, CSV) and Accept, which asks
for the code the bank texted and hands it to the bank. Every press is checked against the
bank's offer and the lead's owner; anything else is refused and changes nothing."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.formatting import Pre, Text

from bot.config import Settings
from bot.container import Services
from bot.filters import RouterEntry
from bot.routing import FeatureRouter
from bot.services.offers import (
    Accepted,
    AcceptOutcome,
    Blocked,
    CodeSent,
    NotTheirOffer,
    OfferClosed,
    OfferLookupError,
    StaleCode,
    WrongCode,
)
from bot.state import leave_flow
from bot.views import chart
from bot.views import offers as views
from bot.views.offers import OfferButton
from integrations.bank.offer_models import Offer

log = logging.getLogger(__name__)
CODE_LENGTH = 6
DATA = "offer_code"  # FSM data: the offer being accepted and the bank's challenge


class OfferForm(StatesGroup):
    code = State()


async def offer_pressed(
    callback: CallbackQuery,
    callback_data: OfferButton,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    try:
        offer = await services.offers.own_offer(callback.from_user.id, callback_data.offer)
    except NotTheirOffer:
        log.warning("refused an offer button %s that is not the presser's", callback_data.action)
        await callback.answer(views.not_their_offer(), show_alert=True)
        return
    except OfferLookupError:
        await callback.answer(views.bank_unavailable(), show_alert=True)
        return
    await callback.answer()
    message = callback.message
    if not isinstance(message, Message):
        return
    action = callback_data.action
    if action == "accept":
        await _ask_for_code(message, state, services, offer, locale)
    elif action == "csv":
        document = BufferedInputFile(views.schedule_csv(offer), filename=f"{offer.id}.csv")
        await message.answer_document(document)
    elif action == "chart":
        png = await asyncio.to_thread(
            chart.installments_chart, offer.schedule, views.chart_labels()
        )
        await message.answer_photo(BufferedInputFile(png, filename=f"{offer.id}.png"))
    else:
        await _show_page(message, offer, callback_data, locale)


async def _show_page(message: Message, offer: Offer, pressed: OfferButton, locale: str) -> None:
    page = min(pressed.page, views.pages(offer) - 1)
    content = Text(
        views.schedule_title(offer, page), "\n\n", Pre(views.schedule_table(offer, page, locale))
    ).as_kwargs()
    moves = []
    if page > 0:
        moves.append(("◀", page - 1))
    if page + 1 < views.pages(offer):
        moves.append(("▶", page + 1))
    markup = views.page_keyboard(offer.id, moves)
    if pressed.action == "page":
        await message.edit_text(**content, reply_markup=markup)
    else:
        await message.answer(**content, reply_markup=markup)


async def _ask_for_code(
    message: Message, state: FSMContext, services: Services, offer: Offer, locale: str
) -> None:
    outcome = await services.offers.request_code(message.chat.id, offer.id)
    if isinstance(outcome, CodeSent):
        await state.set_state(OfferForm.code)
        await state.update_data({DATA: {"offer": offer.id, "challenge": outcome.challenge.id}})
        currency = services.settings.currency
        now = services.clock.now()
        await message.answer(
            views.code_sent(outcome.offer, outcome.challenge, now, currency, locale)
        )
    elif isinstance(outcome, OfferClosed):
        await message.answer(views.closed(outcome.offer, services.settings.zone, locale))
    else:
        await message.answer(views.blocked(outcome.retry_after_seconds))


async def code_given(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    code = (message.text or "").strip()
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        await message.answer(views.code_format())
        return
    pending = (await state.get_data()).get(DATA, {})
    try:
        outcome = await services.offers.accept(
            message.chat.id, pending.get("offer", ""), pending.get("challenge", ""), code
        )
    except NotTheirOffer:
        await leave_flow(state)
        await message.answer(views.not_their_offer())
        return
    except OfferLookupError:
        await message.answer(views.bank_unavailable())
        return
    if not isinstance(outcome, WrongCode):
        await leave_flow(state)
    await message.answer(_accept_text(outcome, services.settings, locale))


def _accept_text(outcome: AcceptOutcome, settings: Settings, locale: str) -> str:
    if isinstance(outcome, Accepted):
        return views.accepted(outcome.offer, settings.currency, locale)
    if isinstance(outcome, WrongCode):
        return views.wrong_code(outcome.attempts_left)
    if isinstance(outcome, Blocked):
        return views.blocked(outcome.retry_after_seconds)
    if isinstance(outcome, StaleCode):
        return views.stale_code()
    return views.closed(outcome.offer, settings.zone, locale)


def build_router() -> Router:
    router = FeatureRouter(name="offers")
    router.message.filter(RouterEntry(forms=(OfferForm,)))
    router.message.register(code_given, StateFilter(OfferForm.code))
    router.callback_query.register(offer_pressed, OfferButton.filter())
    return router
