"""Sending a confirmed money command to the bank, and settling it.

sent -> posted (the receipt) | refused (the reason) | in doubt (the answer was lost). An
operation in doubt is settled only by the bank's status of its idempotency key; until then
the merchant hears "checking", and neither QX nor a new command is taken. `InDoubtResolver`
asks again in the background and tells the merchant the outcome.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock
from bot.services.money_outcomes import Executed, InDoubt, NotPosted, Outcome, refusal_for
from bot.services.money_store import (
    CustomerBusy,
    MoneyCommandStore,
    OperationState,
    PendingOperation,
)
from integrations.bank.errors import BankError, BankUnavailable, error_from_problem
from integrations.bank.models import (
    BillPaymentRequest,
    OperationKind,
    OperationStatus,
    Receipt,
    RepaymentKind,
    RepaymentRequest,
    TopUpRequest,
    TransferRequest,
)
from integrations.bank.models import (
    OperationState as BankState,
)
from integrations.bank.protocol import BankAdapter

log = logging.getLogger(__name__)
SENDING_GRACE = timedelta(seconds=60)  # the resolver leaves a send in flight alone this long
RECHECK_AFTER = timedelta(seconds=15)
Settled = Executed | NotPosted


class Settlement:
    def __init__(
        self,
        bank: BankAdapter,
        store: MoneyCommandStore,
        clock: Clock,
        recheck_after: timedelta = RECHECK_AFTER,
    ) -> None:
        self.bank = bank
        self.store = store
        self.clock = clock
        self.recheck_after = recheck_after

    async def send(self, pending: PendingOperation, code: str) -> Outcome:
        """Post a verified operation; it is `SENT` in Redis before the bank hears of it."""
        sent = replace(pending, verified_code=code, state=OperationState.SENT)
        await self.store.save_pending(sent, check_at=self.clock.now() + SENDING_GRACE)
        try:
            receipt = await post(self.bank, sent)
        except BankUnavailable:
            log.warning("no answer from the bank to a %s: in doubt", sent.kind.value)
            return await self.check(replace(sent, state=OperationState.IN_DOUBT))
        except BankError as error:
            await self.store.drop_pending(sent.customer_id)
            return NotPosted(sent, refusal_for(error))
        await self.store.finish(sent, code, receipt)
        return Executed(receipt, operation=sent)

    async def check(self, pending: PendingOperation) -> Outcome:
        """Ask the bank about a sent operation and settle it if the bank knows."""
        outcome = await self.ask(pending)
        await self.settle(pending, outcome)
        return outcome

    async def ask(self, pending: PendingOperation) -> Settled | InDoubt:
        try:
            status = await self.bank.operation_status(pending.idempotency_key)
        except BankError as error:
            log.warning("the bank cannot tell the status of a %s yet: %s", pending.kind.value,
                        error.code)  # fmt: skip
            return InDoubt(pending)
        return _outcome_of(pending, status)

    async def settle(self, pending: PendingOperation, outcome: Outcome) -> None:
        match outcome:
            case Executed(receipt):
                await self.store.finish(pending, pending.verified_code or "", receipt)
            case NotPosted():
                await self.store.drop_pending(pending.customer_id)
            case _:
                in_doubt = replace(pending, state=OperationState.IN_DOUBT)
                await self.store.save_pending(in_doubt, self.clock.now() + self.recheck_after)


def _outcome_of(pending: PendingOperation, status: OperationStatus) -> Settled | InDoubt:
    match status.state:
        case BankState.POSTED if status.receipt is not None:
            return Executed(status.receipt, checked=True, operation=pending)
        case BankState.REFUSED if status.refusal is not None:
            return NotPosted(pending, refusal_for(error_from_problem(status.refusal.model_dump())))
        case BankState.UNKNOWN:
            return NotPosted(pending)
    log.warning("the bank's status of a %s is incomplete", pending.kind.value)
    return InDoubt(pending)


async def post(bank: BankAdapter, pending: PendingOperation) -> Receipt:
    key = pending.idempotency_key
    common = {
        "customer_id": pending.customer_id,
        "amount": pending.amount,
        "from_account_id": pending.from_account_id,
    }
    match pending.kind:
        case OperationKind.TRANSFER:
            request = TransferRequest(destination=pending.destination, **common)
            return await bank.transfer(request, idempotency_key=key)
        case OperationKind.BILL_PAYMENT:
            biller, _, bill_account = pending.destination.partition(" ")
            bill = BillPaymentRequest(biller_code=biller, bill_account=bill_account, **common)
            return await bank.pay_bill(bill, idempotency_key=key)
        case OperationKind.TOP_UP:
            top_up = TopUpRequest(phone=pending.destination, **common)
            return await bank.top_up(top_up, idempotency_key=key)
        case OperationKind.REPAYMENT:
            repay = RepaymentRequest(
                loan_id=pending.destination,
                kind=pending.repayment or RepaymentKind.INSTALLMENT,
                prepayment=pending.prepayment,
                **common,
            )
            return await bank.repay_loan(repay, idempotency_key=key)


class ResolutionNotifier(Protocol):
    async def tell(self, pending: PendingOperation, outcome: Settled) -> None:
        """Tell the merchant what became of the operation (durably queued, once per op)."""
        ...


class InDoubtResolver:
    """The background loop's body: ask the bank about every sent operation that is due for
    a check, tell the merchant the outcome, then settle it."""

    def __init__(
        self, settlement: Settlement, notifier: ResolutionNotifier, batch: int = 100
    ) -> None:
        self.settlement = settlement
        self.store = settlement.store
        self.notifier = notifier
        self.batch = batch

    async def run_once(self, now: datetime) -> int:
        """How many operations were settled."""
        settled = 0
        for customer_id in await self.store.due_for_check(now, self.batch):
            try:
                async with self.store.customer_lock(customer_id):
                    settled += await self._resolve(customer_id)
            except CustomerBusy:
                continue  # the merchant's own message is settling it right now
        return settled

    async def _resolve(self, customer_id: str) -> int:
        pending = await self.store.pending(customer_id)
        if pending is None or not pending.sent:
            await self.store.forget_check(customer_id)
            return 0
        outcome = await self.settlement.ask(pending)
        if isinstance(outcome, InDoubt):
            await self.settlement.settle(pending, outcome)
            return 0
        await self.notifier.tell(pending, outcome)  # before settling: a crash tells it again
        await self.settlement.settle(pending, outcome)
        return 1
