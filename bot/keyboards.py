"""Keyboards shared by several handlers."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, ReplyKeyboardMarkup
from aiogram.utils.i18n import get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.keyboard import InlineKeyboardBuilder, ReplyKeyboardBuilder
from pydantic import AfterValidator, Field

from bot.config import SUPPORTED_LOCALES
from bot.domain.plans import PLANS_BY_ID
from bot.i18n import LOCALE_NAMES

APPLY_LABEL = __("📝 Apply")
CALCULATOR_LABEL = __("🧮 Loan calculator")
HELP_LABEL = __("❓ Help")
LANGUAGE_LABEL = __("🌐 Language")
BALANCE_LABEL = __("💳 Balance")
LOANS_LABEL = __("📋 My loans")
ASKING = "asking"  # FSM data: the yes/no question shown last, whose answer buttons count


def _known_plan(plan_id: str) -> str:
    if plan_id not in PLANS_BY_ID:
        raise ValueError("unknown repayment plan")
    return plan_id


def _supported_locale(locale: str) -> str:
    if locale not in SUPPORTED_LOCALES:
        raise ValueError("unsupported locale")
    return locale


# What a loan button may carry; anything else does not unpack (so it is out of date).
ButtonAmount = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2, allow_inf_nan=False)]
ButtonMonths = Annotated[int, Field(ge=1, le=600)]
PlanId = Annotated[str, AfterValidator(_known_plan)]


class LanguageChoice(CallbackData, prefix="lang"):
    locale: Annotated[str, AfterValidator(_supported_locale)]


class ApplyWith(CallbackData, prefix="aw"):
    """Start an application with the loan a calculator result shows."""

    amount: ButtonAmount
    months: ButtonMonths
    plan: PlanId


async def out_of_date(callback: CallbackQuery) -> None:
    """The one answer to a button that does not parse or does not fit where the user is
    (an old keyboard, or data made by hand): nothing else happens."""
    await callback.answer(_("This button is no longer active."), show_alert=True)


async def note_question(state: FSMContext, question: str) -> None:
    """Note that a yes/no question is being shown: only then are its answer buttons taken."""
    await state.update_data({ASKING: question})


async def close_question(state: FSMContext, question: str) -> bool:
    """Whether `question` was shown and not answered yet (else the button is out of date, or
    made by hand); it is answered now."""
    data = await state.get_data()
    if data.get(ASKING) != question:
        return False
    del data[ASKING]
    await state.set_data(data)
    return True


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
