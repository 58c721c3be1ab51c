"""Keyboards shared by several handlers."""

from __future__ import annotations

from functools import lru_cache

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder, ReplyKeyboardBuilder

from bot.config import SUPPORTED_LOCALES
from bot.i18n import LOCALE_NAMES

APPLY_LABEL = __("📝 Apply")
CALCULATOR_LABEL = __("🧮 Loan calculator")
HELP_LABEL = __("❓ Help")
LANGUAGE_LABEL = __("🌐 Language")
BALANCE_LABEL = __("💳 Balance")
LOANS_LABEL = __("📋 My loans")


class LanguageChoice(CallbackData, prefix="lang"):
    locale: str


class ApplyWith(CallbackData, prefix="aw"):
    """Start an application with the loan a calculator result shows."""

    amount: str
    months: int
    plan: str


def main_menu() -> ReplyKeyboardMarkup:
    return _main_menu(get_i18n().current_locale)


@lru_cache(maxsize=8)
def _main_menu(locale: str) -> ReplyKeyboardMarkup:
    """The same for everyone in a language (`locale` is the cache's key): built once."""
    builder = ReplyKeyboardBuilder()
    builder.button(text=str(APPLY_LABEL))
    builder.button(text=str(CALCULATOR_LABEL))
    builder.button(text=str(BALANCE_LABEL))
    builder.button(text=str(LOANS_LABEL))
    builder.button(text=str(HELP_LABEL))
    builder.button(text=str(LANGUAGE_LABEL))
    builder.adjust(2, 2, 2)
    return builder.as_markup(resize_keyboard=True, input_field_placeholder=_("Choose an action"))


def language_picker(current: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for locale in SUPPORTED_LOCALES:
        mark = "✓ " if locale == current else ""
        builder.button(
            text=mark + LOCALE_NAMES[locale], callback_data=LanguageChoice(locale=locale)
        )
    builder.adjust(3)
    return builder.as_markup()
