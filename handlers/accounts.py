"""/balance, /loans, /due, /statement, /bind and /unbind: a customer's own money in the chat.

An unbound user who asks for any of them is led through binding first: share the own
contact, type the code the bank texted, and then sees what they asked for.
"""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram import Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.formatting import Pre, Text
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.config import Settings
from bot.container import Services
from bot.domain.repayment import PaymentKind
from bot.filters import MenuButton, RouterEntry
from bot.i18n import money
from bot.keyboards import (
    BALANCE_LABEL,
    LOANS_LABEL,
    close_question,
    main_menu,
    note_question,
    out_of_date,
)
from bot.routing import FeatureRouter
from bot.services.accounts import (
    STATEMENT_MAX_PAGES,
    AccountsService,
    BankLookupError,
    BindingError,
    BindingProblem,
    NotTheirLoan,
)
from bot.services.money_store import ReplyTo
from bot.services.repayment_plans import RepayOptions
from bot.state import leave_flow
from bot.views import accounts as views
from handlers.money_commands import buttons as money_buttons
from handlers.money_commands import texts as money_texts
from integrations.bank.models import Loan

CODE_LENGTH = 6


class BindForm(StatesGroup):
    contact = State()
    code = State()


LoanId = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


class LoanButton(CallbackData, prefix="ln"):
    # schedule (new message), page (edit in place), csv, repay
    action: Literal["schedule", "page", "csv", "repay"]
    loan: LoanId
    page: Annotated[int, Field(ge=0, le=1000)] = 0


class RepayPress(CallbackData, prefix="ra"):
    """Repay this installment, the overdue, or the payoff: the amount is worked out again
    when pressed, from the bank's loan, never taken from the button."""

    loan: LoanId
    kind: Literal[PaymentKind.INSTALLMENT, PaymentKind.OVERDUE, PaymentKind.PAYOFF]


class StatementPage(CallbackData, prefix="st"):
    page: Annotated[int, Field(ge=0, lt=STATEMENT_MAX_PAGES)]


class UnbindChoice(CallbackData, prefix="ub"):
    confirm: bool


UNBIND_QUESTION = "unbind"


def _contact_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=_("📱 Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def _customer(
    message: Message, state: FSMContext, accounts: AccountsService, locale: str, then: str
) -> str | None:
    """The bound customer; otherwise binding starts (and `then` is shown after it)."""
    try:
        customer_id = await accounts.customer_of(message.chat.id, locale)
    except BankLookupError:
        await message.answer(views.bank_unavailable())
        return None
    if customer_id is None:
        await state.set_state(BindForm.contact)
        await state.update_data(bind={"then": then})
        await message.answer(views.ask_contact(), reply_markup=_contact_keyboard())
    return customer_id


async def bind(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    if await _customer(message, state, services.accounts, locale, then="") is not None:
        await message.answer(_("This chat is already linked to your bank account."))


async def contact_given(message: Message, state: FSMContext, services: Services) -> None:
    contact = message.contact
    if contact is None:
        await message.answer(views.press_share_button(), reply_markup=_contact_keyboard())
        return
    try:
        sent = await services.accounts.start_binding(
            message.chat.id, contact.phone_number, contact.user_id
        )
    except BindingError as error:
        await _binding_failed(message, state, error)
        return
    data = (await state.get_data()).get("bind", {})
    await state.update_data(bind={**data, "challenge": sent.challenge_id})
    await state.set_state(BindForm.code)
    await message.answer(views.code_sent(sent, services.clock.now()), reply_markup=main_menu())


async def code_given(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    code = (message.text or "").strip()
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        await message.answer(views.code_format())
        return
    data = (await state.get_data()).get("bind", {})
    try:
        customer_id = await services.accounts.confirm_binding(
            message.chat.id, data.get("challenge", ""), code, locale
        )
    except BindingError as error:
        await _binding_failed(message, state, error)
        return
    await leave_flow(state)
    await message.answer(views.bound(), reply_markup=main_menu())
    await services.reminders.index_customer(customer_id, services.clock.now())
    then = data.get("then")
    if then == "balance":
        await _show_balance(message, services.accounts, customer_id, locale)
    elif then == "loans":
        await _show_loans(message, services.accounts, customer_id, services.settings, locale)


async def _binding_failed(message: Message, state: FSMContext, error: BindingError) -> None:
    keeps_trying = error.problem in (BindingProblem.WRONG_CODE, BindingProblem.NOT_OWN_CONTACT)
    if not keeps_trying:
        await leave_flow(state)
    markup = _contact_keyboard() if error.problem is BindingProblem.NOT_OWN_CONTACT else main_menu()
    await message.answer(views.binding_problem(error), reply_markup=markup)


async def unbind(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    try:
        customer_id = await services.accounts.customer_of(message.chat.id, locale)
    except BankLookupError:
        await message.answer(views.bank_unavailable())
        return
    if customer_id is None:
        await message.answer(views.not_bound())
        return
    builder = InlineKeyboardBuilder()
    builder.button(text=_("Yes, unlink"), callback_data=UnbindChoice(confirm=True))
    builder.button(text=_("No, keep it"), callback_data=UnbindChoice(confirm=False))
    await note_question(state, UNBIND_QUESTION)
    await message.answer(views.ask_unbind(), reply_markup=builder.as_markup())


async def unbind_chosen(
    callback: CallbackQuery, callback_data: UnbindChoice, state: FSMContext, services: Services
) -> None:
    if not await close_question(state, UNBIND_QUESTION):
        await out_of_date(callback)
        return
    await callback.answer()
    if not isinstance(callback.message, Message):
        return
    if not callback_data.confirm:
        await callback.message.edit_text(_("Nothing changed: the chat stays linked."))
        return
    try:
        await services.accounts.unbind(callback.from_user.id)
    except BankLookupError:
        await callback.message.edit_text(views.bank_unavailable())
        return
    await callback.message.edit_text(views.unbound())


async def balance(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    customer_id = await _customer(message, state, services.accounts, locale, then="balance")
    if customer_id is not None:
        await _show_balance(message, services.accounts, customer_id, locale)


async def _show_balance(
    message: Message, accounts: AccountsService, customer_id: str, locale: str
) -> None:
    try:
        text = views.balances(await accounts.accounts(customer_id), locale)
    except BankLookupError:
        text = views.bank_unavailable()
    await message.answer(text)


async def loans(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    customer_id = await _customer(message, state, services.accounts, locale, then="loans")
    if customer_id is not None:
        await _show_loans(message, services.accounts, customer_id, services.settings, locale)
        await services.reminders.index_customer(customer_id, services.clock.now())


async def _show_loans(
    message: Message, accounts: AccountsService, customer_id: str, settings: Settings, locale: str
) -> None:
    try:
        items = await accounts.loans_today(customer_id)
    except BankLookupError:
        await message.answer(views.bank_unavailable())
        return
    builder = InlineKeyboardBuilder()
    for loan in (today.loan for today in items):
        builder.button(
            text=_("📅 Schedule {reference}").format(reference=loan.id),
            callback_data=LoanButton(action="schedule", loan=loan.id),
        )
        builder.button(
            text=_("💸 Repay {reference}").format(reference=loan.id),
            callback_data=LoanButton(action="repay", loan=loan.id),
        )
    builder.button(text=_("🧾 Statement"), callback_data=StatementPage(page=0))
    builder.adjust(*([2] * len(items)), 1)
    await message.answer(
        views.loans(items, settings.currency, locale), reply_markup=builder.as_markup()
    )


async def due(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    customer_id = await _customer(message, state, services.accounts, locale, then="loans")
    if customer_id is None:
        return
    try:
        items = await services.accounts.loans(customer_id)
    except BankLookupError:
        await message.answer(views.bank_unavailable())
        return
    today = services.clock.now().astimezone(services.settings.zone).date()
    await message.answer(views.due_line(items, today, services.settings.currency, locale))
    await services.reminders.index_customer(customer_id, services.clock.now())


async def statement(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    customer_id = await _customer(message, state, services.accounts, locale, then="")
    if customer_id is None:
        return
    text, markup = await _statement_page(
        services.accounts, customer_id, 0, services.settings, locale
    )
    await message.answer(text, reply_markup=markup)


async def statement_paged(
    callback: CallbackQuery, callback_data: StatementPage, locale: str, services: Services
) -> None:
    customer_id = await _callback_customer(callback, services.accounts, locale)
    if customer_id is None or not isinstance(callback.message, Message):
        return
    await callback.answer()
    text, markup = await _statement_page(
        services.accounts, customer_id, callback_data.page, services.settings, locale
    )
    if callback.message.text and callback.message.text.startswith("🧾"):
        await callback.message.edit_text(text, reply_markup=markup)
    else:
        await callback.message.answer(text, reply_markup=markup)


async def _statement_page(
    accounts: AccountsService, customer_id: str, page: int, settings: Settings, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    try:
        result, account = await accounts.statement(customer_id, page)
    except BankLookupError:
        return views.bank_unavailable(), None
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(text=_("◀ Newer"), callback_data=StatementPage(page=page - 1))
    if result.next_cursor is not None and page + 1 < STATEMENT_MAX_PAGES:
        builder.button(text=_("Older ▶"), callback_data=StatementPage(page=page + 1))
    text = views.statement(account, result.items, page, settings.zone, locale)
    return text, builder.as_markup() if builder.buttons else None


async def loan_button(
    callback: CallbackQuery, callback_data: LoanButton, locale: str, services: Services
) -> None:
    customer_id = await _callback_customer(callback, services.accounts, locale)
    if customer_id is None or not isinstance(callback.message, Message):
        return
    loan = await own_loan(callback, services.accounts, customer_id, callback_data.loan)
    if loan is None:
        return
    await callback.answer()
    message = callback.message
    if callback_data.action == "repay":
        await _offer_repayment(message, services, customer_id, loan, locale)
    elif callback_data.action == "csv":
        document = BufferedInputFile(views.schedule_csv(loan), filename=f"{loan.id}.csv")
        await message.answer_document(document)
    else:
        pages = views.schedule_pages(loan)
        page = min(max(callback_data.page, 0), pages - 1)
        content = Text(
            views.schedule_title(loan, page, pages),
            "\n\n",
            Pre(views.schedule_table(loan, page, locale)),
        ).as_kwargs()
        markup = _schedule_keyboard(loan.id, page, pages)
        if callback_data.action == "page":
            await message.edit_text(**content, reply_markup=markup)
        else:
            await message.answer(**content, reply_markup=markup)


async def _offer_repayment(
    message: Message, services: Services, customer_id: str, loan: Loan, locale: str
) -> None:
    options = await services.money_commands.repay_options(customer_id, loan.id)
    if not isinstance(options, RepayOptions):
        await message.answer(money_texts(services.settings, locale).render(options))
        return
    cash = services.settings.currency
    labels = [
        (PaymentKind.INSTALLMENT, options.installment, _("This installment {amount}")),
        (PaymentKind.OVERDUE, options.overdue, _("All overdue {amount}")),
        (PaymentKind.PAYOFF, options.payoff, _("Pay off today {amount}")),
    ]
    builder = InlineKeyboardBuilder()
    for kind, amount, label in labels:
        if amount and not (kind is PaymentKind.OVERDUE and amount == options.installment):
            builder.button(
                text=label.format(amount=money(amount, cash, locale)),
                callback_data=RepayPress(loan=loan.id, kind=kind),
            )
    builder.adjust(1)
    text = _("Repay loan {reference}: choose the amount; the bank texts a code to confirm it.")
    await message.answer(text.format(reference=loan.id), reply_markup=builder.as_markup())


async def repay_pressed(
    callback: CallbackQuery, callback_data: RepayPress, locale: str, services: Services
) -> None:
    customer_id = await _callback_customer(callback, services.accounts, locale)
    if customer_id is None or not isinstance(callback.message, Message):
        return
    await callback.answer()
    await services.money_commands.store.remember_locale(customer_id, locale)
    outcome = await services.money_commands.repay_by_button(
        customer_id, callback_data.loan, callback_data.kind, ReplyTo(chat_id=callback.from_user.id)
    )
    await callback.message.answer(
        money_texts(services.settings, locale).render(outcome), reply_markup=money_buttons(outcome)
    )


def _schedule_keyboard(loan_id: str, page: int, pages: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(
            text="◀", callback_data=LoanButton(action="page", loan=loan_id, page=page - 1)
        )
    if page + 1 < pages:
        builder.button(
            text="▶", callback_data=LoanButton(action="page", loan=loan_id, page=page + 1)
        )
    builder.button(text=_("CSV"), callback_data=LoanButton(action="csv", loan=loan_id))
    builder.button(text=_("💸 Repay"), callback_data=LoanButton(action="repay", loan=loan_id))
    return builder.as_markup()


async def own_loan(
    callback: CallbackQuery, accounts: AccountsService, customer_id: str, loan_id: str
) -> Loan | None:
    """The customer's active loan a button names; otherwise the button is answered."""
    try:
        loan = await accounts.own_loan(customer_id, loan_id)
    except BankLookupError:
        await callback.answer(views.bank_unavailable(), show_alert=True)
        return None
    except NotTheirLoan:
        await callback.answer(views.not_their_loan(), show_alert=True)
        return None
    if loan is None:
        await out_of_date(callback)  # no longer running
    return loan


async def _callback_customer(
    callback: CallbackQuery, accounts: AccountsService, locale: str
) -> str | None:
    try:
        customer_id = await accounts.customer_of(callback.from_user.id, locale)
    except BankLookupError:
        await callback.answer(views.bank_unavailable(), show_alert=True)
        return None
    if customer_id is None:
        await callback.answer(
            _("This chat is not linked to a bank account; send /bind."), show_alert=True
        )
    return customer_id


def build_router() -> Router:
    router = FeatureRouter(name="accounts")
    router.message.filter(
        RouterEntry(
            commands=("balance", "loans", "due", "statement", "bind", "unbind"),
            labels=(BALANCE_LABEL, LOANS_LABEL),
            forms=(BindForm,),
        )
    )
    router.message.register(contact_given, StateFilter(BindForm.contact))
    router.message.register(code_given, StateFilter(BindForm.code))
    router.message.register(bind, Command("bind"))
    router.message.register(unbind, Command("unbind"))
    router.message.register(balance, Command("balance"))
    router.message.register(balance, MenuButton(BALANCE_LABEL))
    router.message.register(loans, Command("loans"))
    router.message.register(loans, MenuButton(LOANS_LABEL))
    router.message.register(due, Command("due"))
    router.message.register(statement, Command("statement"))
    router.callback_query.register(unbind_chosen, UnbindChoice.filter())
    router.callback_query.register(statement_paged, StatementPage.filter())
    router.callback_query.register(loan_button, LoanButton.filter())
    router.callback_query.register(repay_pressed, RepayPress.filter())
    return router
