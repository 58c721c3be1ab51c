"""What a money command comes to: the outcomes the views render, for the chat and SMS."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.domain.commands import CommandError, Verb
from bot.services.money_store import PendingOperation
from bot.services.repayment_plans import LoanToday, PrepaymentChoice, RepaymentPlan
from integrations.bank.errors import (
    AccountClosed,
    BankError,
    InsufficientFunds,
    InvalidRequest,
    LimitExceeded,
    UnknownPayee,
)
from integrations.bank.models import Account, Receipt, Transaction

log = logging.getLogger(__name__)


class Refusal(StrEnum):
    INSUFFICIENT_FUNDS = "insufficient_funds"
    LIMIT_EXCEEDED = "limit_exceeded"
    UNKNOWN_PAYEE = "unknown_payee"
    ACCOUNT_CLOSED = "account_closed"
    NO_SUCH_ACCOUNT = "no_such_account"
    UNKNOWN_BILLER = "unknown_biller"
    BAD_BILL_ACCOUNT = "bad_bill_account"
    NO_LOAN = "no_loan"
    WHICH_LOAN = "which_loan"
    MORE_THAN_OWED = "more_than_owed"
    NOTHING_DUE = "nothing_due"  # a button for an amount that is no longer due
    BELOW_MINIMUM = "below_minimum"  # a prepayment's extra principal below the product's
    NOT_ALLOWED = "not_allowed"


# --- outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Invalid:
    error: CommandError


@dataclass(frozen=True)
class HelpShown:
    topic: Verb | None


@dataclass(frozen=True)
class Balances:
    accounts: list[Account]


@dataclass(frozen=True)
class StatementShown:
    account: Account
    transactions: list[Transaction]


@dataclass(frozen=True)
class LoansShown:
    loans: list[LoanToday]


@dataclass(frozen=True)
class Preview:
    pending: PendingOperation
    plan: RepaymentPlan | None = None  # a repayment's kind, allocation and new schedule


@dataclass(frozen=True)
class ChoosePrepayment:
    """An amount above what is due: lower installments or a shorter term? ``offer_id`` is
    the server-side record the answer must name."""

    choice: PrepaymentChoice
    offer_id: str


@dataclass(frozen=True)
class PendingExists:
    pending: PendingOperation


@dataclass(frozen=True)
class LockedOut:
    minutes: int


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    amount: Decimal | None = None  # available balance, remaining allowance, amount owed
    limit_kind: str | None = None


@dataclass(frozen=True)
class Executed:
    receipt: Receipt
    again: bool = False  # True: a repeated confirmation; nothing new was posted
    checked: bool = False  # True: the answer was lost; the bank's status says it was posted
    operation: PendingOperation | None = None  # what was posted, to name the payee


@dataclass(frozen=True)
class WrongCode:
    attempts_left: int


@dataclass(frozen=True)
class Expired:
    pass


@dataclass(frozen=True)
class NothingPending:
    pass


@dataclass(frozen=True)
class Cancelled:
    pending: PendingOperation


@dataclass(frozen=True)
class BankDown:
    pass


@dataclass(frozen=True)
class InDoubt:
    """Sent to the bank, no answer yet: checking; neither cancel nor a new command."""

    pending: PendingOperation


@dataclass(frozen=True)
class NotPosted:
    """The bank's word that an operation sent to it was not posted (refused, or never
    arrived): no money was taken."""

    pending: PendingOperation
    refusal: Refused | None = None


Outcome = (
    Invalid | HelpShown | Balances | StatementShown | LoansShown | Preview | ChoosePrepayment
    | PendingExists
    | LockedOut | Refused | Executed | WrongCode | Expired | NothingPending | Cancelled | BankDown
    | InDoubt | NotPosted
)  # fmt: skip


def refusal_for(error: BankError) -> Refused:
    match error:
        case InsufficientFunds():
            return Refused(Refusal.INSUFFICIENT_FUNDS, error.available)
        case LimitExceeded():
            return Refused(Refusal.LIMIT_EXCEEDED, error.remaining, error.limit_kind)
        case UnknownPayee():
            return Refused(Refusal.UNKNOWN_PAYEE)
        case AccountClosed():
            return Refused(Refusal.ACCOUNT_CLOSED)
        case InvalidRequest():
            return Refused(Refusal.NOT_ALLOWED)
        case _:
            log.warning("money command refused by the bank: %s", error.code)
            return Refused(Refusal.NOT_ALLOWED)
