"""The money-command engine shared by the chat and the SMS channel.

Queries (balances, statement, loans) answer at once. A money command is previewed (payee
name from the bank's name check, amount, fee, balance after), the bank texts a code bound
to exactly that operation, and `QR <code>` executes it with an idempotency key derived from
the pending operation, so a duplicate, a double press or a retry never posts twice
(OWASP transaction authorization). `handle` never raises for a bank refusal: every result
is an outcome the views render in the customer's language.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum

from bot.clock import Clock
from bot.domain.commands import (
    DEFAULT_MAX_AMOUNT,
    Balance,
    Cancel,
    Command,
    CommandError,
    Confirm,
    Help,
    Loans,
    MoneyCommand,
    Parsed,
    PayBill,
    Repay,
    Statement,
    TopUp,
    Transfer,
    Verb,
    parse_command,
)
from bot.services.money_store import MoneyCommandStore, PendingOperation, new_operation_id
from integrations.bank.errors import (
    AccountClosed,
    BankError,
    BankUnavailable,
    CodeExpired,
    InsufficientFunds,
    InvalidCode,
    InvalidRequest,
    LimitExceeded,
    NotFound,
    TooManyAttempts,
    UnknownPayee,
)
from integrations.bank.models import (
    Account,
    AccountStatus,
    BillPaymentRequest,
    CodeChallenge,
    LimitKind,
    Loan,
    LoanStatus,
    OperationKind,
    Receipt,
    RepaymentRequest,
    TopUpRequest,
    Transaction,
    TransferRequest,
)
from integrations.bank.protocol import BankAdapter

log = logging.getLogger(__name__)
NO_FEE = Decimal("0.00")  # the bank's contract has no fee quote; its receipts carry the fee


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
    loans: list[Loan]


@dataclass(frozen=True)
class Preview:
    pending: PendingOperation


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


Outcome = (
    Invalid | HelpShown | Balances | StatementShown | LoansShown | Preview | PendingExists
    | LockedOut | Refused | Executed | WrongCode | Expired | NothingPending | Cancelled | BankDown
)  # fmt: skip


class _Refuse(Exception):
    def __init__(self, outcome: Refused) -> None:
        self.outcome = outcome


@dataclass(frozen=True)
class _Draft:
    """A money command resolved against the bank, before the code is requested."""

    kind: OperationKind
    destination: str
    amount: Decimal
    counterparty: str
    counterparty_account: str
    first_payment: bool = False
    limited: bool = True  # outgoing payment limits apply (not to loan repayments)


class MoneyCommandEngine:
    def __init__(
        self,
        bank: BankAdapter,
        store: MoneyCommandStore,
        clock: Clock,
        max_amount: Decimal = DEFAULT_MAX_AMOUNT,
    ) -> None:
        self.bank = bank
        self.store = store
        self.clock = clock
        self.max_amount = max_amount

    async def customer_of_chat_user(self, chat_user_id: int) -> str | None:
        """The bank customer bound to this chat user, or None (not bound, or staff)."""
        try:
            binding = await self.bank.get_binding(chat_user_id)
        except NotFound:
            return None
        return binding.customer_id

    async def customer_of_phone(self, phone: str) -> str | None:
        try:
            return (await self.bank.find_customer_by_phone(phone)).id
        except NotFound:
            return None

    def parse(self, text: str) -> Parsed | CommandError:
        return parse_command(text, max_amount=self.max_amount)

    async def handle(self, customer_id: str, text: str) -> Outcome:
        parsed = self.parse(text)
        if isinstance(parsed, CommandError):
            return Invalid(parsed)
        return await self.run(customer_id, parsed.command)

    async def run(self, customer_id: str, command: Command) -> Outcome:
        try:
            return await self._dispatch(customer_id, command)
        except BankUnavailable:
            log.warning("bank unavailable for a %s command", type(command).__name__)
            return BankDown()

    async def _dispatch(self, customer_id: str, command: Command) -> Outcome:
        match command:
            case Help(topic):
                return HelpShown(topic)
            case Balance(last4):
                return await self._balances(customer_id, last4)
            case Statement(last4, count):
                return await self._statement(customer_id, last4, count)
            case Loans():
                return LoansShown(await self._active_loans(customer_id))
            case Confirm(code):
                async with self.store.customer_lock(customer_id):
                    return await self._confirm(customer_id, code)
            case Cancel():
                async with self.store.customer_lock(customer_id):
                    return await self.cancel(customer_id)
            case _:
                async with self.store.customer_lock(customer_id):
                    return await self._propose(customer_id, command)

    # --- queries ---

    async def _balances(self, customer_id: str, last4: str | None) -> Outcome:
        accounts = _matching(await self.bank.list_accounts(customer_id), last4)
        return Balances(accounts) if accounts else Refused(Refusal.NO_SUCH_ACCOUNT)

    async def _statement(self, customer_id: str, last4: str | None, count: int) -> Outcome:
        accounts = _matching(await self.bank.list_accounts(customer_id), last4)
        if not accounts:
            return Refused(Refusal.NO_SUCH_ACCOUNT)
        page = await self.bank.list_transactions(customer_id, accounts[0].id, limit=count)
        return StatementShown(accounts[0], page.items[:count])

    async def _active_loans(self, customer_id: str) -> list[Loan]:
        loans = await self.bank.list_loans(customer_id)
        return [loan for loan in loans if loan.status is LoanStatus.ACTIVE]

    # --- proposing a money command ---

    async def _propose(self, customer_id: str, command: MoneyCommand) -> Outcome:
        locked = await self._lockout_minutes(customer_id)
        if locked:
            return LockedOut(locked)
        pending = await self.store.pending(customer_id)
        if pending is not None and pending.expires_at > self.clock.now():
            return PendingExists(pending)
        await self.store.drop_pending(customer_id)
        try:
            return await self._preview(customer_id, command)
        except _Refuse as refusal:
            return refusal.outcome
        except TooManyAttempts as error:
            return await self._lock_out(customer_id, error.retry_after_seconds)

    async def _preview(self, customer_id: str, command: MoneyCommand) -> Outcome:
        source = await self._source_account(customer_id, getattr(command, "from_last4", None))
        draft = await self._draft(customer_id, command)
        if draft.limited:
            await self._check_limits(customer_id, draft)
        if draft.amount + NO_FEE > source.available_balance:
            raise _Refuse(Refused(Refusal.INSUFFICIENT_FUNDS, source.available_balance))
        pending = self._pending(customer_id, draft, source)
        challenge = await self.bank.request_operation_code(pending.intent)
        pending = _with_challenge(pending, challenge)
        await self.store.save_pending(pending)
        return Preview(pending)

    def _pending(self, customer_id: str, draft: _Draft, source: Account) -> PendingOperation:
        return PendingOperation(
            id=new_operation_id(),
            customer_id=customer_id,
            kind=draft.kind,
            destination=draft.destination,
            amount=draft.amount,
            from_account_id=source.id,
            counterparty=draft.counterparty,
            counterparty_account=draft.counterparty_account,
            first_payment=draft.first_payment,
            fee=NO_FEE,
            balance_after=source.available_balance - draft.amount - NO_FEE,
            challenge_id="",
            masked_phone="",
            expires_at=self.clock.now(),
        )

    async def _source_account(self, customer_id: str, last4: str | None) -> Account:
        accounts = _matching(await self.bank.list_accounts(customer_id), last4)
        if not accounts:
            raise _Refuse(Refused(Refusal.NO_SUCH_ACCOUNT))
        if accounts[0].status is not AccountStatus.OPEN:
            raise _Refuse(Refused(Refusal.ACCOUNT_CLOSED))
        return accounts[0]

    async def _draft(self, customer_id: str, command: MoneyCommand) -> _Draft:
        match command:
            case Transfer():
                return await self._transfer_draft(customer_id, command)
            case PayBill():
                return await self._bill_draft(command)
            case TopUp():
                return await self._top_up_draft(customer_id, command)
            case Repay():
                return await self._repay_draft(customer_id, command)

    async def _transfer_draft(self, customer_id: str, command: Transfer) -> _Draft:
        try:
            check = await self.bank.check_payee(customer_id, command.payee)
        except UnknownPayee:
            raise _Refuse(Refused(Refusal.UNKNOWN_PAYEE)) from None
        except AccountClosed:
            raise _Refuse(Refused(Refusal.ACCOUNT_CLOSED)) from None
        return _Draft(
            OperationKind.TRANSFER,
            command.payee,
            command.amount,
            check.registered_name,
            check.masked_account,
            first_payment=check.first_payment,
        )

    async def _bill_draft(self, command: PayBill) -> _Draft:
        billers = {biller.code: biller for biller in await self.bank.list_billers()}
        biller = billers.get(command.biller)
        if biller is None:
            raise _Refuse(Refused(Refusal.UNKNOWN_BILLER))
        if not _fullmatch(biller.bill_account_pattern, command.bill_account):
            raise _Refuse(Refused(Refusal.BAD_BILL_ACCOUNT))
        destination = f"{biller.code} {command.bill_account}"
        return _Draft(
            OperationKind.BILL_PAYMENT, destination, command.amount, biller.name,
            command.bill_account,
        )  # fmt: skip

    async def _top_up_draft(self, customer_id: str, command: TopUp) -> _Draft:
        phone = command.phone or (await self.bank.get_customer(customer_id)).phone
        return _Draft(OperationKind.TOP_UP, phone, command.amount, "", phone)

    async def _repay_draft(self, customer_id: str, command: Repay) -> _Draft:
        loan = _pick_loan(await self._active_loans(customer_id), command.loan_ref)
        amount = loan.payoff_amount if command.amount is None else command.amount
        if amount > loan.payoff_amount:
            raise _Refuse(Refused(Refusal.MORE_THAN_OWED, loan.payoff_amount))
        return _Draft(
            OperationKind.REPAYMENT, loan.id, amount, loan.id, loan.masked_account, limited=False
        )

    async def _check_limits(self, customer_id: str, draft: _Draft) -> None:
        limits = await self.bank.get_limits(customer_id)
        allowances = [
            (LimitKind.PER_TRANSACTION, limits.per_transaction),
            (LimitKind.DAILY, limits.daily_remaining),
            (LimitKind.MONTHLY, limits.monthly_remaining),
        ]
        if draft.first_payment:
            allowances.append((LimitKind.NEW_PAYEE, limits.new_payee_per_transaction))
        allowed_now = max(Decimal(0), min(allowance for _, allowance in allowances))
        for kind, allowance in allowances:
            if draft.amount > allowance:
                raise _Refuse(Refused(Refusal.LIMIT_EXCEEDED, allowed_now, kind.value))

    # --- confirming and cancelling ---

    async def _confirm(self, customer_id: str, code: str) -> Outcome:
        pending = await self.store.pending(customer_id)
        if pending is None:
            done = await self.store.last_done(customer_id)
            if done is not None and done.code == code:
                return Executed(done.receipt, again=True)
            return NothingPending()
        if pending.verified_code is None:
            checked = await self._verify(pending, code)
            if checked is not None:
                return checked
            pending = replace(pending, verified_code=code)
            await self.store.save_pending(pending)
        elif pending.verified_code != code:
            return WrongCode(attempts_left=0)
        return await self._execute(pending, code)

    async def _verify(self, pending: PendingOperation, code: str) -> Outcome | None:
        if self.clock.now() >= pending.expires_at:
            await self.store.drop_pending(pending.customer_id)
            return Expired()
        try:
            await self.bank.verify_operation_code(pending.challenge_id, code, pending.intent)
        except InvalidCode as error:
            return WrongCode(error.attempts_left)
        except (CodeExpired, NotFound):
            await self.store.drop_pending(pending.customer_id)
            return Expired()
        except TooManyAttempts as error:
            await self.store.drop_pending(pending.customer_id)
            return await self._lock_out(pending.customer_id, error.retry_after_seconds)
        return None

    async def _execute(self, pending: PendingOperation, code: str) -> Outcome:
        try:
            receipt = await self._post(pending)
        except BankUnavailable:
            raise  # the pending stays verified: the next QR retries with the same key
        except BankError as error:
            await self.store.drop_pending(pending.customer_id)
            return _refusal_for(error)
        await self.store.finish(pending, code, receipt)
        return Executed(receipt)

    async def _post(self, pending: PendingOperation) -> Receipt:
        key = pending.idempotency_key
        common = {
            "customer_id": pending.customer_id,
            "amount": pending.amount,
            "from_account_id": pending.from_account_id,
        }
        match pending.kind:
            case OperationKind.TRANSFER:
                request = TransferRequest(destination=pending.destination, **common)
                return await self.bank.transfer(request, idempotency_key=key)
            case OperationKind.BILL_PAYMENT:
                biller, _, bill_account = pending.destination.partition(" ")
                bill = BillPaymentRequest(biller_code=biller, bill_account=bill_account, **common)
                return await self.bank.pay_bill(bill, idempotency_key=key)
            case OperationKind.TOP_UP:
                top_up = TopUpRequest(phone=pending.destination, **common)
                return await self.bank.top_up(top_up, idempotency_key=key)
            case OperationKind.REPAYMENT:
                repay = RepaymentRequest(loan_id=pending.destination, **common)
                return await self.bank.repay_loan(repay, idempotency_key=key)

    async def cancel(self, customer_id: str) -> Outcome:
        pending = await self.store.pending(customer_id)
        if pending is None:
            return NothingPending()
        await self.store.drop_pending(customer_id)
        return Cancelled(pending)

    async def pending(self, customer_id: str) -> PendingOperation | None:
        return await self.store.pending(customer_id)

    # --- lockout ---

    async def _lockout_minutes(self, customer_id: str) -> int:
        until = await self.store.locked_until(customer_id)
        if until is None:
            return 0
        seconds = (until - self.clock.now()).total_seconds()
        return max(0, math.ceil(seconds / 60))

    async def _lock_out(self, customer_id: str, seconds: int) -> LockedOut:
        until = self.clock.now() + timedelta(seconds=seconds)
        await self.store.lock_out(customer_id, until, seconds + 60)
        return LockedOut(max(1, math.ceil(seconds / 60)))


def _matching(accounts: list[Account], last4: str | None) -> list[Account]:
    if last4 is None:
        return accounts
    return [account for account in accounts if account.masked_number.endswith(last4)]


def _pick_loan(loans: list[Loan], ref: str | None) -> Loan:
    if ref is not None:
        loans = [
            loan for loan in loans if loan.id.upper() == ref or loan.masked_account.endswith(ref)
        ]
    if not loans:
        raise _Refuse(Refused(Refusal.NO_LOAN))
    if len(loans) > 1:
        raise _Refuse(Refused(Refusal.WHICH_LOAN))
    return loans[0]


def _with_challenge(pending: PendingOperation, challenge: CodeChallenge) -> PendingOperation:
    return replace(
        pending,
        challenge_id=challenge.id,
        masked_phone=challenge.masked_phone,
        expires_at=challenge.expires_at,
    )


def _fullmatch(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text) is not None


def _refusal_for(error: BankError) -> Refused:
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
