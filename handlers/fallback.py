"""What the bot says to anything no other handler took: never silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards import main_menu
from bot.routing import FeatureRouter


async def not_understood(message: Message) -> None:
    await message.answer(
        _("Sorry, I did not understand that. Choose an action below or send /help."),
        reply_markup=main_menu(),
    )


async def stale_button(callback: CallbackQuery) -> None:
    await callback.answer(_("This button is no longer active."), show_alert=True)


def build_router() -> Router:
    router = FeatureRouter(name="fallback")
    router.message.register(not_understood)
    router.callback_query.register(stale_button)
    return router
