"""`SandboxBank`: the embedded core bank behind the BankAdapter Protocol.

Each call is one SQLite transaction run in a worker thread; SMS go out after the commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import TypeVar

from pydantic import BaseModel

from integrations.bank.models import (
    Account,
    Biller,
    BillPaymentRequest,
    Binding,
    BindingStart,
    CodeChallenge,
    Consent,
    ConsentRequest,
    Customer,
    DeletionReport,
    DisbursementRequest,
    District,
    EventPage,
    Industry,
    Lead,
    LeadEvent,
    LeadSubmission,
    LimitStatus,
    Loan,
    LoanProduct,
    Officer,
    OfficerTask,
    OperationIntent,
    OperationStatus,
    Payee,
    PayeeCheck,
    PayoffQuote,
    Receipt,
    RepaymentRequest,
    StatusUpdate,
    TopUpRequest,
    TransactionPage,
    TransferRequest,
    VisitBooking,
)
from integrations.bank.sandbox import (
    accounts,
    binding,
    disbursement,
    events,
    idempotency,
    leads,
    limits,
    loans,
    payments,
    people,
    privacy,
    reference,
    repayments,
    tasks,
)
from integrations.bank.sandbox.base import SandboxCore
from integrations.bank.sandbox.committee_api import SandboxCommittee
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.fieldwork_api import SandboxFieldwork
from integrations.bank.sandbox.idempotency import canonical_request, run_once
from integrations.bank.sandbox.offers import sweep_offers
from integrations.bank.sandbox.offers_api import SandboxOffers
from integrations.bank.sandbox.worksheets_api import SandboxWorksheets

T = TypeVar("T")
RequestT = TypeVar("RequestT", bound=BaseModel)
ResponseT = TypeVar("ResponseT", bound=BaseModel)


class SandboxBank(
    SandboxFieldwork, SandboxWorksheets, SandboxCommittee, SandboxOffers, SandboxCore
):
    # --- reference data ---
    async def list_products(self) -> list[LoanProduct]:
        return await self._run_plain(reference.list_products)

    async def list_districts(self) -> list[District]:
        return await self._run_plain(reference.list_districts)

    async def list_industries(self) -> list[Industry]:
        return await self._run_plain(reference.list_industries)

    async def list_billers(self) -> list[Biller]:
        return await self._run_plain(payments.list_billers)

    # --- people and binding ---
    async def find_customer_by_phone(self, phone: str) -> Customer:
        return await self._run_plain(partial(people.find_customer_by_phone, phone=phone))

    async def get_customer(self, customer_id: str) -> Customer:
        return await self._run_plain(partial(people.get_customer, customer_id=customer_id))

    async def get_officer(self, officer_id: str) -> Officer:
        return await self._run_plain(partial(people.get_officer, officer_id=officer_id))

    async def start_binding(self, request: BindingStart) -> CodeChallenge:
        issued = await self.run(partial(binding.start_binding, request=request))
        minutes = int(self.config.code_ttl.total_seconds() // 60)
        await self._sms.send(issued.phone, binding.binding_sms(issued.code, minutes))
        return issued.challenge

    async def confirm_binding(self, challenge_id: str, code: str) -> Binding:
        return await self.run(
            partial(binding.confirm_binding, challenge_id=challenge_id, code=code)
        )

    async def get_binding(self, chat_user_id: int) -> Binding:
        return await self._run_plain(partial(binding.get_binding, chat_user_id=chat_user_id))

    async def unbind(self, chat_user_id: int) -> None:
        await self._run_plain(partial(binding.unbind, chat_user_id=chat_user_id))

    # --- accounts ---
    async def list_accounts(self, customer_id: str) -> list[Account]:
        return await self._run_plain(partial(accounts.list_accounts, customer_id=customer_id))

    async def list_transactions(
        self, customer_id: str, account_id: str, *, limit: int = 20, cursor: str | None = None
    ) -> TransactionPage:
        return await self._run_plain(
            partial(
                accounts.list_transactions,
                customer_id=customer_id,
                account_id=account_id,
                limit=limit,
                cursor=cursor,
            )
        )

    async def get_limits(self, customer_id: str) -> LimitStatus:
        return await self.run(partial(_limit_status, customer_id=customer_id))

    # --- loans ---
    async def list_loans(self, customer_id: str) -> list[Loan]:
        return await self.run(partial(loans.list_loans, customer_id=customer_id))

    async def get_loan(self, loan_id: str) -> Loan:
        return await self.run(partial(loans.get_loan, loan_id=loan_id))

    async def get_loans(self, loan_ids: Sequence[str]) -> list[Loan]:
        return await self.run(partial(loans.get_loans, loan_ids=loan_ids))

    async def payoff_quote(self, loan_id: str, on: date | None = None) -> PayoffQuote:
        return await self.run(partial(repayments.payoff_quote, loan_id=loan_id, on=on))

    # --- payments ---
    async def list_payees(self, customer_id: str) -> list[Payee]:
        return await self._run_plain(partial(payments.list_payees, customer_id=customer_id))

    async def check_payee(self, customer_id: str, destination: str) -> PayeeCheck:
        return await self._run_plain(
            partial(payments.check_payee, customer_id=customer_id, destination=destination)
        )

    async def request_operation_code(self, intent: OperationIntent) -> CodeChallenge:
        issued, text = await self.run(partial(payments.request_operation_code, intent=intent))
        await self._sms.send(issued.phone, text)
        return issued.challenge

    async def verify_operation_code(
        self, challenge_id: str, code: str, intent: OperationIntent
    ) -> None:
        await self.run(
            partial(
                payments.verify_operation_code, challenge_id=challenge_id, code=code, intent=intent
            )
        )

    async def transfer(self, request: TransferRequest, *, idempotency_key: str) -> Receipt:
        return await self._pay("transfer", request, idempotency_key, payments.transfer)

    async def pay_bill(self, request: BillPaymentRequest, *, idempotency_key: str) -> Receipt:
        return await self._pay("pay_bill", request, idempotency_key, payments.pay_bill)

    async def top_up(self, request: TopUpRequest, *, idempotency_key: str) -> Receipt:
        return await self._pay("top_up", request, idempotency_key, payments.top_up)

    async def repay_loan(self, request: RepaymentRequest, *, idempotency_key: str) -> Receipt:
        return await self._pay("repay_loan", request, idempotency_key, repayments.repay)

    async def operation_status(self, idempotency_key: str) -> OperationStatus:
        return await self.run(partial(idempotency.operation_status, key=idempotency_key))

    async def _pay(
        self,
        operation: str,
        request: RequestT,
        key: str,
        operation_work: Callable[[sqlite3.Connection, Context, RequestT], Receipt],
    ) -> Receipt:
        def work(connection: sqlite3.Connection, context: Context) -> Receipt:
            return idempotency.run_payment_once(
                connection,
                context,
                key,
                canonical_request(operation, request),
                lambda: operation_work(connection, context, request),
            )

        return await self.run(work)

    async def _once(
        self,
        operation: str,
        request: RequestT,
        key: str,
        response_type: type[ResponseT],
        operation_work: Callable[[sqlite3.Connection, Context, RequestT], ResponseT],
    ) -> ResponseT:
        def work(connection: sqlite3.Connection, context: Context) -> ResponseT:
            return run_once(
                connection,
                context,
                key,
                canonical_request(operation, request),
                response_type,
                lambda: operation_work(connection, context, request),
            )

        return await self.run(work)

    # --- leads ---
    async def submit_lead(self, submission: LeadSubmission, *, idempotency_key: str) -> Lead:
        return await self._once("submit_lead", submission, idempotency_key, Lead, leads.submit_lead)

    async def get_lead(self, lead_id: str) -> Lead:
        return await self._run_plain(partial(leads.get_lead, lead_id=lead_id))

    async def list_lead_events(self, lead_id: str) -> list[LeadEvent]:
        return await self._run_plain(partial(leads.list_lead_events, lead_id=lead_id))

    async def list_officer_queue(self, officer_id: str) -> list[Lead]:
        return await self._run_plain(partial(leads.officer_queue, officer_id=officer_id))

    async def list_unclaimed_leads(self, supervisor_id: str) -> list[Lead]:
        return await self._run_plain(partial(leads.unclaimed_leads, supervisor_id=supervisor_id))

    async def claim_lead(self, lead_id: str, officer_id: str) -> Lead:
        return await self.run(partial(leads.claim_lead, lead_id=lead_id, officer_id=officer_id))

    async def pass_lead(self, lead_id: str, officer_id: str, reason: str) -> Lead:
        return await self.run(
            partial(leads.pass_lead, lead_id=lead_id, officer_id=officer_id, reason=reason)
        )

    async def reassign_lead(self, lead_id: str, supervisor_id: str, officer_id: str) -> Lead:
        return await self.run(
            partial(
                leads.reassign_lead,
                lead_id=lead_id,
                supervisor_id=supervisor_id,
                officer_id=officer_id,
            )
        )

    async def update_lead_status(self, lead_id: str, update: StatusUpdate) -> Lead:
        return await self.run(partial(leads.update_lead_status, lead_id=lead_id, update=update))

    async def add_lead_note(self, lead_id: str, officer_id: str, note: str) -> Lead:
        return await self.run(
            partial(leads.add_lead_note, lead_id=lead_id, officer_id=officer_id, note=note)
        )

    async def book_visit(self, lead_id: str, booking: VisitBooking) -> Lead:
        return await self.run(partial(leads.book_visit, lead_id=lead_id, booking=booking))

    async def disburse_loan(
        self, lead_id: str, request: DisbursementRequest, *, idempotency_key: str
    ) -> Loan:
        return await self._once(
            f"disburse_loan {lead_id}",
            request,
            idempotency_key,
            Loan,
            partial(_disburse, lead_id=lead_id),
        )

    # --- officer tasks ---
    async def list_officer_tasks(self, officer_id: str) -> list[OfficerTask]:
        return await self.run(partial(_swept_tasks, officer_id=officer_id))

    async def complete_task(self, task_id: str, officer_id: str, note: str) -> OfficerTask:
        return await self.run(
            partial(tasks.complete_task, task_id=task_id, officer_id=officer_id, note=note)
        )

    async def reschedule_task(
        self, task_id: str, officer_id: str, due_on: date, note: str
    ) -> OfficerTask:
        return await self._run_plain(
            partial(
                tasks.reschedule_task,
                task_id=task_id,
                officer_id=officer_id,
                due_on=due_on,
                note=note,
            )
        )

    # --- bank events ---
    async def list_events(self, *, after: str | None = None, limit: int = 100) -> EventPage:
        return await self.run(partial(_swept_events, after=after, limit=limit))

    # --- privacy ---
    async def record_consent(self, request: ConsentRequest) -> Consent:
        return await self.run(partial(privacy.record_consent, request=request))

    async def delete_person_data(self, phone: str) -> DeletionReport:
        return await self._run_plain(partial(privacy.delete_person_data, phone=phone))


def _limit_status(
    connection: sqlite3.Connection, context: Context, customer_id: str
) -> LimitStatus:
    accounts.require_customer(connection, customer_id)
    return limits.limit_status(connection, context, customer_id)


def _disburse(
    connection: sqlite3.Connection, context: Context, request: DisbursementRequest, lead_id: str
) -> Loan:
    return disbursement.disburse_loan(connection, context, lead_id, request)


def _swept_tasks(
    connection: sqlite3.Connection, context: Context, officer_id: str
) -> list[OfficerTask]:
    loans.sweep(connection, context)
    return tasks.list_officer_tasks(connection, officer_id)


def _swept_events(
    connection: sqlite3.Connection, context: Context, after: str | None, limit: int
) -> EventPage:
    loans.sweep(connection, context)
    sweep_offers(connection, context)
    return events.list_events(connection, after, limit)
