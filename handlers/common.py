"""Commands every user has: /start, /help, /language, /cancel."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import BotCommandScopeChat, CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.container import Services
from bot.filters import MenuButton, RouterEntry
from bot.i18n import LOCALE_NAMES
from bot.keyboards import HELP_LABEL, LANGUAGE_LABEL, LanguageChoice, language_picker, main_menu
from bot.routing import FeatureRouter
from bot.services.roles import ChatRole, role_of
from bot.state import leave_flow
from bot.views.officers import staff_help, staff_menu


def help_text(role: ChatRole) -> str:
    if role in (ChatRole.OFFICER, ChatRole.SUPERVISOR):
        return staff_help(role is ChatRole.SUPERVISOR)
    if role is ChatRole.UNBOUND:
        linked = [
            _("/bind: link this chat to your bank account"),
            _(
                "Once the chat is linked: /balance, /loans, /due, /statement, /reminders "
                "and money commands by message"
            ),
        ]
    else:
        linked = [
            _("/balance: your accounts and what is available"),
            _("/loans: your loans, schedules and how to repay"),
            _("/due: the next payment in one line"),
            _("/statement: recent transactions"),
            _("/reminders: reminders before due dates on or off"),
            _(
                "Money commands by message (send ? for the list): "
                "YE balance, ZZ 张三 100 transfer, QR 123456 confirm"
            ),
            _("/unbind: unlink this chat from your bank account"),
        ]
    return "\n".join(
        [
            _("I help small businesses with micro-loans from the bank."),
            "",
            _("/apply: apply for a loan; an officer calls you back"),
            _("/calc: what a loan costs each month, for every repayment method"),
            *linked,
            _("/language: change the language"),
            _("/cancel: leave what you are doing"),
            _("/forget: delete everything I keep about you"),
            _("/help: this list"),
        ]
    )


async def start(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    await leave_flow(state)
    name = message.from_user.first_name if message.from_user else ""
    role = await role_of(message.chat.id, locale, services.accounts, services.officers.directory)
    await message.answer(
        _("Hello, {name}! I am the bank's micro-loan assistant.").format(name=name)
        + "\n\n"
        + help_text(role),
        reply_markup=main_menu(),
    )


async def show_help(message: Message, locale: str, services: Services) -> None:
    role = await role_of(message.chat.id, locale, services.accounts, services.officers.directory)
    staff = role in (ChatRole.OFFICER, ChatRole.SUPERVISOR)
    await message.answer(help_text(role), reply_markup=None if staff else main_menu())


async def choose_language(message: Message, locale: str) -> None:
    await message.answer(_("Choose your language:"), reply_markup=language_picker(current=locale))


async def switch_language(
    callback: CallbackQuery, locale: str, i18n: I18n, services: Services
) -> None:
    """Keep the user's choice and say so on the picker, in the new language; an officer's
    chat menu follows."""
    await services.preferences.choose(callback.from_user.id, locale)
    member = await services.officers.directory.by_chat(callback.from_user.id)
    with i18n.use_locale(locale):
        if member is not None and callback.bot is not None:
            menu = staff_menu(member.is_supervisor)
            scope = BotCommandScopeChat(chat_id=member.chat_id)
            await callback.bot.set_my_commands(menu, scope=scope)
        if isinstance(callback.message, Message):
            await callback.message.edit_text(
                _("Language: {name}").format(name=LOCALE_NAMES[locale]),
                reply_markup=language_picker(current=locale),
            )
        await callback.answer()


async def language_chosen(
    callback: CallbackQuery, callback_data: LanguageChoice, i18n: I18n, services: Services
) -> None:
    await switch_language(callback, callback_data.locale, i18n, services)
    with i18n.use_locale(callback_data.locale):
        if isinstance(callback.message, Message):
            await callback.message.answer(_("Done. How can I help?"), reply_markup=main_menu())


async def cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        await message.answer(_("There is nothing to cancel."), reply_markup=main_menu())
        return
    await leave_flow(state)
    await message.answer(_("Cancelled. Nothing was kept."), reply_markup=main_menu())


def build_router() -> Router:
    router = FeatureRouter(name="common")
    router.message.filter(
        RouterEntry(
            commands=("start", "help", "language", "cancel"), labels=(HELP_LABEL, LANGUAGE_LABEL)
        )
    )
    router.message.register(start, CommandStart())
    router.message.register(show_help, Command("help"))
    router.message.register(show_help, MenuButton(HELP_LABEL))
    router.message.register(choose_language, Command("language"))
    router.message.register(choose_language, MenuButton(LANGUAGE_LABEL))
    router.callback_query.register(language_chosen, LanguageChoice.filter())
    router.message.register(cancel, Command("cancel"))
    return router
