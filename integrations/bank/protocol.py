"""`BankAdapter`: everything the bot asks of a bank. A bank plugs in by implementing it.

Every method raises the typed errors of `integrations.bank.errors`; an adapter that cannot
reach its bank raises `BankUnavailable`. Money-moving calls and lead submission carry an
idempotency key: the same key with the same request returns the first result, the same key
with a different request raises `IdempotencyConflict`. When the answer to a payment is lost,
`operation_status(key)` tells what the bank did with it.
"""

from collections.abc import Sequence
from datetime import date
from typing import Protocol, runtime_checkable

from integrations.bank.committee_protocol import CommitteeOperations
from integrations.bank.fieldwork_protocol import FieldworkOperations
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
from integrations.bank.offer_protocol import OfferOperations
from integrations.bank.worksheet_protocol import WorksheetOperations


@runtime_checkable
class BankAdapter(
    FieldworkOperations, WorksheetOperations, CommitteeOperations, OfferOperations, Protocol
):
    # --- reference data ---
    async def list_products(self) -> list[LoanProduct]: ...

    async def list_districts(self) -> list[District]: ...

    async def list_industries(self) -> list[Industry]: ...

    async def list_billers(self) -> list[Biller]: ...

    # --- people and binding ---
    async def find_customer_by_phone(self, phone: str) -> Customer:
        """The customer registered with this E.164 phone; NotFound otherwise."""

    async def get_customer(self, customer_id: str) -> Customer: ...

    async def get_officer(self, officer_id: str) -> Officer: ...

    async def start_binding(self, request: BindingStart) -> CodeChallenge:
        """Send a 6-digit code by SMS to the registered phone of the customer or officer."""

    async def confirm_binding(self, challenge_id: str, code: str) -> Binding:
        """InvalidCode (attempts left), CodeExpired, or TooManyAttempts after 5 wrong codes."""

    async def get_binding(self, chat_user_id: int) -> Binding: ...

    async def unbind(self, chat_user_id: int) -> None: ...

    # --- accounts ---
    async def list_accounts(self, customer_id: str) -> list[Account]: ...

    async def list_transactions(
        self, customer_id: str, account_id: str, *, limit: int = 20, cursor: str | None = None
    ) -> TransactionPage:
        """Newest first; pass `next_cursor` back for the next page."""

    async def get_limits(self, customer_id: str) -> LimitStatus: ...

    # --- loans ---
    async def list_loans(self, customer_id: str) -> list[Loan]: ...

    async def get_loan(self, loan_id: str) -> Loan: ...

    async def get_loans(self, loan_ids: Sequence[str]) -> list[Loan]:
        """`get_loan` for many loans (a day's reminders), in their order; the ones the bank
        does not know are left out."""

    async def payoff_quote(self, loan_id: str, on: date | None = None) -> PayoffQuote:
        """What closes the loan on `on` (default today in the bank's time zone), in parts:
        overdue, principal, interest accrued to the date, fees, penalty. InvalidRequest for a
        date in the past or before the payout, InvalidState for a repaid loan."""

    # --- payments ---
    async def list_payees(self, customer_id: str) -> list[Payee]: ...

    async def check_payee(self, customer_id: str, destination: str) -> PayeeCheck:
        """The registered name behind a saved alias or an account number; UnknownPayee."""

    async def request_operation_code(self, intent: OperationIntent) -> CodeChallenge:
        """Send a code by SMS that authorises exactly this intent."""

    async def verify_operation_code(
        self, challenge_id: str, code: str, intent: OperationIntent
    ) -> None:
        """Consume the code; a different intent counts as a wrong code."""

    async def transfer(self, request: TransferRequest, *, idempotency_key: str) -> Receipt: ...

    async def pay_bill(self, request: BillPaymentRequest, *, idempotency_key: str) -> Receipt: ...

    async def top_up(self, request: TopUpRequest, *, idempotency_key: str) -> Receipt: ...

    async def repay_loan(self, request: RepaymentRequest, *, idempotency_key: str) -> Receipt:
        """The receipt carries how the payment was applied and the loan's new schedule."""

    async def operation_status(self, idempotency_key: str) -> OperationStatus:
        """What became of the transfer, bill, top-up or repayment sent with this key: posted
        (the receipt), refused (the problem), or unknown. Unknown is final: from this answer
        on, a payment with that key is refused (InvalidState) and posts nothing, so an answer
        lost on the way can never post after the bot said "not posted". A key used for
        something other than a payment is InvalidRequest."""

    # --- leads ---
    async def submit_lead(self, submission: LeadSubmission, *, idempotency_key: str) -> Lead:
        """Store and route the lead: existing officer, else territory, team and load."""

    async def get_lead(self, lead_id: str) -> Lead: ...

    async def list_lead_events(self, lead_id: str) -> list[LeadEvent]: ...

    async def list_officer_queue(self, officer_id: str) -> list[Lead]:
        """Open leads offered to, claimed by or co-investigated by the officer."""

    async def list_unclaimed_leads(self, supervisor_id: str) -> list[Lead]:
        """Leads in the supervisor's territories that nobody has claimed yet."""

    async def claim_lead(self, lead_id: str, officer_id: str) -> Lead:
        """Atomic: one winner; the others get AlreadyClaimed naming the winner."""

    async def pass_lead(self, lead_id: str, officer_id: str, reason: str) -> Lead: ...

    async def reassign_lead(self, lead_id: str, supervisor_id: str, officer_id: str) -> Lead: ...

    async def update_lead_status(self, lead_id: str, update: StatusUpdate) -> Lead: ...

    async def add_lead_note(self, lead_id: str, officer_id: str, note: str) -> Lead: ...

    async def book_visit(self, lead_id: str, booking: VisitBooking) -> Lead: ...

    async def disburse_loan(
        self, lead_id: str, request: DisbursementRequest, *, idempotency_key: str
    ) -> Loan:
        """Pay out an approved lead's loan and create the officer's post-loan tasks."""

    # --- officer tasks ---
    async def list_officer_tasks(self, officer_id: str) -> list[OfficerTask]:
        """Open tasks, earliest due first."""

    async def complete_task(self, task_id: str, officer_id: str, note: str) -> OfficerTask: ...

    async def reschedule_task(
        self, task_id: str, officer_id: str, due_on: date, note: str
    ) -> OfficerTask: ...

    # --- bank events ---
    async def list_events(self, *, after: str | None = None, limit: int = 100) -> EventPage:
        """Events after the cursor, oldest first; keep `next_cursor` for the next call."""

    # --- privacy ---
    async def record_consent(self, request: ConsentRequest) -> Consent: ...

    async def delete_person_data(self, phone: str) -> DeletionReport:
        """Erase what the law lets the bank erase; the report lists what was kept and why."""

    async def aclose(self) -> None: ...
