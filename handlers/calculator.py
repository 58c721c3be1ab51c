"""/calc: amount, term and repayment method, then the schedule, chart, CSV and comparison."""

from __future__ import annotations

import asyncio
from decimal import Decimal
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
    Message,
    WebAppInfo,
)
from aiogram.utils.formatting import Pre, Text
from aiogram.utils.i18n import gettext as _
from aiogram.utils.keyboard import InlineKeyboardBuilder
from pydantic import Field

from bot.config import Settings
from bot.container import Services
from bot.domain.amounts import AmountError, parse_amount
from bot.domain.loan_terms import ScheduleError
from bot.domain.plans import PLANS_BY_ID, RepaymentPlan
from bot.domain.schedule import Schedule
from bot.domain.terms import TERM_CHOICES, TermError, parse_term
from bot.filters import MenuButton, RouterEntry
from bot.keyboards import (
    CALCULATOR_LABEL,
    ApplyWith,
    ButtonAmount,
    ButtonMonths,
    PlanId,
    main_menu,
    out_of_date,
)
from bot.routing import FeatureRouter
from bot.services.calculator import LoanCalculator, ProductBounds
from bot.state import leave_flow
from bot.views import calculator as views
from bot.views import chart


class CalcForm(StatesGroup):
    amount = State()
    months = State()
    plan = State()


class CalcStep(CallbackData, prefix="cs"):
    """Buttons inside the form."""

    action: Literal["back", "cancel", "months", "plan", "compare"]
    value: str = ""


class CalcView(CallbackData, prefix="cv"):
    """Buttons under a result; they carry the loan, so old results keep working."""

    # table (a new message), page (edit in place), chart, csv, compare, plan
    action: Literal["table", "page", "chart", "csv", "compare", "plan"]
    amount: ButtonAmount
    months: ButtonMonths
    plan: PlanId
    page: Annotated[int, Field(ge=0, le=1000)] = 0


FORM_STATES = {state.state for state in CalcForm.__states__}


async def start(message: Message, state: FSMContext, locale: str, services: Services) -> None:
    bounds = await services.calculator.bounds()
    await state.set_state(CalcForm.amount)
    await state.update_data(calc={})
    await message.answer(
        views.ask_amount(bounds, services.settings.currency, locale),
        reply_markup=_form_keyboard(back=False, mini_app=services.settings.webapp_url),
    )


async def amount_given(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    bounds = await services.calculator.bounds()
    try:
        amount = parse_amount(message.text or "")
    except AmountError as error:
        await message.answer(views.amount_error(error), reply_markup=_form_keyboard(back=False))
        return
    if not bounds.amount_fits(amount):
        await message.answer(
            views.amount_out_of_range(amount, bounds, services.settings.currency, locale),
            reply_markup=_form_keyboard(back=False),
        )
        return
    await state.update_data(calc={"amount": str(amount)})
    await state.set_state(CalcForm.months)
    await message.answer(views.ask_months(bounds), reply_markup=_months_keyboard(bounds))


async def months_typed(
    message: Message, state: FSMContext, locale: str, services: Services
) -> None:
    bounds = await services.calculator.bounds()
    try:
        months = parse_term(message.text or "")
    except TermError:
        months = 0
    if not bounds.months_fit(months):
        await message.answer(
            views.months_out_of_range(bounds), reply_markup=_months_keyboard(bounds)
        )
        return
    await _ask_plan(message, state, bounds, months, services.settings, locale)


async def form_button(
    callback: CallbackQuery,
    callback_data: CalcStep,
    state: FSMContext,
    locale: str,
    services: Services,
) -> None:
    current = await state.get_state()
    bounds = await services.calculator.bounds()
    data = (await state.get_data()).get("calc", {})
    if not isinstance(callback.message, Message) or not _offered(
        callback_data, current, data, bounds
    ):
        await out_of_date(callback)
        return
    await callback.answer()
    message = callback.message
    action = callback_data.action
    if action == "cancel":
        await leave_flow(state)
        await message.edit_text(_("Calculator closed."))
        await message.answer(_("How can I help?"), reply_markup=main_menu())
    elif action == "back" and current == CalcForm.plan.state:
        await state.set_state(CalcForm.months)
        await message.edit_text(views.ask_months(bounds), reply_markup=_months_keyboard(bounds))
    elif action == "back":
        await state.set_state(CalcForm.amount)
        await message.edit_text(
            views.ask_amount(bounds, services.settings.currency, locale),
            reply_markup=_form_keyboard(back=False),
        )
    elif action == "months":
        await _ask_plan(
            message, state, bounds, int(callback_data.value), services.settings, locale, edit=True
        )
    else:
        amount, months = Decimal(data["amount"]), int(data["months"])
        await leave_flow(state)
        if action == "compare":
            await _show_comparison(
                message, services.calculator, bounds, amount, months, services.settings, locale
            )
        else:
            await _show_result(
                message,
                services.calculator,
                bounds,
                amount,
                months,
                callback_data.value,
                services.settings,
                locale,
                edit=True,
            )


def _offered(
    step: CalcStep, current: str | None, data: dict[str, str], bounds: ProductBounds
) -> bool:
    """Whether the form is at the question this button belongs to, and the value fits."""
    if current not in FORM_STATES:
        return False
    if step.action == "cancel":
        return True
    if step.action == "back":
        return current != CalcForm.amount.state
    if step.action == "months":
        value = step.value
        return (
            current == CalcForm.months.state and value.isdecimal() and bounds.months_fit(int(value))
        )
    if current != CalcForm.plan.state or "months" not in data:
        return False
    plans = {plan.plan_id for plan in bounds.plans_for(int(data["months"]))}
    return step.action == "compare" or step.value in plans


async def plan_typed(message: Message) -> None:
    await message.answer(_("Please choose a repayment method with the buttons above."))


async def result_button(
    callback: CallbackQuery, callback_data: CalcView, locale: str, services: Services
) -> None:
    if not isinstance(callback.message, Message):
        await callback.answer()
        return
    bounds = await services.calculator.bounds()
    amount, months = callback_data.amount, callback_data.months
    if not (bounds.amount_fits(amount) and bounds.months_fit(months)):
        await out_of_date(callback)  # a loan the product no longer offers
        return
    try:
        schedule = services.calculator.schedule(bounds, amount, months, callback_data.plan)
    except ScheduleError:
        await out_of_date(callback)
        return
    await callback.answer()
    message, action = callback.message, callback_data.action
    if action in ("table", "page"):
        await _show_page(message, schedule, callback_data, locale)
    elif action == "csv":
        document = BufferedInputFile(views.schedule_csv(schedule), filename="schedule.csv")
        await message.answer_document(
            document, caption=_("The repayment schedule as a table (CSV).")
        )
    elif action == "chart":
        labels = (_("Principal"), _("Interest"), _("Each payment: principal and interest"))
        png = await asyncio.to_thread(chart.schedule_chart, schedule, labels)
        await message.answer_photo(
            BufferedInputFile(png, filename="schedule.png"),
            caption=views.plan_name(PLANS_BY_ID[callback_data.plan]),
        )
    elif action == "compare":
        await _show_comparison(
            message,
            services.calculator,
            bounds,
            amount,
            callback_data.months,
            services.settings,
            locale,
        )
    elif action == "plan":
        await _show_result(
            message,
            services.calculator,
            bounds,
            amount,
            callback_data.months,
            callback_data.plan,
            services.settings,
            locale,
            edit=False,
        )


async def _ask_plan(
    message: Message,
    state: FSMContext,
    bounds: ProductBounds,
    months: int,
    settings: Settings,
    locale: str,
    *,
    edit: bool = False,
) -> None:
    data = (await state.get_data()).get("calc", {})
    amount = Decimal(data["amount"])
    await state.update_data(calc={**data, "months": months})
    await state.set_state(CalcForm.plan)
    text = views.ask_plan(bounds, amount, months, settings.currency, locale)
    markup = _plans_keyboard(bounds.plans_for(months))
    if edit:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


async def _show_result(
    message: Message,
    calculator: LoanCalculator,
    bounds: ProductBounds,
    amount: Decimal,
    months: int,
    plan_id: str,
    settings: Settings,
    locale: str,
    *,
    edit: bool,
) -> None:
    plan = PLANS_BY_ID[plan_id]
    try:
        schedule = calculator.schedule(bounds, amount, months, plan_id)
    except ScheduleError:
        text = _("{plan} does not work for {months} months. Please choose another method.").format(
            plan=views.plan_name(plan), months=months
        )
        await message.answer(text, reply_markup=_compare_keyboard(amount, months))
        return
    text = views.summary(schedule, plan, settings.currency, locale)
    markup = _result_keyboard(amount, months, plan_id)
    if edit:
        await message.edit_text(text, reply_markup=markup)
    else:
        await message.answer(text, reply_markup=markup)


async def _show_page(message: Message, schedule: Schedule, view: CalcView, locale: str) -> None:
    pages = views.page_count(schedule)
    page = min(max(view.page, 0), pages - 1)
    title = _("Repayment schedule, page {page} of {pages}").format(page=page + 1, pages=pages)
    body = Pre(views.table_page(schedule, page, locale))
    builder = InlineKeyboardBuilder()
    if page > 0:
        builder.button(
            text="◀", callback_data=view.model_copy(update={"action": "page", "page": page - 1})
        )
    if page < pages - 1:
        builder.button(
            text="▶", callback_data=view.model_copy(update={"action": "page", "page": page + 1})
        )
    content = Text(title, "\n\n", body).as_kwargs()
    if view.action == "table":  # from the result: a new message, the result stays
        await message.answer(**content, reply_markup=builder.as_markup())
    else:
        await message.edit_text(**content, reply_markup=builder.as_markup())


async def _show_comparison(
    message: Message,
    calculator: LoanCalculator,
    bounds: ProductBounds,
    amount: Decimal,
    months: int,
    settings: Settings,
    locale: str,
) -> None:
    results = calculator.compare(bounds, amount, months)
    builder = InlineKeyboardBuilder()
    for result in results:
        if result.schedule is not None:
            builder.button(
                text=views.plan_name(result.plan),
                callback_data=CalcView(
                    action="plan", amount=str(amount), months=months, plan=result.plan.plan_id
                ),
            )
    builder.adjust(1)
    await message.answer(
        views.comparison(results, settings.currency, locale), reply_markup=builder.as_markup()
    )


def _form_keyboard(*, back: bool, mini_app: str | None = None) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    if mini_app is not None:
        builder.button(text=_("🧮 Loan calculator"), web_app=WebAppInfo(url=mini_app))
    if back:
        builder.button(text=_("« Back"), callback_data=CalcStep(action="back"))
    builder.button(text=_("✖ Cancel"), callback_data=CalcStep(action="cancel"))
    if mini_app is not None:
        builder.adjust(1)  # the Mini App's button above Cancel
    return builder.as_markup()


def _months_keyboard(bounds: ProductBounds) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    choices = [m for m in TERM_CHOICES if bounds.months_fit(m)]
    for months in choices:
        builder.button(
            text=_("{months} mo").format(months=months),
            callback_data=CalcStep(action="months", value=str(months)),
        )
    builder.button(text=_("« Back"), callback_data=CalcStep(action="back"))
    builder.button(text=_("✖ Cancel"), callback_data=CalcStep(action="cancel"))
    builder.adjust(len(choices), 2)
    return builder.as_markup()


def _plans_keyboard(plans: tuple[RepaymentPlan, ...]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for index, plan in enumerate(plans, start=1):
        builder.button(
            text=f"{index}. {views.plan_name(plan)}",
            callback_data=CalcStep(action="plan", value=plan.plan_id),
        )
    builder.button(text=_("⚖ Compare all"), callback_data=CalcStep(action="compare"))
    builder.button(text=_("« Back"), callback_data=CalcStep(action="back"))
    builder.button(text=_("✖ Cancel"), callback_data=CalcStep(action="cancel"))
    builder.adjust(*([1] * (len(plans) + 1)), 2)
    return builder.as_markup()


def _result_keyboard(amount: Decimal, months: int, plan_id: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    view = CalcView(action="table", amount=str(amount), months=months, plan=plan_id)
    builder.button(text=_("📅 Schedule"), callback_data=view)
    builder.button(text=_("📊 Chart"), callback_data=view.model_copy(update={"action": "chart"}))
    builder.button(text=_("📄 CSV"), callback_data=view.model_copy(update={"action": "csv"}))
    builder.button(
        text=_("⚖ Compare methods"), callback_data=view.model_copy(update={"action": "compare"})
    )
    builder.button(
        text=_("📝 Apply with these numbers"),
        callback_data=ApplyWith(amount=str(amount), months=months, plan=plan_id),
    )
    builder.adjust(3, 1, 1)
    return builder.as_markup()


def _compare_keyboard(amount: Decimal, months: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("⚖ Compare methods"),
        callback_data=CalcView(
            action="compare", amount=str(amount), months=months, plan="equal_installments"
        ),
    )
    return builder.as_markup()


def build_router() -> Router:
    router = FeatureRouter(name="calculator")
    router.message.filter(
        RouterEntry(commands=("calc",), labels=(CALCULATOR_LABEL,), forms=(CalcForm,))
    )
    router.message.register(start, Command("calc"))
    router.message.register(start, MenuButton(CALCULATOR_LABEL))
    router.message.register(amount_given, StateFilter(CalcForm.amount))
    router.message.register(months_typed, StateFilter(CalcForm.months))
    router.message.register(plan_typed, StateFilter(CalcForm.plan))
    router.callback_query.register(form_button, CalcStep.filter())
    router.callback_query.register(result_button, CalcView.filter())
    return router
