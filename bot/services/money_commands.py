"""The money-command engine shared by the chat and the SMS channel.

Queries (balances, statement, loans) answer at once. A money command is previewed (payee
name from the bank's name check, amount, fee, balance after), the bank texts a code bound
to exactly that operation, and `QR <code>` sends it with an idempotency key derived from
the pending operation, so a duplicate, a double press or a retry never posts twice
(OWASP transaction authorization). Once sent, only the bank's answer settles it
(`money_settlement`): while it is in doubt every message asks the bank again, and nothing
else is done. `handle` never raises for a bank refusal: every result is an outcome the
views render in the customer's language.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

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
    parse_command,
)
from bot.domain.repayment import PaymentKind
from bot.domain.repayment import Prepayment as DomainPrepayment
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
    Outcome,
    PendingExists,
    Preview,
    Refusal,
    Refused,
    StatementShown,
    WrongCode,
)
from bot.services.money_settlement import Settlement
from bot.services.money_store import (
    MoneyCommandStore,
    PendingOperation,
    PrepaymentOffer,
    ReplyTo,
    new_operation_id,
)
from bot.services.repayment_plans import (
    LoanToday,
    PlanRefused,
    PrepaymentChoice,
    RepaymentPlan,
    RepayOptions,
    plan_repayment,
    repay_options,
)
from integrations.bank.errors import (
    AccountClosed,
    BankUnavailable,
    CodeExpired,
    InvalidCode,
    NotFound,
    TooManyAttempts,
    UnknownPayee,
)
from integrations.bank.models import (
    Account,
    AccountStatus,
    CodeChallenge,
    LimitKind,
    Loan,
    LoanStatus,
    LocalizedName,
    OperationKind,
    Prepayment,
    RepaymentTerms,
)
from integrations.bank.protocol import BankAdapter

log = logging.getLogger(__name__)
NO_FEE = Decimal("0.00")  # the bank's contract has no fee quote; its receipts carry the fee
Query = Balance | Statement | Loans
Unreachable = BankDown | InDoubt


class _Refuse(Exception):
    def __init__(self, outcome: Refused | ChoosePrepayment) -> None:
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
    plan: RepaymentPlan | None = None
    counterparty_names: tuple[LocalizedName, ...] = ()


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
        self.settlement = Settlement(bank, store, clock)

    async def customer_of_chat_user(self, chat_user_id: int) -> str | Unreachable | None:
        """The bank customer bound to this chat user, or None (not bound, or staff)."""
        try:
            binding = await self.bank.get_binding(chat_user_id)
        except NotFound:
            return None
        except BankUnavailable:
            return await self._unreachable(ReplyTo(chat_id=chat_user_id))
        return binding.customer_id

    async def customer_of_phone(self, phone: str) -> str | Unreachable | None:
        try:
            return (await self.bank.find_customer_by_phone(phone)).id
        except NotFound:
            return None
        except BankUnavailable:
            return await self._unreachable(ReplyTo(phone=phone))

    async def _unreachable(self, origin: ReplyTo) -> Unreachable:
        """The bank cannot say who the customer is: if an operation from here is in doubt,
        that is what the merchant needs to hear."""
        log.warning("bank unavailable for a customer lookup")
        pending = await self.store.sent_from(origin)
        return BankDown() if pending is None else InDoubt(pending)

    def parse(self, text: str) -> Parsed | CommandError:
        return parse_command(text, max_amount=self.max_amount)

    async def handle(self, customer_id: str, text: str, reply_to: ReplyTo | None = None) -> Outcome:
        parsed = self.parse(text)
        if isinstance(parsed, CommandError):
            return Invalid(parsed)
        return await self.run(customer_id, parsed.command, reply_to)

    async def run(
        self, customer_id: str, command: Command, reply_to: ReplyTo | None = None
    ) -> Outcome:
        try:
            return await self._dispatch(customer_id, command, reply_to or ReplyTo())
        except BankUnavailable:
            log.warning("bank unavailable for a %s command", type(command).__name__)
            return BankDown()

    async def _dispatch(self, customer_id: str, command: Command, reply_to: ReplyTo) -> Outcome:
        if isinstance(command, Help):
            return HelpShown(command.topic)
        if isinstance(command, Query) and not await self._has_sent(customer_id):
            return await self._query(customer_id, command)
        async with self.store.customer_lock(customer_id):
            pending = await self.store.pending(customer_id)
            if pending is not None and pending.sent:
                return await self.settlement.check(pending)  # asked again at every message
            match command:
                case Confirm(code):
                    return await self._confirm(customer_id, code, pending)
                case Cancel():
                    return await self._cancel(pending)
                case Balance() | Statement() | Loans():
                    return await self._query(customer_id, command)
                case _:
                    return await self._propose(customer_id, command, pending, reply_to)

    async def _has_sent(self, customer_id: str) -> bool:
        pending = await self.store.pending(customer_id)
        return pending is not None and pending.sent

    async def _query(self, customer_id: str, query: Query) -> Outcome:
        match query:
            case Balance(last4):
                return await self._balances(customer_id, last4)
            case Statement(last4, count):
                return await self._statement(customer_id, last4, count)
            case Loans():
                loans = await self._active_loans(customer_id)
                return LoansShown([await self._today(loan) for loan in loans])

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

    async def _today(self, loan: Loan) -> LoanToday:
        return LoanToday(loan, await self.bank.payoff_quote(loan.id))

    async def _active_loans(self, customer_id: str) -> list[Loan]:
        loans = await self.bank.list_loans(customer_id)
        return [loan for loan in loans if loan.status is LoanStatus.ACTIVE]

    # --- proposing a money command ---

    async def _propose(
        self,
        customer_id: str,
        command: MoneyCommand,
        pending: PendingOperation | None,
        reply_to: ReplyTo,
    ) -> Outcome:
        locked = await self._lockout_minutes(customer_id)
        if locked:
            return LockedOut(locked)
        if pending is not None and pending.expires_at > self.clock.now():
            return PendingExists(pending)
        await self.store.drop_pending(customer_id)  # proposed and expired: never sent
        try:
            return await self._preview(customer_id, command, reply_to)
        except _Refuse as refusal:
            return refusal.outcome
        except TooManyAttempts as error:
            return await self._lock_out(customer_id, error.retry_after_seconds)

    async def _preview(self, customer_id: str, command: MoneyCommand, reply_to: ReplyTo) -> Outcome:
        source = await self._source_account(customer_id, getattr(command, "from_last4", None))
        draft = await self._draft(customer_id, command)
        if draft.limited:
            await self._check_limits(customer_id, draft)
        if draft.amount + NO_FEE > source.available_balance:
            raise _Refuse(Refused(Refusal.INSUFFICIENT_FUNDS, source.available_balance))
        pending = self._pending(customer_id, draft, source, reply_to)
        challenge = await self.bank.request_operation_code(pending.intent)
        pending = _with_challenge(pending, challenge)
        await self.store.save_pending(pending)
        return Preview(pending, draft.plan)

    def _pending(
        self, customer_id: str, draft: _Draft, source: Account, reply_to: ReplyTo
    ) -> PendingOperation:
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
            chat_id=reply_to.chat_id,
            reply_phone=reply_to.phone,
            repayment=draft.plan.kind if draft.plan else None,
            prepayment=draft.plan.prepayment if draft.plan else None,
            counterparty_names=draft.counterparty_names,
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
            command.bill_account, counterparty_names=tuple(biller.names),
        )  # fmt: skip

    async def _top_up_draft(self, customer_id: str, command: TopUp) -> _Draft:
        phone = command.phone or (await self.bank.get_customer(customer_id)).phone
        return _Draft(OperationKind.TOP_UP, phone, command.amount, "", phone)

    async def _terms(self, loan: Loan) -> RepaymentTerms:
        products = {product.code: product for product in await self.bank.list_products()}
        product = products.get(loan.product_code)
        return product.repayment if product is not None else RepaymentTerms()

    async def repay_options(self, customer_id: str, loan_id: str) -> RepayOptions | Outcome:
        """What one press can repay of the customer's loan now."""
        try:
            loan = _pick_loan(await self._active_loans(customer_id), loan_id)
            return repay_options(await self._today(loan), await self._terms(loan))
        except _Refuse as refusal:
            return refusal.outcome
        except BankUnavailable:
            return BankDown()

    async def repay_by_button(
        self, customer_id: str, loan_id: str, kind: PaymentKind, reply_to: ReplyTo
    ) -> Outcome:
        """The repayment a button under the loan names, its amount worked out now."""
        options = await self.repay_options(customer_id, loan_id)
        if not isinstance(options, RepayOptions):
            return options
        amounts = {PaymentKind.INSTALLMENT: options.installment,
                   PaymentKind.OVERDUE: options.overdue}  # fmt: skip
        amount = amounts.get(kind)
        if kind is not PaymentKind.PAYOFF and not amount:
            return Refused(Refusal.NOTHING_DUE)
        return await self.run(customer_id, Repay(amount, loan_id), reply_to)

    async def _repay_draft(self, customer_id: str, command: Repay) -> _Draft:
        loan = _pick_loan(await self._active_loans(customer_id), command.loan_ref)
        prepayment = Prepayment(command.prepayment.value) if command.prepayment else None
        try:
            plan = plan_repayment(
                await self._today(loan), await self._terms(loan), command.amount, prepayment
            )
        except PlanRefused as refused:
            if refused.minimum is not None:
                raise _Refuse(Refused(Refusal.BELOW_MINIMUM, refused.minimum)) from None
            raise _Refuse(Refused(Refusal.MORE_THAN_OWED, refused.owed)) from None
        if isinstance(plan, PrepaymentChoice):
            offer = PrepaymentOffer(new_operation_id(), customer_id, loan.id, plan.amount)
            await self.store.save_offer(offer)
            raise _Refuse(ChoosePrepayment(plan, offer.id))
        return _Draft(
            OperationKind.REPAYMENT, loan.id, plan.amount, loan.id, loan.masked_account,
            limited=False, plan=plan,
        )  # fmt: skip

    async def choose_prepayment(
        self, customer_id: str, offer_id: str, prepayment: DomainPrepayment, reply_to: ReplyTo
    ) -> Outcome | None:
        """The kind pressed under a prepayment choice: the preview, or None when the offer is
        not (or no longer) the customer's."""
        async with self.store.customer_lock(customer_id):
            offer = await self.store.take_offer(customer_id, offer_id)
        if offer is None:
            return None
        return await self.run(customer_id, Repay(offer.amount, offer.loan_id, prepayment), reply_to)

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

    async def _confirm(
        self, customer_id: str, code: str, pending: PendingOperation | None
    ) -> Outcome:
        if pending is None:
            done = await self.store.last_done(customer_id)
            if done is not None and done.code == code:
                return Executed(done.receipt, again=True, operation=done.operation)
            return NothingPending()
        checked = await self._verify(pending, code)
        if checked is not None:
            return checked
        return await self.settlement.send(pending, code)

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

    async def _cancel(self, pending: PendingOperation | None) -> Outcome:
        """Only a proposed operation (never sent) can be cancelled."""
        if pending is None:
            return NothingPending()
        await self.store.drop_pending(pending.customer_id)
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
