"""The bank contract's data: pydantic v2 models shared by every adapter and the REST API.

Money is Decimal yuan with 2 places. Account numbers appear only masked (last 4).
Phones and names of people are excluded from repr() so they stay out of logs.
"""

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    model_validator,
)

from integrations.bank.masking import mask_phone
from integrations.bank.money import round_fen

Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2), AfterValidator(round_fen)]
PositiveMoney = Annotated[
    Decimal, Field(gt=0, max_digits=14, decimal_places=2), AfterValidator(round_fen)
]
Phone = Annotated[str, Field(pattern=r"^\+[1-9][0-9]{6,14}$")]
Rate = Annotated[Decimal, Field(ge=0, lt=100, max_digits=7, decimal_places=4)]
Text = Annotated[str, Field(max_length=500)]


def _in_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("date out of range") from error


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_in_utc)]
Identifier = Annotated[str, Field(min_length=1, max_length=64)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- reference data -------------------------------------------------------------------


class RepaymentMethod(StrEnum):
    EQUAL_INSTALLMENT = "equal_installments"  # 按月等额本息 (ids as the bot's calculator)
    EQUAL_PRINCIPAL = "equal_principal"  # 按月等额本金
    MONTHLY_INTEREST_BULLET = "interest_only"  # 按月付息，到期还本
    BULLET = "bullet"  # 利随本清


class InterestAccrual(StrEnum):
    """How a payoff counts the current period's interest."""

    TO_THE_DAY = "to_the_day"  # the period's interest for the days elapsed
    FULL_PERIOD = "full_period"  # the period's interest in full


class RepaymentTerms(Model):
    """The product's rules for paying early: how the schedule's interest is counted, penalty
    interest on overdue principal (percent above the contract rate; none when absent), the
    smallest extra principal of a partial prepayment and its fee (percent of principal repaid
    before its due date)."""

    accrual: InterestAccrual = InterestAccrual.TO_THE_DAY
    interest_period: Literal["same_as_repayment", "daily"] = "same_as_repayment"
    days_in_year: Literal[365, 360] = 365
    rounding: Literal["half_even", "half_up"] = "half_up"
    penalty_uplift: Rate | None = None
    minimum_prepayment: Money | None = None
    prepayment_fee_rate: Rate = Decimal(0)


class LoanProduct(Model):
    code: str
    name: str
    min_amount: Money
    max_amount: Money
    min_term_months: int
    max_term_months: int
    annual_rate: Rate
    allowed_methods: list[RepaymentMethod]
    repayment: RepaymentTerms = RepaymentTerms()


class LocalizedName(Model):
    locale: str  # the bot's catalog locales: zh_Hans, en, ru
    name: str


BANK_LOCALE = "zh_Hans"  # the language of the bank's own names


class Named(Model):
    """Reference data shown by name: `name` in zh_Hans, the bank's own language, and the same
    name in other languages in `names` (a bank that sends none still works)."""

    name: str
    names: list[LocalizedName] = Field(default_factory=list)

    def name_in(self, locale: str) -> str:
        """The name in `locale`, else in zh_Hans."""
        return self.given_in(locale) or self.name

    def given_in(self, locale: str) -> str | None:
        """The name in `locale` where the bank gives one, else None."""
        if locale == BANK_LOCALE:
            return self.name
        return next((item.name for item in self.names if item.locale == locale), None)


class District(Named):
    code: str
    city: str
    province: str
    territory_code: str
    latitude: float
    longitude: float


class Industry(Named):
    code: str
    team_code: str


class Biller(Named):
    code: str
    bill_account_pattern: str


# --- people ---------------------------------------------------------------------------


class Customer(Model):
    id: str
    name: str = Field(repr=False)
    phone: Phone = Field(repr=False)
    district_code: str | None
    industry_code: str | None
    officer_id: str | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class StaffRole(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"


class Officer(Model):
    id: str
    staff_code: str
    name: str
    role: StaffRole
    territory_code: str
    industry_team_code: str
    on_duty: bool
    supervisor_id: str | None
    masked_phone: str


# --- accounts and money movements -------------------------------------------------------


class AccountType(StrEnum):
    CURRENT = "current"
    SAVINGS = "savings"


class AccountStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Account(Model):
    id: str
    masked_number: str
    type: AccountType
    currency: str
    available_balance: Money
    status: AccountStatus


class TransactionKind(StrEnum):
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    BILL_PAYMENT = "bill_payment"
    TOP_UP = "top_up"
    REPAYMENT = "repayment"
    DISBURSEMENT = "disbursement"


class Transaction(Model):
    id: str
    posted_at: AwareDatetime
    kind: TransactionKind
    amount: Money  # signed: negative leaves the account
    balance_after: Money
    description: str


class TransactionPage(Model):
    items: list[Transaction]
    next_cursor: str | None


class Payee(Model):
    id: str
    alias: str
    name: str
    masked_account: str


class PayeeCheck(Model):
    """M-Pesa's safeguard: the registered name behind a destination, shown before paying."""

    destination: str
    registered_name: str
    masked_account: str
    saved_alias: str | None
    first_payment: bool


class LimitKind(StrEnum):
    PER_TRANSACTION = "per_transaction"
    DAILY = "daily"
    MONTHLY = "monthly"
    NEW_PAYEE = "new_payee"


class LimitStatus(Model):
    per_transaction: Money
    new_payee_per_transaction: Money
    daily_remaining: Money
    monthly_remaining: Money


class TransferRequest(Request):
    customer_id: Identifier
    destination: Annotated[str, Field(min_length=1, max_length=40)]  # saved alias or number
    amount: PositiveMoney
    from_account_id: Identifier | None = None
    memo: Annotated[str, Field(max_length=60)] = ""


class BillPaymentRequest(Request):
    customer_id: Identifier
    biller_code: Annotated[str, Field(min_length=1, max_length=20)]
    bill_account: Annotated[str, Field(min_length=1, max_length=40)]
    amount: PositiveMoney
    from_account_id: Identifier | None = None


class TopUpRequest(Request):
    customer_id: Identifier
    phone: Phone = Field(repr=False)
    amount: PositiveMoney
    from_account_id: Identifier | None = None


class RepaymentKind(StrEnum):
    INSTALLMENT = "installment"  # what is due now: overdue installments and the next one
    OVERDUE = "overdue"  # the overdue installments only
    PAYOFF = "payoff"  # everything, with interest to the day (see the loan's payoff quote)
    PARTIAL = "partial"  # more than is due: extra principal, then a new schedule


class Prepayment(StrEnum):
    REDUCE_INSTALLMENT = "reduce_installment"  # same end date, lower installments
    REDUCE_TERM = "reduce_term"  # same installment, ends sooner


class RepaymentRequest(Request):
    """``amount``: at most what is due for an installment or overdue payment (default all of
    it); for a payoff, when given, exactly today's payoff; required for a partial prepayment,
    which also names its ``prepayment``."""

    customer_id: Identifier
    loan_id: Identifier
    kind: RepaymentKind = RepaymentKind.INSTALLMENT
    amount: PositiveMoney | None = None
    prepayment: Prepayment | None = None
    from_account_id: Identifier | None = None

    @model_validator(mode="after")
    def _partial_names_its_amount_and_kind(self) -> Self:
        partial = self.kind is RepaymentKind.PARTIAL
        if partial != (self.prepayment is not None) or (partial and self.amount is None):
            raise ValueError("a partial prepayment, and only it, has an amount and a prepayment")
        return self


class Allocation(Model):
    """How a repayment was applied, in this order."""

    penalty: Money
    fees: Money
    interest: Money
    principal: Money


class RepaymentOutcome(Model):
    kind: RepaymentKind
    prepayment: Prepayment | None = None
    allocation: Allocation
    interest_saved: Money
    loan_closed: bool
    schedule: list["Installment"]  # the loan's schedule after the payment


class Receipt(Model):
    id: str
    kind: TransactionKind
    amount: Money
    fee: Money
    posted_at: AwareDatetime
    from_masked_account: str
    counterparty: str  # payee name, biller and masked bill account, phone or loan reference
    balance_after: Money
    repayment: RepaymentOutcome | None = None  # for a loan repayment


class OperationKind(StrEnum):
    TRANSFER = "transfer"
    BILL_PAYMENT = "bill_payment"
    TOP_UP = "top_up"
    REPAYMENT = "repayment"


class OperationIntent(Request):
    """Exactly what a one-time code authorises (OWASP transaction authorization)."""

    customer_id: Identifier
    kind: OperationKind
    destination: Annotated[str, Field(min_length=1, max_length=80)]
    amount: PositiveMoney
    from_account_id: Identifier | None = None
    repayment: RepaymentKind | None = None  # a repayment's kind and prepayment, bound too
    prepayment: Prepayment | None = None


IdempotencyKey = Annotated[str, Field(pattern=r"^[!-~]{1,200}$")]


class OperationStatusQuery(Request):
    idempotency_key: IdempotencyKey


class OperationState(StrEnum):
    POSTED = "posted"  # with the receipt
    REFUSED = "refused"  # with the bank's problem document: nothing was posted
    UNKNOWN = "unknown"  # never posted; from now on the bank refuses this key


class Problem(BaseModel):
    """An RFC 7807 document as the bank sent it, extension members included."""

    model_config = ConfigDict(frozen=True, extra="allow")

    type: str
    title: str
    status: int
    detail: str
    code: str


class OperationStatus(Model):
    """What became of the money-moving call made with this idempotency key."""

    idempotency_key: str
    state: OperationState
    receipt: Receipt | None = None
    refusal: Problem | None = None


# --- loans --------------------------------------------------------------------------------


class LoanClassification(StrEnum):
    NORMAL = "normal"  # 正常
    SPECIAL_MENTION = "special_mention"  # 关注
    SUBSTANDARD = "substandard"  # 次级
    DOUBTFUL = "doubtful"  # 可疑
    LOSS = "loss"  # 损失

    @property
    def label_zh(self) -> str:
        return _CLASSIFICATION_ZH[self]


_CLASSIFICATION_ZH = {
    LoanClassification.NORMAL: "正常",
    LoanClassification.SPECIAL_MENTION: "关注",
    LoanClassification.SUBSTANDARD: "次级",
    LoanClassification.DOUBTFUL: "可疑",
    LoanClassification.LOSS: "损失",
}


class InstallmentStatus(StrEnum):
    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    UNPAID = "unpaid"
    OVERDUE = "overdue"


class Installment(Model):
    number: int
    due_date: date
    principal: Money
    interest: Money
    total: Money
    paid: Money
    status: InstallmentStatus
    paid_principal: Money = Decimal(0)
    paid_interest: Money = Decimal(0)
    penalty: Money = Decimal(0)  # penalty interest accrued to today, unpaid


class LoanStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class NextDue(Model):
    installment_number: int
    due_date: date
    amount: Money


class PayoffQuote(Model):
    """What closes the loan on ``on``; ``amount`` is the sum of the parts."""

    loan_id: str
    on: date
    amount: Money
    overdue: Money  # principal and interest of installments past due
    principal: Money  # not yet due
    interest: Money  # accrued to the date
    fees: Money
    penalty: Money


class Loan(Model):
    id: str
    customer_id: str
    officer_id: str | None
    product_code: str
    principal: Money
    annual_rate: Rate
    method: RepaymentMethod
    term_months: int
    disbursed_on: date
    status: LoanStatus
    outstanding_principal: Money
    payoff_amount: Money  # the payoff today
    next_due: NextDue | None
    days_overdue: int
    classification: LoanClassification
    masked_account: str
    schedule: list[Installment]


# --- leads -----------------------------------------------------------------------------------


class LeadStatus(StrEnum):
    ROUTED = "routed"  # offered to an officer, not yet claimed
    UNASSIGNED = "unassigned"  # nobody could take it: the supervisor's queue
    CLAIMED = "claimed"
    CONTACTED = "contacted"
    VISIT_BOOKED = "visit_booked"
    VISITED = "visited"
    COMMITTEE = "committee"
    APPROVED = "approved"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    DISBURSED = "disbursed"


OfficerSettableStatus = Literal[  # committee, approved, declined: only the credit committee
    LeadStatus.CONTACTED,
    LeadStatus.VISITED,
    LeadStatus.WITHDRAWN,
]


class LeadSubmission(Request):
    applicant_name: Annotated[str, Field(min_length=1, max_length=80, repr=False)]
    phone: Phone = Field(repr=False)
    district_code: Identifier
    industry_code: Identifier
    amount: PositiveMoney
    term_months: Annotated[int, Field(ge=1, le=360)]
    method: RepaymentMethod
    purpose: Text = ""
    referral_code: Annotated[str, Field(max_length=40)] | None = None
    score: Annotated[int, Field(ge=0, le=1000)] | None = None
    flags: Annotated[list[Annotated[str, Field(max_length=60)]], Field(max_length=30)] = []
    details: dict[str, Any] = Field(default_factory=dict, repr=False)


class Lead(Model):
    id: str
    status: LeadStatus
    submitted_at: AwareDatetime
    applicant_name: str = Field(repr=False)
    phone: Phone = Field(repr=False)
    customer_id: str | None
    district_code: str
    territory_code: str
    industry_code: str
    amount: Money
    term_months: int
    method: RepaymentMethod
    purpose: str
    referral_code: str | None
    score: int | None
    flags: list[str]
    details: dict[str, Any] = Field(repr=False)
    officer_id: str | None
    co_officer_id: str | None
    claimed_at: AwareDatetime | None
    visit_at: AwareDatetime | None
    passed_by: list[str]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def joint_investigation(self) -> bool:
        return self.co_officer_id is not None


class LeadEventKind(StrEnum):
    SUBMITTED = "submitted"
    ROUTED = "routed"
    CLAIMED = "claimed"
    PASSED = "passed"
    REASSIGNED = "reassigned"
    STATUS_CHANGED = "status_changed"
    NOTE = "note"
    VISIT_BOOKED = "visit_booked"
    DISBURSED = "disbursed"
    COMMITTEE_SENT = "committee_sent"
    COMMITTEE_VOTE = "committee_vote"
    COMMITTEE_QUESTION = "committee_question"
    COMMITTEE_ANSWER = "committee_answer"
    COMMITTEE_DECISION = "committee_decision"
    WORKSHEET_SAVED = "worksheet_saved"
    WORKSHEET_REVIEWED = "worksheet_reviewed"
    CHECKED_IN = "checked_in"
    EVIDENCE_ADDED = "evidence_added"
    SAME_FILE = "same_file"  # the same evidence file on another lead (a red flag)
    CHECKLIST_TICKED = "checklist_ticked"


class LeadEvent(Model):
    id: int
    lead_id: str
    at: AwareDatetime
    kind: LeadEventKind
    actor_id: str | None
    status: LeadStatus
    officer_id: str | None
    note: str


class ClaimRequest(Request):
    officer_id: Identifier


class PassRequest(Request):
    officer_id: Identifier
    reason: Annotated[str, Field(min_length=1, max_length=500)]


class ReassignRequest(Request):
    supervisor_id: Identifier
    officer_id: Identifier


class StatusUpdate(Request):
    officer_id: Identifier
    status: OfficerSettableStatus
    note: Text = ""


class LeadNote(Request):
    officer_id: Identifier
    note: Annotated[str, Field(min_length=1, max_length=500)]


class VisitBooking(Request):
    officer_id: Identifier
    at: UtcDatetime
    note: Text = ""


class DisbursementRequest(Request):
    officer_id: Identifier
    principal: PositiveMoney
    term_months: Annotated[int, Field(ge=1, le=360)]
    method: RepaymentMethod = RepaymentMethod.EQUAL_INSTALLMENT


# --- officer tasks ----------------------------------------------------------------------------


class TaskKind(StrEnum):
    FIRST_VISIT = "first_visit"
    MONTHLY_MONITORING = "monthly_monitoring"
    OVERDUE_FOLLOW_UP = "overdue_follow_up"


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


class OfficerTask(Model):
    id: str
    officer_id: str
    kind: TaskKind
    loan_id: str
    customer_id: str
    due_on: date
    status: TaskStatus
    note: str


class TaskCompletion(Request):
    officer_id: Identifier
    note: Text = ""


class TaskReschedule(Request):
    officer_id: Identifier
    due_on: date
    note: Text = ""


# --- binding and one-time codes -----------------------------------------------------------------


class BindingStart(Request):
    """Bind a chat user by the customer's phone or by an officer's staff code (one of them)."""

    chat_user_id: Annotated[int, Field(gt=0, lt=2**53)]
    phone: Phone | None = Field(default=None, repr=False)
    staff_code: Annotated[str, Field(min_length=1, max_length=40)] | None = None


class CodeChallenge(Model):
    id: str
    masked_phone: str
    expires_at: AwareDatetime
    attempts_left: int


class PayeeQuery(Request):
    destination: Annotated[str, Field(min_length=1, max_length=40)]


class CodeEntry(Request):
    code: Annotated[str, Field(max_length=20)]


class OperationCodeCheck(Request):
    code: Annotated[str, Field(max_length=20)]
    intent: OperationIntent


class BindingRole(StrEnum):
    CUSTOMER = "customer"
    OFFICER = "officer"
    SUPERVISOR = "supervisor"


class Binding(Model):
    chat_user_id: int
    role: BindingRole
    customer_id: str | None
    officer_id: str | None
    bound_at: AwareDatetime


# --- privacy ------------------------------------------------------------------------------------


class ConsentPurpose(StrEnum):
    LOAN_APPLICATION = "loan_application"
    CREDIT_BUREAU_CHECK = "credit_bureau_check"  # 征信授权
    MARKETING = "marketing"


class ConsentRequest(Request):
    phone: Phone = Field(repr=False)
    purposes: Annotated[list[ConsentPurpose], Field(min_length=1, max_length=3)]
    text_version: Annotated[str, Field(min_length=1, max_length=40)]
    chat_user_id: Annotated[int, Field(gt=0, lt=2**53)] | None = None


class Consent(Model):
    id: str
    masked_phone: str
    purposes: list[ConsentPurpose]
    text_version: str
    recorded_at: AwareDatetime


class PhoneQuery(Request):
    phone: Phone = Field(repr=False)


class RetainedRecord(StrEnum):
    """What the bank keeps after an erasure request because the law requires it; the bot
    words each in the customer's language."""

    CUSTOMER_RECORD = "customer_record"  # the customer, their accounts and the ledger
    CREDIT_FILE = "credit_file"  # applications that led to a loan


class DeletionReport(Model):
    deleted: list[str]
    retained: list[RetainedRecord]


# --- bank events ---------------------------------------------------------------------------


class PaymentPosted(Model):
    type: Literal["payment_posted"] = "payment_posted"
    id: str
    at: AwareDatetime
    customer_id: str
    receipt: Receipt


class PayoutNotice(Model):
    """放款通知: what the borrower is told when the money arrives."""

    loan_id: str
    amount: Money
    masked_account: str
    term_months: int
    annual_rate: Rate
    first_due_date: date
    first_installment: Money


class LoanDisbursed(Model):
    type: Literal["loan_disbursed"] = "loan_disbursed"
    id: str
    at: AwareDatetime
    customer_id: str
    officer_id: str | None
    lead_id: str | None
    notice: PayoutNotice


class LeadStatusChanged(Model):
    type: Literal["lead_status_changed"] = "lead_status_changed"
    id: str
    at: AwareDatetime
    lead_id: str
    status: LeadStatus
    officer_id: str | None
    co_officer_id: str | None
    note: str


class LoanDue(Model):
    type: Literal["loan_due"] = "loan_due"
    id: str
    at: AwareDatetime
    customer_id: str
    loan_id: str
    installment_number: int
    due_date: date
    amount: Money


class LoanOverdue(Model):
    type: Literal["loan_overdue"] = "loan_overdue"
    id: str
    at: AwareDatetime
    customer_id: str
    officer_id: str | None
    loan_id: str
    installment_number: int
    due_date: date
    amount: Money
    days_overdue: int
    classification: LoanClassification


class DeclineReason(StrEnum):
    """Why a credit committee declined; the merchant hears it in words, never as a code."""

    REPAYMENT_CAPACITY = "repayment_capacity"
    UNVERIFIED_INFORMATION = "unverified_information"
    DEBT_TOO_HIGH = "debt_too_high"
    CREDIT_HISTORY = "credit_history"
    BUSINESS_TOO_YOUNG = "business_too_young"
    OTHER = "other"


from integrations.bank.offer_models import OfferExpired, OfferOpened  # noqa: E402

BankEvent = Annotated[
    PaymentPosted
    | LoanDisbursed
    | LeadStatusChanged
    | LoanDue
    | LoanOverdue
    | OfferOpened
    | OfferExpired,
    Field(discriminator="type"),
]


class EventPage(Model):
    events: list[BankEvent]
    next_cursor: str | None
