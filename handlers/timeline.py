"""A lead's timeline, paged in the chat, for the officers on the lead and their supervisor
(from the lead card's button, or /timeline LEAD)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.container import Services
from bot.filters import RouterEntry
from bot.routing import FeatureRouter
from bot.services.timeline import NotOnLead, TimelineUnavailable
from bot.views import timeline as views
from bot.views.offers import bank_unavailable
from bot.views.timeline_button import TimelineButton
from handlers.officers import not_staff_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shown:
    text: str
    markup: InlineKeyboardMarkup | None = None
    refused: bool = False


async def _render(services: Services, chat_id: int, lead_id: str, page: int, locale: str) -> Shown:
    member = await services.officers.directory.by_chat(chat_id)
    if member is None:
        return Shown(not_staff_text(), refused=True)
    try:
        shown = await services.timeline.page(member, lead_id, page)
    except NotOnLead:
        log.warning("refused a timeline to an officer not on the lead")
        return Shown(views.not_on_lead(), refused=True)
    except TimelineUnavailable:
        return Shown(bank_unavailable(), refused=True)
    settings = services.settings
    text = views.timeline_text(shown, settings.zone, settings.currency, locale)
    return Shown(text, views.timeline_keyboard(shown))


async def timeline_command(
    message: Message, command: CommandObject, locale: str, services: Services
) -> None:
    lead_id = (command.args or "").strip()
    if not lead_id or not lead_id.isascii() or not lead_id.isalnum():
        await message.answer(views.timeline_usage())
        return
    shown = await _render(services, message.chat.id, lead_id, 0, locale)
    await message.answer(shown.text, reply_markup=shown.markup)


async def timeline_pressed(
    callback: CallbackQuery, callback_data: TimelineButton, locale: str, services: Services
) -> None:
    shown = await _render(
        services, callback.from_user.id, callback_data.lead, callback_data.page, locale
    )
    if shown.refused:
        await callback.answer(shown.text, show_alert=True)
        return
    await callback.answer()
    message = callback.message
    if not isinstance(message, Message):
        return
    if callback_data.edit:
        await message.edit_text(shown.text, reply_markup=shown.markup)
    else:
        await message.answer(shown.text, reply_markup=shown.markup)


def build_router() -> Router:
    router = FeatureRouter(name="timeline")
    router.message.filter(RouterEntry(commands=("timeline",)))
    router.message.register(timeline_command, Command("timeline"))
    router.callback_query.register(timeline_pressed, TimelineButton.filter())
    return router
