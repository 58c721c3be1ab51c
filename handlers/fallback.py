"""What the bot says to anything no other handler took: never silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import Message
from aiogram.utils.i18n import gettext as _

from bot.keyboards import main_menu, out_of_date
from bot.routing import FeatureRouter


async def not_understood(message: Message) -> None:
    await message.answer(
        _("Sorry, I did not understand that. Choose an action below or send /help."),
        reply_markup=main_menu(),
    )


def build_router() -> Router:
    router = FeatureRouter(name="fallback")
    router.message.register(not_understood)
    router.callback_query.register(out_of_date)
    return router
