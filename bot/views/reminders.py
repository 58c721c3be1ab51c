"""Reminders, bank notices and the answers to their buttons, in the reader's language."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import day, money
from bot.services.reminders import DueReminder, PaymentCheck, PaymentState
from bot.views.text import sentences
from integrations.bank.models import PayoutNotice, Receipt


class ReminderButton(CallbackData, prefix="rm"):
    action: str  # repay, paid, mute
    loan: str
    number: int


def reminder(due: DueReminder, currency: str, locale: str) -> str:
    key = due.key
    days = abs(due.days_after_due)
    values = {
        "amount": money(due.amount_due, currency, locale),
        "reference": key.loan_id,
        "date": day(key.due_date, locale),
        "days": days,
    }
    texts = {
        0: _("📅 Today is the due date: {amount} for loan {reference}. Please repay today."),
        1: _(
            "⚠️ The payment of {amount} for loan {reference} was due on {date} and has not "
            "arrived yet. Please repay today. Already paid? Press «I have paid»."
        ),
        2: ngettext(
            "⚠️ Loan {reference}: {amount} is now {days} day overdue (due {date}). Paying "
            "late adds interest and can affect your credit record. Please repay now, or talk "
            "to your loan officer if something is in the way.",
            "⚠️ Loan {reference}: {amount} is now {days} days overdue (due {date}). Paying "
            "late adds interest and can affect your credit record. Please repay now, or talk "
            "to your loan officer if something is in the way.",
            days,
        ),
        3: ngettext(
            "❗ Loan {reference}: {amount} has been overdue for {days} day (due {date}). "
            "Please repay it now. If you cannot, contact your loan officer today: the bank "
            "can discuss a plan with you.",
            "❗ Loan {reference}: {amount} has been overdue for {days} days (due {date}). "
            "Please repay it now. If you cannot, contact your loan officer today: the bank "
            "can discuss a plan with you.",
            days,
        ),
    }
    if key.step.offset < 0:
        return ngettext(
            "📅 Reminder: {amount} for loan {reference} is due on {date}, in {days} day. "
            "Please make sure your account has enough money.",
            "📅 Reminder: {amount} for loan {reference} is due on {date}, in {days} days. "
            "Please make sure your account has enough money.",
            days,
        ).format(**values)
    return sentences(texts[key.step.firmness].format(**values), _penalty(due, currency, locale))


def _penalty(due: DueReminder, currency: str, locale: str) -> str:
    """Penalty interest accrued on an overdue installment (products that charge it)."""
    if not due.penalty:
        return ""
    return _(
        "Penalty interest so far: {penalty}; to settle this installment today: {total}."
    ).format(
        penalty=money(due.penalty, currency, locale), total=money(due.to_settle, currency, locale)
    )


def sms_reminder(due: DueReminder, reminder_text: str) -> str:
    """The reminder (`reminder`'s text) by SMS: with how to repay by text."""
    return sentences(
        reminder_text,
        _("To repay, text: HK {reference} {amount}").format(
            reference=due.key.loan_id, amount=due.to_settle
        ),
    )


def reminder_buttons(due: DueReminder) -> InlineKeyboardMarkup:
    """Built directly, not with InlineKeyboardBuilder: a day's reminders are drawn by the
    thousand, and the builder's copies were most of the time it took."""
    key = due.key

    def button(action: str, label: str) -> InlineKeyboardButton:
        data = ReminderButton(action=action, loan=key.loan_id, number=key.installment)
        return InlineKeyboardButton(text=label, callback_data=data.pack())

    rows = [[button("repay", _("💸 Repay now")), button("paid", _("✅ I have paid"))]]
    if key.step.optional:
        rows.append([button("mute", _("🔕 Mute reminders before due dates"))])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def payment_check(check: PaymentCheck | None, currency: str, locale: str) -> str:
    if check is None:
        return _("I could not check with the bank right now. Please try again in a few minutes.")
    if check.state is PaymentState.PAID:
        return _("✅ Thank you! The bank has received the payment due on {date}.").format(
            date=day(check.due_date, locale)
        )
    if check.state is PaymentState.PARTLY_PAID:
        return _(
            "The bank has received {paid} of this payment; {remaining} is still to pay "
            "(due {date})."
        ).format(
            paid=money(check.paid, currency, locale),
            remaining=money(check.remaining, currency, locale),
            date=day(check.due_date, locale),
        )
    return _(
        "The bank has not received this payment yet ({remaining}, due {date}). A payment "
        "made in the last few minutes may still be on its way; please check again later. "
        "If you paid at a branch, keep the receipt."
    ).format(remaining=money(check.remaining, currency, locale), date=day(check.due_date, locale))


def muted(is_muted: bool) -> str:
    if is_muted:
        return _("🔕 Reminders before due dates are off. Notices of overdue payments still come.")
    return _("🔔 You get a reminder before each due date and on the day.")


def mute_toggle(is_muted: bool) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    label = _("🔔 Turn reminders on") if is_muted else _("🔕 Turn reminders off")
    builder.button(text=label, callback_data=ReminderButton(action="toggle", loan="", number=0))
    return builder.as_markup()


def payout_notice(notice: PayoutNotice, currency: str, locale: str) -> str:
    return "\n".join(
        [
            _("💰 Payout notice (放款通知): loan {reference}").format(reference=notice.loan_id),
            _("{amount} has been paid into your account {account}.").format(
                amount=money(notice.amount, currency, locale), account=notice.masked_account
            ),
            ngettext(
                "{months} month at {rate}% a year; first payment {first} on {date}.",
                "{months} months at {rate}% a year; first payment {first} on {date}.",
                notice.term_months,
            ).format(
                months=notice.term_months,
                rate=notice.annual_rate.normalize(),
                first=money(notice.first_installment, currency, locale),
                date=day(notice.first_due_date, locale),
            ),
        ]
    )


def repayment_receipt(receipt: Receipt, currency: str, locale: str) -> str:
    return _(
        "🧾 Repayment received: {amount} for {reference} from {account}. Balance after: {balance}."
    ).format(
        amount=money(abs(receipt.amount), currency, locale),
        reference=receipt.counterparty,
        account=receipt.from_masked_account,
        balance=money(receipt.balance_after, currency, locale),
    )
