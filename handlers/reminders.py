"""The buttons under reminders (Repay now, I have paid, mute) and /reminders."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.container import Services
from bot.filters import RouterEntry
from bot.keyboards import out_of_date
from bot.routing import FeatureRouter
from bot.services.accounts import BankLookupError
from bot.services.reminders import ReminderService
from bot.views import accounts as account_views
from bot.views import reminders as views
from bot.views.reminders import ReminderButton
from handlers.accounts import own_loan


async def show_settings(message: Message, services: Services) -> None:
    is_muted = await services.reminders.mutes.muted(message.chat.id)
    await message.answer(views.muted(is_muted), reply_markup=views.mute_toggle(is_muted))


async def pressed(
    callback: CallbackQuery, callback_data: ReminderButton, locale: str, services: Services
) -> None:
    message = callback.message if isinstance(callback.message, Message) else None
    if callback_data.action in ("mute", "toggle"):
        await _toggle(callback, services.reminders, message, mute=callback_data.action == "mute")
        return
    if callback_data.action not in ("repay", "paid"):
        await out_of_date(callback)
        return
    try:
        customer_id = await services.accounts.customer_of(callback.from_user.id, locale)
    except BankLookupError:
        customer_id = None
    if customer_id is None or message is None:
        await callback.answer(account_views.not_bound(), show_alert=True)
        return
    loan = await own_loan(callback, services.accounts, customer_id, callback_data.loan)
    if loan is None:
        return
    if callback_data.action == "repay":
        await callback.answer()
        await message.answer(account_views.repay_hint(loan, services.settings.currency, locale))
        return
    if all(row.number != callback_data.number for row in loan.schedule):
        await out_of_date(callback)
        return
    await callback.answer()
    check = await services.reminders.check_payment(customer_id, loan.id, callback_data.number)
    await message.answer(views.payment_check(check, services.settings.currency, locale))


async def _toggle(
    callback: CallbackQuery, reminders: ReminderService, message: Message | None, *, mute: bool
) -> None:
    chat_id = callback.from_user.id
    is_muted = True if mute else not await reminders.mutes.muted(chat_id)
    await reminders.mutes.set(chat_id, is_muted)
    await callback.answer()
    if message is not None:
        text = views.muted(is_muted)
        if mute:
            text += "\n" + _("Send /reminders to turn them on again.")
            await message.answer(text)
        else:
            await message.edit_text(text, reply_markup=views.mute_toggle(is_muted))


def build_router() -> Router:
    router = FeatureRouter(name="reminders")
    router.message.filter(RouterEntry(commands=("reminders",)))
    router.message.register(show_settings, Command("reminders"))
    router.callback_query.register(pressed, ReminderButton.filter())
    return router
