"""How calculator results look: localized texts, the paged table, CSV and the chart."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.domain.amounts import AmountError, AmountErrorCode
from bot.domain.plans import RepaymentPlan
from bot.domain.schedule import Installment, Schedule
from bot.i18n import amount, day, money, number
from bot.keyboards import ApplyWith
from bot.services.calculator import Comparison, ProductBounds
from bot.views.documents import csv_document
from bot.views.text import labelled, sentences

PAGE_ROWS = 12


def plan_name(plan: RepaymentPlan) -> str:
    names = {
        "equal_installments": _("Equal monthly installments (等额本息)"),
        "equal_principal": _("Equal principal (等额本金)"),
        "interest_only": _("Monthly interest, loan at the end"),
        "bullet": _("All at the end (利随本清)"),
        "flat": _("Flat interest"),
        "principal_every_2": _("Monthly interest, principal every 2 months"),
        "principal_every_3": _("Monthly interest, principal every 3 months"),
        "principal_every_6": _("Monthly interest, principal every 6 months"),
        "grace_3_installments": _("3 months interest only, then equal installments"),
        "grace_3_principal_every_2": _("3 months interest only, then principal every 2 months"),
    }
    return names[plan.plan_id]


def plan_sentence(plan: RepaymentPlan) -> str:
    sentences = {
        "equal_installments": _("The same payment every month."),
        "equal_principal": _(
            "The same part of the loan each month plus interest on the rest: "
            "payments start higher and fall."
        ),
        "interest_only": _("Only interest each month; the whole loan in the last month."),
        "bullet": _("Nothing until the end, then the loan and all its interest at once."),
        "flat": _("Equal payments, but interest is charged on the full amount for the whole term."),
        "principal_every_2": _("Interest each month; a part of the loan every 2nd month."),
        "principal_every_3": _("Interest each month; a part of the loan every 3rd month."),
        "principal_every_6": _("Interest each month; a part of the loan every 6th month."),
        "grace_3_installments": _("Only interest for 3 months, then the same payment every month."),
        "grace_3_principal_every_2": _(
            "Only interest for 3 months, then a part of the loan every 2nd month."
        ),
    }
    return sentences[plan.plan_id]


def amount_error(error: AmountError) -> str:
    reasons = {
        AmountErrorCode.EMPTY: _("Please send an amount."),
        AmountErrorCode.NEGATIVE: _("The amount cannot be negative."),
        AmountErrorCode.EXPONENT: _("Please write the amount with digits only."),
        AmountErrorCode.TOO_MANY_DECIMALS: _("Use at most 2 decimals (fen)."),
        AmountErrorCode.TOO_LARGE: _("That amount is too large."),
        AmountErrorCode.BAD_GROUPING: _("Group thousands by three digits, e.g. 50,000."),
        AmountErrorCode.NOT_A_NUMBER: _("I could not read an amount in that."),
    }
    return sentences(reasons[error.code], amount_examples())


def amount_examples() -> str:
    return _("Examples: 50000, 5万, 5.5万, 50k, 50,000")


def amount_out_of_range(amount: Decimal, bounds: ProductBounds, currency: str, locale: str) -> str:
    if amount < bounds.min_amount:
        return _(
            "{amount} is less than the smallest loan, {minimum}. Please send {minimum} or more."
        ).format(
            amount=money(amount, currency, locale),
            minimum=money(bounds.min_amount, currency, locale),
        )
    return _(
        "{amount} is more than this loan can be, {maximum}. Please send {maximum} or less; "
        "for more, an officer can talk to you about other products."
    ).format(
        amount=money(amount, currency, locale), maximum=money(bounds.max_amount, currency, locale)
    )


def months_out_of_range(bounds: ProductBounds) -> str:
    return _("Please send a whole number of months from {minimum} to {maximum}, e.g. 12.").format(
        minimum=bounds.min_months, maximum=bounds.max_months
    )


def ask_amount(bounds: ProductBounds, currency: str, locale: str) -> str:
    return "\n".join(
        [
            _("Step {step} of {steps}").format(step=1, steps=3),
            _("How much would you like to borrow? The bank lends {minimum} to {maximum}.").format(
                minimum=money(bounds.min_amount, currency, locale),
                maximum=money(bounds.max_amount, currency, locale),
            ),
            amount_examples(),
        ]
    )


def ask_months(bounds: ProductBounds) -> str:
    return "\n".join(
        [
            _("Step {step} of {steps}").format(step=2, steps=3),
            _("For how many months? From {minimum} to {maximum}.").format(
                minimum=bounds.min_months, maximum=bounds.max_months
            ),
        ]
    )


def ask_plan(
    bounds: ProductBounds, amount: Decimal, months: int, currency: str, locale: str
) -> str:
    lines = [
        _("Step {step} of {steps}").format(step=3, steps=3),
        ngettext(
            "{amount} for {months} month at {rate}% a year. How would you like to repay?",
            "{amount} for {months} months at {rate}% a year. How would you like to repay?",
            months,
        ).format(
            amount=money(amount, currency, locale),
            months=months,
            rate=number(bounds.annual_rate, locale),
        ),
        "",
    ]
    for index, plan in enumerate(bounds.plans_for(months), start=1):
        described = _("{name}: {sentence}").format(
            name=plan_name(plan), sentence=plan_sentence(plan)
        )
        lines.append(f"{index}. {described}")
    longer = not_for_this_term(bounds, months)
    if longer:
        lines += ["", longer]
    return "\n".join(lines)


def not_for_this_term(bounds: ProductBounds, months: int) -> str:
    """Why some methods are not offered: each needs a longer term ("" when all fit)."""
    plans = [plan for plan in bounds.plans if plan.min_months > months]
    return plans_needing_longer(plans, months) if plans else ""


def plans_needing_longer(plans: list[RepaymentPlan], months: int) -> str:
    """These methods need a longer term than `months`, each from how many months."""
    heading = ngettext(
        "Not available for {months} month:", "Not available for {months} months:", months
    ).format(months=months)
    needs = [
        "• "
        + ngettext(
            "{plan} (from {months} month)", "{plan} (from {months} months)", plan.min_months
        ).format(plan=plan_name(plan), months=plan.min_months)
        for plan in plans
    ]
    return "\n".join([heading, *needs])


def summary(schedule: Schedule, plan: RepaymentPlan, currency: str, locale: str) -> str:
    def cash(amount: Decimal) -> str:
        return money(amount, currency, locale)

    lines = [f"🧮 {plan_name(plan)}", terms_line(schedule, currency, locale), ""]
    lines.append(payment_line(schedule, currency, locale))
    lines += [
        _("Total interest: {amount}").format(amount=cash(schedule.total_interest)),
        _("Total to repay: {amount}").format(amount=cash(schedule.total)),
        rate_line(schedule, locale),
        "",
        _("This is an estimate; the bank confirms the terms when it approves the loan."),
    ]
    return "\n".join(lines)


def terms_line(schedule: Schedule, currency: str, locale: str) -> str:
    terms = schedule.terms
    return ngettext(
        "{amount} for {months} month, first payment on {date}",
        "{amount} for {months} months, first payment on {date}",
        terms.months,
    ).format(
        amount=money(terms.principal, currency, locale),
        months=terms.months,
        date=day(schedule.installments[0].due_date, locale),
    )


def rate_line(schedule: Schedule, locale: str) -> str:
    return _("Rate: {nominal}% a year; annual percentage rate (年化利率) {apr}%").format(
        nominal=number(schedule.terms.annual_rate, locale), apr=amount(schedule.apr, locale)
    )


def payment_line(schedule: Schedule, currency: str, locale: str) -> str:
    """What is paid each month, in one line: the same one in the chat and the Mini App."""

    def cash(amount: Decimal) -> str:
        return money(amount, currency, locale)

    if len(schedule.totals) == 1:
        return _("One payment: {amount}").format(amount=cash(schedule.first_payment))
    if schedule.first_payment == schedule.largest_payment == schedule.last_payment:
        return _("Each payment: {amount}").format(amount=cash(schedule.first_payment))
    if len(set(schedule.totals[:-1])) == 1:
        return _("Each payment: {amount}, the last one {last}").format(
            amount=cash(schedule.first_payment), last=cash(schedule.last_payment)
        )
    return _("Payments: first {first}, largest {largest}, last {last}").format(
        first=cash(schedule.first_payment),
        largest=cash(schedule.largest_payment),
        last=cash(schedule.last_payment),
    )


def page_count(schedule: Schedule) -> int:
    return (len(schedule.installments) + PAGE_ROWS - 1) // PAGE_ROWS


def table_page(schedule: Schedule, page: int, locale: str) -> str:
    rows = schedule.installments[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    header = (_("No."), _("Due"), _("Principal"), _("Interest"), _("Payment"), _("Balance"))
    body = [table_row(row, locale) for row in rows]
    widths = [max(_width(line[i]) for line in [header, *body]) for i in range(len(header))]
    return "\n".join(
        "  ".join(
            " " * (width - _width(cell)) + cell for cell, width in zip(line, widths, strict=True)
        )
        for line in [header, *body]
    )


def _width(text: str) -> int:
    """Columns the text takes in a monospace font: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def table_row(row: Installment, locale: str) -> tuple[str, ...]:
    amounts = (row.principal, row.interest, row.total, row.balance)
    return (
        str(row.number),
        row.due_date.isoformat(),
        *(amount(value, locale) for value in amounts),
    )


def comparison(results: list[Comparison], currency: str, locale: str) -> str:
    lines = []
    for result in results:
        if result.schedule is None:
            lines.append("• " + labelled(plan_name(result.plan), _("not available for this term")))
            continue
        lines.append(
            f"• {plan_name(result.plan)}\n   "
            + _("first payment {first}, total interest {interest}, APR {apr}%").format(
                first=money(result.schedule.first_payment, currency, locale),
                interest=money(result.schedule.total_interest, currency, locale),
                apr=amount(result.schedule.apr, locale),
            )
        )
    return _("All repayment methods for the same loan:") + "\n\n" + "\n".join(lines)


def schedule_csv(schedule: Schedule) -> bytes:
    header = (_("No."), _("Due"), _("Principal"), _("Interest"), _("Payment"), _("Balance"))
    rows = (
        (row.number, row.due_date.isoformat(), row.principal, row.interest, row.total, row.balance)
        for row in schedule.installments
    )
    return csv_document(header, rows)


def apply_keyboard(amount: Decimal, months: int, plan_id: str) -> InlineKeyboardMarkup:
    """The one button that starts /apply with these numbers (a Mini App's handoff)."""
    builder = InlineKeyboardBuilder()
    builder.button(
        text=_("📝 Apply with these numbers"),
        callback_data=ApplyWith(amount=amount, months=months, plan=plan_id),
    )
    return builder.as_markup()
