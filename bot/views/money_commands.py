"""Texts for money commands, short enough for SMS: one renderer for the chat and the SMS
channel. Call inside an i18n locale context (the chat's middleware, or `i18n.use_locale`)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from zoneinfo import ZoneInfo

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.commands import KEYWORDS, CommandError, Problem, Verb
from bot.domain.repayment import Prepayment as DomainPrepayment
from bot.i18n import day, money, signed_money
from bot.services.money_outcomes import (
    Balances,
    BankDown,
    Cancelled,
    ChoosePrepayment,
    Executed,
    Expired,
    HelpShown,
    InDoubt,
    Invalid,
    LoansShown,
    LockedOut,
    NothingPending,
    NotPosted,
    Outcome,
    PendingExists,
    Preview,
    Refusal,
    Refused,
    StatementShown,
    WrongCode,
)
from bot.services.money_store import PendingOperation
from bot.services.repayment_plans import LoanToday, PrepaymentChoice, RepaymentPlan
from bot.views.accounts import payoff_lines, transaction_kind
from bot.views.text import labelled, sentences
from integrations.bank.masking import mask_account, mask_phone
from integrations.bank.models import (
    AccountType,
    LimitKind,
    OperationKind,
    Prepayment,
    Receipt,
    RepaymentKind,
)

EXAMPLES = {
    Verb.BALANCE: "YE",
    Verb.STATEMENT: "MX 10",
    Verb.TRANSFER: "ZZ 张三 100",
    Verb.PAY_BILL: "JF ELEC 1234567 236.50",
    Verb.REPAY: "HK 500",
    Verb.TOP_UP: "CZ 50",
    Verb.LOANS: "DK",
    Verb.CONFIRM: "QR 123456",
    Verb.CANCEL: "QX",
    Verb.HELP: "? ZZ",
}


class MoneyTexts:
    def __init__(self, currency: str, locale: str, zone: ZoneInfo) -> None:
        self.currency = currency
        self.locale = locale
        self.zone = zone

    def money(self, value: Decimal) -> str:
        return money(value, self.currency, self.locale)

    def render(self, outcome: Outcome) -> str:
        match outcome:
            case Invalid(error):
                return command_error(error, self.money)
            case HelpShown(topic):
                return help_topic(topic) if topic else help_list()
            case Balances(accounts):
                lines = [
                    labelled(
                        f"{account.masked_number} {account_type(account.type)}",
                        self.money(account.available_balance),
                    )
                    for account in accounts
                ]
                return "\n".join([_("Balances:"), *lines])
            case StatementShown():
                return self.statement(outcome)
            case LoansShown(loans):
                return self.loans(loans)
            case Preview(pending, plan):
                return self.preview(pending, plan)
            case ChoosePrepayment(choice):
                return self.prepayment_choice(choice)
            case PendingExists(pending):
                return _(
                    "A transaction is still waiting for its code: {summary}. Confirm it with "
                    "QR and the code, or cancel it with QX, before starting a new one."
                ).format(summary=self.summary(pending))
            case _:
                return self.result(outcome)

    def result(self, outcome: Outcome) -> str:
        match outcome:
            case LockedOut(minutes):
                return _(
                    "Too many wrong codes: money commands are locked for {minutes} min."
                ).format(minutes=minutes)
            case Refused():
                return self.refusal(outcome)
            case Executed(receipt, again, checked, operation):
                return self.executed(receipt, again, checked, operation)
            case InDoubt(pending):
                return _(
                    "The bank has not confirmed {summary} yet. We are checking with the bank "
                    "and will tell you the result. Do not send it again; it can no longer be "
                    "cancelled."
                ).format(summary=self.summary(pending))
            case NotPosted(pending, refusal):
                reason = self.reason(refusal) if refusal is not None else ""
                return sentences(
                    reason,
                    _(
                        "The bank confirms that {summary} was not posted: no money was taken."
                    ).format(summary=self.summary(pending)),
                )
            case WrongCode(attempts_left):
                if attempts_left <= 0:
                    return _("Wrong code.")
                return _("Wrong code. Attempts left: {count}.").format(count=attempts_left)
            case Expired():
                return _(
                    "The code has expired, so the transaction was cancelled. "
                    "Send the command again for a new code."
                )
            case NothingPending():
                return _("No transaction is waiting for confirmation.")
            case Cancelled(pending):
                return _("Cancelled: {summary}. Nothing was sent.").format(
                    summary=self.summary(pending)
                )
            case BankDown():
                return _(
                    "The bank is not answering right now. Try again in a minute; "
                    "nothing is ever posted twice."
                )
        raise ValueError(f"no text for {outcome!r}")

    def executed(
        self, receipt: Receipt, again: bool, checked: bool, operation: PendingOperation | None
    ) -> str:
        if again:
            done = _("Already done; the receipt again:")
        elif checked:
            done = _("The bank has confirmed it: done.")
        else:
            done = _("Done.")
        return done + "\n" + self.receipt(receipt, operation)

    def statement(self, shown: StatementShown) -> str:
        lines = [
            ngettext(
                "Last {count} transaction of {account}:",
                "Last {count} transactions of {account}:",
                len(shown.transactions),
            ).format(count=len(shown.transactions), account=shown.account.masked_number)
        ]
        for item in shown.transactions:
            when = day(item.posted_at.astimezone(self.zone).date(), self.locale)
            signed = signed_money(item.amount, self.currency, self.locale)
            lines.append(f"{when} {signed} {transaction_kind(item.kind)}")
        lines.append(
            _("Balance: {amount}").format(amount=self.money(shown.account.available_balance))
        )
        return "\n".join(lines)

    def loans(self, loans: list[LoanToday]) -> str:
        if not loans:
            return _("You have no active loans.")
        lines = []
        for today in loans:
            loan, payoff = today.loan, today.payoff
            lines.append(
                _("Loan {loan} ({account}).").format(loan=loan.id, account=loan.masked_account)
            )
            if payoff.overdue:
                lines.append(_("Overdue: {amount}.").format(amount=self.money(payoff.overdue)))
            if payoff.penalty:
                lines.append(
                    _("Penalty interest: {amount}.").format(amount=self.money(payoff.penalty))
                )
            if loan.next_due is not None:
                lines.append(
                    _("Next payment {amount} on {date}.").format(
                        amount=self.money(loan.next_due.amount),
                        date=day(loan.next_due.due_date, self.locale),
                    )
                )
            lines.extend(payoff_lines(today, self.currency, self.locale))
        return "\n".join(lines)

    def prepayment_choice(self, choice: PrepaymentChoice) -> str:
        amount = self.money(choice.amount)
        lines = [
            _(
                "{amount} is more than is due now: the extra repays principal early. Choose how:"
            ).format(amount=amount)
        ]
        lines += [self.prepayment_option(plan) for plan in choice.options]
        plain = f"{choice.amount.normalize():f}"
        lines.append(
            _(
                "Send HK {amount} JG for lower installments or HK {amount} SQ for a shorter term."
            ).format(amount=plain)
        )
        return "\n".join(lines)

    def prepayment_option(self, plan: RepaymentPlan) -> str:
        assert plan.result is not None
        left = [row for row in plan.result.rows if not row.settled]
        saved = self.money(plan.result.interest_saved)
        if plan.prepayment is Prepayment.REDUCE_INSTALLMENT:
            return _(
                "Lower installments: {count} left, about {installment} each, interest saved "
                "{saved}."
            ).format(count=len(left), installment=self.money(left[0].total), saved=saved)
        return _("Shorter term: {count} left, the last {last}, interest saved {saved}.").format(
            count=len(left), last=self.money(left[-1].total), saved=saved
        )

    def plan_lines(self, plan: RepaymentPlan) -> list[str]:
        """What a repayment does: the payoff's parts, or a prepayment's allocation, schedule
        (first rows, the last) and interest saved."""
        if plan.kind is RepaymentKind.PAYOFF:
            return payoff_lines(plan.today, self.currency, self.locale)
        if plan.result is None:
            return []
        paid = plan.result.allocation
        lines = [
            prepayment_label(plan.prepayment),
            _(
                "Applied in this order: penalty interest {penalty}, fees {fees}, interest "
                "{interest}, principal {principal}."
            ).format(
                penalty=self.money(paid.penalty), fees=self.money(paid.fees),
                interest=self.money(paid.interest), principal=self.money(paid.principal),
            ),
            _("New schedule:"),
        ]  # fmt: skip
        left = [row for row in plan.result.rows if not row.settled]
        shown = left[:2] + ([left[-1]] if len(left) > 2 else [])
        for index, row in enumerate(shown):
            if index == 2 and len(left) > 3:
                lines.append("…")
            lines.append(f"{row.number}. {day(row.due_date, self.locale)} {self.money(row.total)}")
        lines.append(
            _("Interest saved: {amount}").format(amount=self.money(plan.result.interest_saved))
        )
        if plan.minimum is not None:
            lines.append(_("Smallest prepayment: {amount}").format(amount=self.money(plan.minimum)))
        return lines + self.prepayment_fee(plan.result.allocation.fees)

    def prepayment_fee(self, fees: Decimal) -> list[str]:
        """The product's prepayment fee, part of the amount (the Fee line is the bank's own)."""
        if not fees:
            return []
        return [_("Prepayment fee included: {amount}.").format(amount=self.money(fees))]

    def fee_line(self, fee: Decimal, shown_anyway: bool = False) -> list[str]:
        """The bank's own fee: on a receipt only when one was charged; a preview shows it
        even when nothing, unless the prepayment fee included in the amount is shown."""
        if not fee and not shown_anyway:
            return []
        return [_("Fee: {amount}").format(amount=self.money(fee))]

    def summary(self, pending: PendingOperation) -> str:
        return f"{action(pending, self.locale)} {self.money(pending.amount)}"

    def preview(self, pending: PendingOperation, plan: RepaymentPlan | None = None) -> str:
        lines = [
            _("Please check:"),
            action(pending, self.locale),
            _("Amount: {amount}").format(amount=self.money(pending.amount)),
            *self.fee_line(pending.fee, shown_anyway=not _prepayment_fee(plan)),
            _("Balance after: {amount}").format(amount=self.money(pending.balance_after)),
        ]
        if plan is not None:
            lines += self.plan_lines(plan)
        if pending.first_payment:
            lines.append(_("First payment to this payee: check the name."))
        lines.append(
            _(
                "A code was sent to {phone}. Reply QR and the code to confirm "
                "(e.g. QR 123456), or QX to cancel."
            ).format(phone=pending.masked_phone)
        )
        return "\n".join(lines)

    def receipt(self, receipt: Receipt, operation: PendingOperation | None) -> str:
        """The bank's receipt; a biller, phone or loan named as in the preview, in the user's
        language (the bank describes them in Chinese), a person as the bank names them."""
        payee = receipt.counterparty
        if operation is not None and operation.kind is not OperationKind.TRANSFER:
            payee = action(operation, self.locale)
        lines = [
            labelled(payee, self.money(abs(receipt.amount))),
            *self.fee_line(receipt.fee),
            _("Balance after: {amount}").format(amount=self.money(receipt.balance_after)),
            _("Reference: {reference}").format(reference=receipt.id),
        ]
        repayment = receipt.repayment
        if repayment is not None and repayment.kind is not RepaymentKind.INSTALLMENT:
            paid = repayment.allocation
            lines.append(
                _(
                    "Applied in this order: penalty interest {penalty}, fees {fees}, interest "
                    "{interest}, principal {principal}."
                ).format(
                    penalty=self.money(paid.penalty), fees=self.money(paid.fees),
                    interest=self.money(paid.interest), principal=self.money(paid.principal),
                )
            )  # fmt: skip
            lines += self.prepayment_fee(paid.fees)
            if repayment.loan_closed:
                lines.append(_("Loan repaid in full."))
        return "\n".join(lines)

    def refusal(self, refused: Refused) -> str:
        if refused.reason is Refusal.MORE_THAN_OWED:
            return self.reason(refused)
        return sentences(self.reason(refused), _("Nothing was sent."))

    def reason(self, refused: Refused) -> str:
        amount = self.money(refused.amount) if refused.amount is not None else ""
        match refused.reason:
            case Refusal.INSUFFICIENT_FUNDS:
                return _("Not enough money: {amount} available.").format(amount=amount)
            case Refusal.LIMIT_EXCEEDED:
                return sentences(
                    limit_reason(refused.limit_kind),
                    _("You can send up to {amount} now.").format(amount=amount),
                )
            case Refusal.MORE_THAN_OWED:
                return _("That is more than you owe ({amount}). HK ALL repays everything.").format(
                    amount=amount
                )
            case Refusal.BELOW_MINIMUM:
                return _("The smallest prepayment is {amount} of extra principal.").format(
                    amount=amount
                )
            case reason:
                return refusal_reason(reason)


def action(pending: PendingOperation, locale: str) -> str:
    match pending.kind:
        case OperationKind.TRANSFER:
            return _("Transfer to {name} ({account})").format(
                name=pending.counterparty, account=mask_account(pending.counterparty_account)
            )
        case OperationKind.BILL_PAYMENT:
            biller = pending.counterparty_in(locale)
            account = mask_account(pending.counterparty_account)
            if biller is None:  # the bank names the biller in Chinese only
                return _("Pay the bill {account}").format(account=account)
            return _("Pay {biller} bill {account}").format(biller=biller, account=account)
        case OperationKind.TOP_UP:
            return _("Top up {phone}").format(phone=mask_phone(pending.counterparty_account))
        case OperationKind.REPAYMENT:
            return _("Repay loan {loan} ({account})").format(
                loan=pending.counterparty, account=mask_account(pending.counterparty_account)
            )


def prepayment_label(prepayment: Prepayment | DomainPrepayment | None) -> str:
    """The bank's and the rules' kinds share their values."""
    if prepayment is not None and prepayment.value == Prepayment.REDUCE_INSTALLMENT.value:
        return _("Lower installments")
    return _("Shorter term")


def account_type(kind: AccountType) -> str:
    return _("current") if kind is AccountType.CURRENT else _("savings")


def limit_reason(kind: str | None) -> str:
    reasons = {
        LimitKind.PER_TRANSACTION: _("That is above the limit per transaction."),
        LimitKind.DAILY: _("That is above today's limit."),
        LimitKind.MONTHLY: _("That is above this month's limit."),
        LimitKind.NEW_PAYEE: _("That is above the limit for a first payment to a new payee."),
    }
    known = {str(limit): limit for limit in LimitKind}
    return reasons[known[kind]] if kind in known else _("That is above a limit.")


def refusal_reason(reason: Refusal) -> str:
    reasons = {
        Refusal.UNKNOWN_PAYEE: _("No saved payee or account by that name: check it, or use "
                                 "the account number."),
        Refusal.ACCOUNT_CLOSED: _("The account is closed."),
        Refusal.NO_SUCH_ACCOUNT: _("You have no account ending in those digits."),
        Refusal.UNKNOWN_BILLER: _("The bank takes no payments for this biller."),
        Refusal.BAD_BILL_ACCOUNT: _("That is not a bill account number of this biller."),
        Refusal.NO_LOAN: _("No active loan found."),
        Refusal.WHICH_LOAN: _("You have several loans: name one, e.g. HK LN0001 500."),
        Refusal.NOTHING_DUE: _("Nothing of that is due now."),
    }  # fmt: skip
    return reasons.get(reason, _("The bank refused this operation."))


def command_error(error: CommandError, money_text: Callable[[Decimal], str]) -> str:
    token = error.token
    problems = {  # MISSING_ARGUMENT: see missing_argument
        Problem.EMPTY: _("Send a command."),
        Problem.UNKNOWN_COMMAND: _("Unknown command “{token}”."),
        Problem.TOO_MANY_ARGUMENTS: _("Too many parts, from “{token}”."),
        Problem.NOT_A_NUMBER: _("“{token}” is not an amount."),
        Problem.NOT_POSITIVE: _("The amount must be more than zero."),
        Problem.TOO_MANY_DECIMALS: _("At most 2 decimals: “{token}”."),
        Problem.EXPONENT: _("Write the amount in full, without exponents: “{token}”."),
        Problem.BAD_THOUSANDS: _("Write thousands as 1,000.00: “{token}”."),
        Problem.AMOUNT_TOO_LARGE: _("The amount is above the maximum of {limit}."),
        Problem.BAD_ACCOUNT_DIGITS: _("Give the last 4 digits of the account: “{token}”."),
        Problem.BAD_COUNT: _("Ask for 1 to 20 transactions: “{token}”."),
        Problem.BAD_CODE: _("The code has 6 digits: “{token}”."),
        Problem.UNKNOWN_BILLER: _("Unknown biller “{token}”: use ELEC, WATER, GAS or PHONE."),
        Problem.BAD_BILL_ACCOUNT: _("“{token}” is not a bill account number."),
        Problem.BAD_PHONE: _("“{token}” is not a mobile number."),
        Problem.BAD_LOAN_REF: _("“{token}” is not a loan reference."),
        Problem.BAD_PAYEE: _("“{token}” is not a payee."),
    }
    limit = money_text(error.limit) if error.limit is not None else ""
    if error.problem is Problem.MISSING_ARGUMENT:
        reason = missing_argument(error)
    else:
        reason = problems[error.problem].format(token=token, limit=limit)
    return reason + "\n" + example(error.verb)


def missing_argument(error: CommandError) -> str:
    """What to write after the command word, in place of what is missing."""
    missing: dict[tuple[Verb | None, int], str] = {
        (Verb.TRANSFER, 1): _("Write whom to pay and how much after {command}."),
        (Verb.TRANSFER, 2): _("Write how much to send after the payee."),
        (Verb.PAY_BILL, 1): _("Write the biller, the bill account and the amount after {command}."),
        (Verb.PAY_BILL, 2): _("Write the bill account and the amount after the biller."),
        (Verb.PAY_BILL, 3): _("Write the amount after the bill account."),
        (Verb.REPAY, 1): _("Write the amount after {command}, or ALL to repay everything."),
        (Verb.TOP_UP, 1): _("Write the amount after {command}."),
        (Verb.CONFIRM, 1): _("Write the 6-digit code from the SMS after {command}."),
    }
    command = KEYWORDS[error.verb][0] if error.verb is not None else "?"
    text = missing.get((error.verb, error.position), _("Something is missing after {command}."))
    return text.format(command=command)


def example(verb: Verb | None) -> str:
    if verb is None:
        return _("Example: {example}. Send ? for the list.").format(example=EXAMPLES[Verb.BALANCE])
    return _("Example: {example}").format(example=EXAMPLES[verb])


def describe(verb: Verb) -> str:
    descriptions = {
        Verb.BALANCE: _("[last 4 digits]: balances"),
        Verb.STATEMENT: _("[last 4] [n]: the last n transactions (5, at most 20)"),
        Verb.TRANSFER: _("<payee> <amount> [from last 4]: transfer to a saved payee or account"),
        Verb.PAY_BILL: _("<ELEC|WATER|GAS|PHONE> <bill account> <amount>: pay a bill"),
        Verb.REPAY: _(
            "[loan] <amount|ALL> [JG|SQ]: repay a loan; above what is due, JG lowers the "
            "installments, SQ shortens the term"
        ),
        Verb.TOP_UP: _("[phone] <amount>: mobile top-up, your own number by default"),
        Verb.LOANS: _("your loans, the next due date and amount"),
        Verb.CONFIRM: _("<code>: confirm with the code from the SMS"),
        Verb.CANCEL: _("cancel the waiting transaction"),
        Verb.HELP: _("[command]: this list, or one command"),
    }
    return descriptions[verb]


def keywords(verb: Verb) -> str:
    pinyin, english, chinese = KEYWORDS[verb]
    return " / ".join([pinyin, *english, chinese])


def help_list() -> str:
    lines = [_("Commands (separate with spaces, # or *):")]
    lines += [f"{keywords(verb)} {describe(verb)}" for verb in Verb]
    return "\n".join(lines)


def help_topic(verb: Verb) -> str:
    return f"{keywords(verb)} {describe(verb)}\n" + example(verb)


def _prepayment_fee(plan: RepaymentPlan | None) -> bool:
    """Whether the plan includes a prepayment fee in the amount."""
    return plan is not None and plan.result is not None and plan.result.allocation.fees > 0
