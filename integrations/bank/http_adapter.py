"""`HttpBankAdapter`: the BankAdapter that speaks the REST API (`rest_api.py`) through
`HttpTransport` (timeouts, safe retries, the breaker, typed errors)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date

from integrations.bank import models as m
from integrations.bank.committee_http import HttpCommittee
from integrations.bank.errors import NotFound
from integrations.bank.fieldwork_http import HttpFieldwork
from integrations.bank.http_transport import HttpTransport
from integrations.bank.http_transport import segment as _segment
from integrations.bank.offer_http import HttpOffers
from integrations.bank.worksheet_http import HttpWorksheets


class HttpBankAdapter(HttpFieldwork, HttpWorksheets, HttpCommittee, HttpOffers, HttpTransport):
    # --- reference data ----------------------------------------------------------------------

    async def list_products(self) -> list[m.LoanProduct]:
        return await self._get("/v1/products", list[m.LoanProduct])

    async def list_districts(self) -> list[m.District]:
        return await self._get("/v1/districts", list[m.District])

    async def list_industries(self) -> list[m.Industry]:
        return await self._get("/v1/industries", list[m.Industry])

    async def list_billers(self) -> list[m.Biller]:
        return await self._get("/v1/billers", list[m.Biller])

    # --- people and binding ------------------------------------------------------------------

    async def find_customer_by_phone(self, phone: str) -> m.Customer:
        query = m.PhoneQuery(phone=phone)
        return await self._post("/v1/customers/lookup", query, m.Customer, repeatable=True)

    async def get_customer(self, customer_id: str) -> m.Customer:
        return await self._get(f"/v1/customers/{_segment(customer_id)}", m.Customer)

    async def get_officer(self, officer_id: str) -> m.Officer:
        return await self._get(f"/v1/officers/{_segment(officer_id)}", m.Officer)

    async def start_binding(self, request: m.BindingStart) -> m.CodeChallenge:
        return await self._post("/v1/bindings/challenges", request, m.CodeChallenge)

    async def confirm_binding(self, challenge_id: str, code: str) -> m.Binding:
        path = f"/v1/bindings/challenges/{_segment(challenge_id)}/confirm"
        return await self._post(path, m.CodeEntry(code=code), m.Binding)

    async def get_binding(self, chat_user_id: int) -> m.Binding:
        return await self._get(f"/v1/bindings/{chat_user_id}", m.Binding)

    async def unbind(self, chat_user_id: int) -> None:
        await self._call("DELETE", f"/v1/bindings/{chat_user_id}", safe=True)

    # --- accounts and loans ------------------------------------------------------------------

    async def list_accounts(self, customer_id: str) -> list[m.Account]:
        return await self._get(f"/v1/customers/{_segment(customer_id)}/accounts", list[m.Account])

    async def list_transactions(
        self, customer_id: str, account_id: str, *, limit: int = 20, cursor: str | None = None
    ) -> m.TransactionPage:
        path = f"/v1/customers/{_segment(customer_id)}/accounts/{_segment(account_id)}/transactions"
        query = {"limit": str(limit)} | ({"cursor": cursor} if cursor is not None else {})
        return await self._get(path, m.TransactionPage, query)

    async def get_limits(self, customer_id: str) -> m.LimitStatus:
        return await self._get(f"/v1/customers/{_segment(customer_id)}/limits", m.LimitStatus)

    async def list_loans(self, customer_id: str) -> list[m.Loan]:
        return await self._get(f"/v1/customers/{_segment(customer_id)}/loans", list[m.Loan])

    async def get_loan(self, loan_id: str) -> m.Loan:
        return await self._get(f"/v1/loans/{_segment(loan_id)}", m.Loan)

    async def get_loans(self, loan_ids: Sequence[str]) -> list[m.Loan]:
        """The REST API has no batch route: one request per loan, all at once."""
        found = await asyncio.gather(*map(self.get_loan, loan_ids), return_exceptions=True)
        for answer in found:
            if isinstance(answer, BaseException) and not isinstance(answer, NotFound):
                raise answer
        return [loan for loan in found if isinstance(loan, m.Loan)]

    async def payoff_quote(self, loan_id: str, on: date | None = None) -> m.PayoffQuote:
        query = {} if on is None else {"on": on.isoformat()}
        path = f"/v1/loans/{_segment(loan_id)}/payoff-quote"
        return await self._get(path, m.PayoffQuote, query)

    # --- payments ----------------------------------------------------------------------------

    async def list_payees(self, customer_id: str) -> list[m.Payee]:
        return await self._get(f"/v1/customers/{_segment(customer_id)}/payees", list[m.Payee])

    async def check_payee(self, customer_id: str, destination: str) -> m.PayeeCheck:
        path = f"/v1/customers/{_segment(customer_id)}/payee-check"
        query = m.PayeeQuery(destination=destination)
        return await self._post(path, query, m.PayeeCheck, repeatable=True)

    async def request_operation_code(self, intent: m.OperationIntent) -> m.CodeChallenge:
        return await self._post("/v1/operation-codes", intent, m.CodeChallenge)

    async def verify_operation_code(
        self, challenge_id: str, code: str, intent: m.OperationIntent
    ) -> None:
        path = f"/v1/operation-codes/{_segment(challenge_id)}/verify"
        body = m.OperationCodeCheck(code=code, intent=intent)
        await self._call("POST", path, body=body, safe=False)

    async def transfer(self, request: m.TransferRequest, *, idempotency_key: str) -> m.Receipt:
        return await self._post(
            "/v1/transfers", request, m.Receipt, idempotency_key=idempotency_key
        )

    async def pay_bill(self, request: m.BillPaymentRequest, *, idempotency_key: str) -> m.Receipt:
        return await self._post(
            "/v1/bill-payments", request, m.Receipt, idempotency_key=idempotency_key
        )

    async def top_up(self, request: m.TopUpRequest, *, idempotency_key: str) -> m.Receipt:
        return await self._post("/v1/top-ups", request, m.Receipt, idempotency_key=idempotency_key)

    async def repay_loan(self, request: m.RepaymentRequest, *, idempotency_key: str) -> m.Receipt:
        return await self._post(
            "/v1/repayments", request, m.Receipt, idempotency_key=idempotency_key
        )

    async def operation_status(self, idempotency_key: str) -> m.OperationStatus:
        query = m.OperationStatusQuery(idempotency_key=idempotency_key)
        return await self._post("/v1/operations/status", query, m.OperationStatus, repeatable=True)

    # --- leads -------------------------------------------------------------------------------

    async def submit_lead(self, submission: m.LeadSubmission, *, idempotency_key: str) -> m.Lead:
        return await self._post("/v1/leads", submission, m.Lead, idempotency_key=idempotency_key)

    async def get_lead(self, lead_id: str) -> m.Lead:
        return await self._get(f"/v1/leads/{_segment(lead_id)}", m.Lead)

    async def list_lead_events(self, lead_id: str) -> list[m.LeadEvent]:
        return await self._get(f"/v1/leads/{_segment(lead_id)}/events", list[m.LeadEvent])

    async def list_officer_queue(self, officer_id: str) -> list[m.Lead]:
        return await self._get(f"/v1/officers/{_segment(officer_id)}/queue", list[m.Lead])

    async def list_unclaimed_leads(self, supervisor_id: str) -> list[m.Lead]:
        path = f"/v1/supervisors/{_segment(supervisor_id)}/unclaimed-leads"
        return await self._get(path, list[m.Lead])

    async def claim_lead(self, lead_id: str, officer_id: str) -> m.Lead:
        body = m.ClaimRequest(officer_id=officer_id)
        return await self._post(f"/v1/leads/{_segment(lead_id)}/claim", body, m.Lead)

    async def pass_lead(self, lead_id: str, officer_id: str, reason: str) -> m.Lead:
        body = m.PassRequest(officer_id=officer_id, reason=reason)
        return await self._post(f"/v1/leads/{_segment(lead_id)}/pass", body, m.Lead)

    async def reassign_lead(self, lead_id: str, supervisor_id: str, officer_id: str) -> m.Lead:
        body = m.ReassignRequest(supervisor_id=supervisor_id, officer_id=officer_id)
        return await self._post(f"/v1/leads/{_segment(lead_id)}/reassign", body, m.Lead)

    async def update_lead_status(self, lead_id: str, update: m.StatusUpdate) -> m.Lead:
        return await self._post(f"/v1/leads/{_segment(lead_id)}/status", update, m.Lead)

    async def add_lead_note(self, lead_id: str, officer_id: str, note: str) -> m.Lead:
        body = m.LeadNote(officer_id=officer_id, note=note)
        return await self._post(f"/v1/leads/{_segment(lead_id)}/notes", body, m.Lead)

    async def book_visit(self, lead_id: str, booking: m.VisitBooking) -> m.Lead:
        return await self._post(f"/v1/leads/{_segment(lead_id)}/visits", booking, m.Lead)

    async def disburse_loan(
        self, lead_id: str, request: m.DisbursementRequest, *, idempotency_key: str
    ) -> m.Loan:
        path = f"/v1/leads/{_segment(lead_id)}/disbursement"
        return await self._post(path, request, m.Loan, idempotency_key=idempotency_key)

    # --- officer tasks, events, privacy ------------------------------------------------------

    async def list_officer_tasks(self, officer_id: str) -> list[m.OfficerTask]:
        path = f"/v1/officers/{_segment(officer_id)}/tasks"
        return await self._get(path, list[m.OfficerTask])

    async def complete_task(self, task_id: str, officer_id: str, note: str) -> m.OfficerTask:
        body = m.TaskCompletion(officer_id=officer_id, note=note)
        return await self._post(f"/v1/tasks/{_segment(task_id)}/complete", body, m.OfficerTask)

    async def reschedule_task(
        self, task_id: str, officer_id: str, due_on: date, note: str
    ) -> m.OfficerTask:
        body = m.TaskReschedule(officer_id=officer_id, due_on=due_on, note=note)
        return await self._post(f"/v1/tasks/{_segment(task_id)}/reschedule", body, m.OfficerTask)

    async def list_events(self, *, after: str | None = None, limit: int = 100) -> m.EventPage:
        query = {"limit": str(limit)} | ({"after": after} if after is not None else {})
        return await self._get("/v1/events", m.EventPage, query)

    async def record_consent(self, request: m.ConsentRequest) -> m.Consent:
        return await self._post("/v1/consents", request, m.Consent)

    async def delete_person_data(self, phone: str) -> m.DeletionReport:
        query = m.PhoneQuery(phone=phone)
        return await self._post("/v1/data-deletions", query, m.DeletionReport, repeatable=True)
