"""The chat's menu button opens the Mini App when BOT_WEBAPP_URL is set."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import MenuButtonWebApp, WebAppInfo
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings


async def publish_menu_button(bot: Bot, settings: Settings, i18n: I18n) -> None:
    """One button for every chat (Telegram has no per-language menu button text), in the
    default language; without BOT_WEBAPP_URL the menu button is left as it is."""
    if settings.webapp_url is None:
        return
    with i18n.context(), i18n.use_locale(i18n.default_locale):
        text = _("Loan calculator")
    button = MenuButtonWebApp(text=text, web_app=WebAppInfo(url=settings.webapp_url))
    await bot.set_chat_menu_button(menu_button=button)
