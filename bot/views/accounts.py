"""What customers read about their binding, accounts, loans and statements."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.i18n import amount, day, money, signed_money
from bot.services.accounts import BindingError, BindingProblem, CodeSent
from bot.services.repayment_plans import LoanToday
from bot.views.documents import csv_document
from integrations.bank.models import (
    Account,
    AccountType,
    Installment,
    InstallmentStatus,
    Loan,
    Transaction,
    TransactionKind,
)

SCHEDULE_PAGE_ROWS = 12


def ask_contact() -> str:
    return "\n".join(
        [
            _("To show your balance and loans, I need to link this chat to your bank account."),
            _(
                "Press «Share my phone number» below: the bank will text a 6-digit code "
                "to the number it has on record."
            ),
        ]
    )


def press_share_button() -> str:
    return _("Please use the «Share my phone number» button below, or send /cancel.")


def code_sent(sent: CodeSent, now: datetime) -> str:
    minutes = max(1, round((sent.expires_at - now).total_seconds() / 60))
    return ngettext(
        "The bank has texted a 6-digit code to {phone}. Type it here; it is valid for "
        "{minutes} minute.",
        "The bank has texted a 6-digit code to {phone}. Type it here; it is valid for "
        "{minutes} minutes.",
        minutes,
    ).format(phone=sent.masked_phone, minutes=minutes)


def code_format() -> str:
    return _("The code has 6 digits, e.g. 123456. Please type it, or send /cancel.")


def binding_problem(error: BindingError) -> str:
    texts = {
        BindingProblem.NOT_OWN_CONTACT: _(
            "That is someone else's contact. For your safety I can only use your own number: "
            "press «Share my phone number»."
        ),
        BindingProblem.NOT_A_PHONE: _("I could not read a phone number in that contact."),
        BindingProblem.NOT_A_CUSTOMER: _(
            "The bank has no customer with this phone number. If you changed your number, "
            "please visit a branch or call your loan officer."
        ),
        BindingProblem.EXPIRED: _(
            "This code has expired or was already used. Send /bind to get a new one."
        ),
        BindingProblem.BANK_DOWN: _(
            "The bank cannot be reached right now. Please try again in a few minutes."
        ),
    }
    if error.problem is BindingProblem.WRONG_CODE:
        return _("That code is not right. Tries left: {count}.").format(count=error.attempts_left)
    if error.problem is BindingProblem.BLOCKED:
        return ngettext(
            "Too many wrong codes. For your safety, linking is blocked for {minutes} minute; "
            "please try again after that.",
            "Too many wrong codes. For your safety, linking is blocked for {minutes} minutes; "
            "please try again after that.",
            error.minutes,
        ).format(minutes=error.minutes)
    return texts[error.problem]


def bound() -> str:
    return _("Done: this chat is linked to your bank account.")


def ask_unbind() -> str:
    return _(
        "Unlink this chat from your bank account? You will no longer see balances here "
        "or get reminders in this chat."
    )


def unbound() -> str:
    return _("This chat is no longer linked to your bank account. Send /bind to link it again.")


def not_bound() -> str:
    return _("This chat is not linked to a bank account.")


def not_their_loan() -> str:
    return _("This loan is not on the bank account linked to this chat.")


def bank_unavailable() -> str:
    return _("The bank cannot be reached right now. Please try again in a few minutes.")


def account_type(kind: AccountType) -> str:
    return _("Current account") if kind is AccountType.CURRENT else _("Savings account")


def balances(accounts: list[Account], locale: str) -> str:
    if not accounts:
        return _("You have no open accounts.")
    lines = [_("💳 Your accounts")]
    for account in accounts:
        lines.append(
            _("{type} {number}: available {amount}").format(
                type=account_type(account.type),
                number=account.masked_number,
                amount=money(account.available_balance, account.currency, locale),
            )
        )
    return "\n".join(lines)


def loan_block(today: LoanToday, currency: str, locale: str) -> str:
    loan = today.loan
    lines = [
        _("📋 Loan {reference}").format(reference=loan.id),
        _("Outstanding principal: {amount}").format(
            amount=money(loan.outstanding_principal, currency, locale)
        ),
    ]
    if loan.next_due is not None:
        lines.append(
            _("Next payment: {amount} on {date}").format(
                amount=money(loan.next_due.amount, currency, locale),
                date=day(loan.next_due.due_date, locale),
            )
        )
    if loan.days_overdue > 0:
        overdue = ngettext("⚠️ {days} day overdue", "⚠️ {days} days overdue", loan.days_overdue)
        lines.append(overdue.format(days=loan.days_overdue))
    penalty = sum((item.penalty for item in loan.schedule), Decimal(0))
    if penalty:
        lines.append(
            _("Penalty interest: {amount}.").format(amount=money(penalty, currency, locale))
        )
    return "\n".join([*lines, *payoff_lines(today, currency, locale)])


def payoff_lines(today: LoanToday, currency: str, locale: str) -> list[str]:
    """The bank's payoff quote as principal and interest (overdue interest included), and its
    prepayment fee; penalty interest has its own line where the loan is shown."""
    payoff = today.payoff
    lines = [
        _("Pay off today: {amount} (principal {principal} + interest to today {interest}).").format(
            amount=money(payoff.amount, currency, locale),
            principal=money(today.loan.outstanding_principal, currency, locale),
            interest=money(today.interest, currency, locale),
        )
    ]
    if payoff.fees:
        lines.append(
            _("Prepayment fee included: {amount}.").format(
                amount=money(payoff.fees, currency, locale)
            )
        )
    return lines


def loans(items: list[LoanToday], currency: str, locale: str) -> str:
    if not items:
        return _("You have no loans to repay.")
    return "\n\n".join(loan_block(today, currency, locale) for today in items)


def due_line(items: list[Loan], today: date, currency: str, locale: str) -> str:
    """The next thing to pay across all loans, in one line."""
    dues = [loan for loan in items if loan.next_due is not None]
    if not dues:
        return _("Nothing to pay: you have no payments due.")
    loan = min(dues, key=lambda item: (item.next_due.due_date, item.id))  # type: ignore[union-attr]
    next_due = loan.next_due
    assert next_due is not None
    cash = money(next_due.amount, currency, locale)
    days = (next_due.due_date - today).days
    if days < 0:
        return ngettext(
            "⚠️ {amount} was due on {date} ({days} day ago), loan {reference}.",
            "⚠️ {amount} was due on {date} ({days} days ago), loan {reference}.",
            -days,
        ).format(amount=cash, date=day(next_due.due_date, locale), days=-days, reference=loan.id)
    if days == 0:
        return _("📅 {amount} is due today, loan {reference}.").format(
            amount=cash, reference=loan.id
        )
    return ngettext(
        "📅 {amount} due on {date} (in {days} day), loan {reference}.",
        "📅 {amount} due on {date} (in {days} days), loan {reference}.",
        days,
    ).format(amount=cash, date=day(next_due.due_date, locale), days=days, reference=loan.id)


def repay_hint(loan: Loan, currency: str, locale: str) -> str:
    due = loan.next_due.amount if loan.next_due is not None else loan.payoff_amount
    return "\n".join(
        [
            _("To repay, send a message like this:"),
            f"HK {loan.id} {due}",
            _(
                "That repays {amount} of loan {reference} from your account; the bank texts a "
                "code to confirm it."
            ).format(amount=money(due, currency, locale), reference=loan.id),
        ]
    )


def schedule_title(loan: Loan, page: int, pages: int) -> str:
    return _("Schedule of loan {reference}, page {page} of {pages} (✓ paid)").format(
        reference=loan.id, page=page + 1, pages=pages
    )


def schedule_pages(loan: Loan) -> int:
    return max(1, (len(loan.schedule) + SCHEDULE_PAGE_ROWS - 1) // SCHEDULE_PAGE_ROWS)


def schedule_table(loan: Loan, page: int, locale: str) -> str:
    rows = loan.schedule[page * SCHEDULE_PAGE_ROWS : (page + 1) * SCHEDULE_PAGE_ROWS]
    header = ("", _("No."), _("Due"), _("Principal"), _("Interest"), _("Payment"))
    body = [_schedule_row(row, locale) for row in rows]
    return aligned([header, *body])


def _schedule_row(row: Installment, locale: str) -> tuple[str, ...]:
    marks = {
        InstallmentStatus.PAID: "✓",
        InstallmentStatus.PARTIALLY_PAID: "½",
        InstallmentStatus.OVERDUE: "!",
        InstallmentStatus.UNPAID: "",
    }
    return (
        marks[row.status],
        str(row.number),
        row.due_date.isoformat(),
        *(amount(value, locale) for value in (row.principal, row.interest, row.total)),
    )


def aligned(lines: list[tuple[str, ...]]) -> str:
    widths = [max(_width(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(
            " " * (width - _width(cell)) + cell for cell, width in zip(line, widths, strict=True)
        )
        for line in lines
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def schedule_csv(loan: Loan) -> bytes:
    header = (
        _("No."), _("Due"), _("Principal"), _("Interest"), _("Payment"), _("Amount paid"),
        _("Status"),
    )  # fmt: skip
    rows = (
        (row.number, row.due_date.isoformat(), row.principal, row.interest, row.total, row.paid,
         installment_status(row.status))
        for row in loan.schedule
    )  # fmt: skip
    return csv_document(header, rows)


def installment_status(status: InstallmentStatus) -> str:
    names = {
        InstallmentStatus.PAID: _("Paid"),
        InstallmentStatus.PARTIALLY_PAID: _("Partly paid"),
        InstallmentStatus.OVERDUE: _("Overdue"),
        InstallmentStatus.UNPAID: _("Not paid yet"),
    }
    return names[status]


def transaction_kind(kind: TransactionKind) -> str:
    names = {
        TransactionKind.DEPOSIT: _("Deposit"),
        TransactionKind.WITHDRAWAL: _("Withdrawal"),
        TransactionKind.TRANSFER_OUT: _("Transfer"),
        TransactionKind.TRANSFER_IN: _("Transfer received"),
        TransactionKind.BILL_PAYMENT: _("Bill"),
        TransactionKind.TOP_UP: _("Phone top-up"),
        TransactionKind.REPAYMENT: _("Loan repayment"),
        TransactionKind.DISBURSEMENT: _("Loan payout"),
    }
    return names[kind]


def statement(
    account: Account, items: list[Transaction], page: int, zone: ZoneInfo, locale: str
) -> str:
    title = _("🧾 Statement of {number}, page {page}").format(
        number=account.masked_number, page=page + 1
    )
    if not items:
        return title + "\n" + _("No transactions.")
    lines = [
        title,
        _("Available balance now: {amount}").format(
            amount=money(account.available_balance, account.currency, locale)
        ),
        "",
    ]
    for item in items:
        posted = item.posted_at.astimezone(zone)
        after = _("(balance after: {amount})").format(
            amount=money(item.balance_after, account.currency, locale)
        )
        lines.append(
            f"{day(posted.date(), locale)}  {transaction_kind(item.kind)}  "
            f"{signed_money(item.amount, account.currency, locale)}  {after}"
        )
    return "\n".join(lines)
