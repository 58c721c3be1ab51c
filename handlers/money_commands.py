"""SMS-style money commands typed in the chat (YE, ZZ 张三 100, QR 123456...) by bound
customers whenever no other form is in progress; Confirm / Cancel buttons under a preview."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from aiogram import Router
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.config import Settings
from bot.container import Services
from bot.domain.commands import Cancel, keyword_of
from bot.domain.repayment import Prepayment
from bot.routing import FeatureRouter
from bot.services.money_outcomes import (
    BankDown,
    ChoosePrepayment,
    InDoubt,
    Outcome,
    PendingExists,
    Preview,
)
from bot.services.money_store import OPERATION_ID, ReplyTo
from bot.state import leave_flow
from bot.views.money_commands import MoneyTexts, prepayment_label


class MoneyForm(StatesGroup):
    code = State()  # after the Confirm button: the next text is the code


class Press(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"


class MoneyAction(CallbackData, prefix="mc"):
    """Data that does not parse (a forged or old press) falls to the fallback's answer."""

    action: Press
    operation: Annotated[str, Field(pattern=OPERATION_ID)]


class PrepaymentPick(CallbackData, prefix="pp"):
    """The kind of prepayment for the offer the bot keeps for this customer (by its id)."""

    offer: Annotated[str, Field(pattern=OPERATION_ID)]
    kind: Prepayment


class MoneyCommandEntry(Filter):
    """Root filter: a command word outside any form, or any text while waiting for a code."""

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        if raw_state is not None:
            return raw_state == MoneyForm.code.state
        return message.text is not None and keyword_of(message.text) is not None


def texts(settings: Settings, locale: str) -> MoneyTexts:
    return MoneyTexts(settings.currency, locale, settings.zone)


def buttons(outcome: Outcome) -> InlineKeyboardMarkup | None:
    builder = InlineKeyboardBuilder()
    if isinstance(outcome, Preview):
        operation = outcome.pending.id
        builder.button(
            text=_("✅ Confirm"),
            callback_data=MoneyAction(action=Press.CONFIRM, operation=operation),
        )
        builder.button(
            text=_("✖️ Cancel"), callback_data=MoneyAction(action=Press.CANCEL, operation=operation)
        )
    elif isinstance(outcome, ChoosePrepayment):
        for kind in Prepayment:
            builder.button(
                text=prepayment_label(kind),
                callback_data=PrepaymentPick(offer=outcome.offer_id, kind=kind),
            )
        builder.adjust(1)
    elif isinstance(outcome, PendingExists):
        operation = outcome.pending.id
        builder.button(
            text=_("✖️ Cancel the waiting transaction"),
            callback_data=MoneyAction(action=Press.CANCEL, operation=operation),
        )
    else:
        return None
    return builder.as_markup()


def not_bound() -> str:
    return _("Money commands are for the bank's customers: send /bind to link your bank account.")


async def command(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    user_id = message.from_user.id if message.from_user else message.chat.id
    customer_id = await services.money_commands.customer_of_chat_user(user_id)
    if isinstance(customer_id, BankDown | InDoubt):
        await message.answer(texts(services.settings, locale).render(customer_id))
        return
    if customer_id is None:
        await leave_flow(state)
        await message.answer(not_bound())
        return
    await services.money_commands.store.remember_locale(customer_id, locale)
    text = message.text or ""
    if await state.get_state() == MoneyForm.code.state and keyword_of(text) is None:
        text = f"QR {text}"
    await leave_flow(state)
    outcome = await services.money_commands.handle(
        customer_id, text, ReplyTo(chat_id=message.chat.id)
    )
    await message.answer(
        texts(services.settings, locale).render(outcome), reply_markup=buttons(outcome)
    )


async def pressed(
    callback: CallbackQuery,
    callback_data: MoneyAction,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    customer_id = await services.money_commands.customer_of_chat_user(callback.from_user.id)
    if isinstance(customer_id, BankDown | InDoubt):
        await callback.answer(texts(services.settings, locale).render(customer_id), show_alert=True)
        return
    pending = await services.money_commands.pending(customer_id) if customer_id else None
    if (
        customer_id is None
        or pending is None
        or pending.id != callback_data.operation
        or (pending.sent and callback_data.action is Press.CONFIRM)
    ):
        await callback.answer(_("This transaction is no longer waiting."), show_alert=True)
        return
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if callback_data.action is Press.CONFIRM:
        await state.set_state(MoneyForm.code)
        await callback.message.answer(
            _("Send the 6-digit code from the SMS (or QR and the code, e.g. QR 123456).")
        )
        return
    outcome = await services.money_commands.run(
        customer_id, Cancel()
    )  # a sent one is checked instead
    await leave_flow(state)
    await callback.message.answer(texts(services.settings, locale).render(outcome))


async def prepayment_picked(
    callback: CallbackQuery, callback_data: PrepaymentPick, locale: str, services: Services
) -> None:
    engine = services.money_commands
    customer_id = await engine.customer_of_chat_user(callback.from_user.id)
    if isinstance(customer_id, BankDown | InDoubt):
        await callback.answer(texts(services.settings, locale).render(customer_id), show_alert=True)
        return
    reply_to = ReplyTo(chat_id=callback.from_user.id)
    outcome = None
    if customer_id is not None:
        outcome = await engine.choose_prepayment(
            customer_id, callback_data.offer, callback_data.kind, reply_to
        )
    if outcome is None or not isinstance(callback.message, Message):
        await callback.answer(_("This button is no longer active."), show_alert=True)
        return
    await callback.answer()
    await callback.message.answer(
        texts(services.settings, locale).render(outcome), reply_markup=buttons(outcome)
    )


def build_router() -> Router:
    router = FeatureRouter(name="money_commands")
    router.message.filter(MoneyCommandEntry())
    router.message.register(command)
    router.callback_query.register(pressed, MoneyAction.filter())
    router.callback_query.register(prepayment_picked, PrepaymentPick.filter())
    return router
