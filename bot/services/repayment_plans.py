"""What a repayment command means for one loan today: an installment, the payoff, or a partial
prepayment with the schedule it leaves (worked out with the product's rules, as the bank
will apply them), before the code is requested."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.domain import repayment as rules
from integrations.bank.models import Loan, PayoffQuote, Prepayment, RepaymentKind, RepaymentTerms
from integrations.bank.repayment_rules import position_of


@dataclass(frozen=True)
class LoanToday:
    """A loan with what pays it off today."""

    loan: Loan
    payoff: PayoffQuote

    @property
    def interest(self) -> Decimal:
        """The payoff's interest: accrued to today and that of overdue installments (the
        quote's overdue part is their principal and interest; fees and penalty are apart)."""
        payoff = self.payoff
        return payoff.amount - self.loan.outstanding_principal - payoff.fees - payoff.penalty


@dataclass(frozen=True)
class RepaymentPlan:
    kind: RepaymentKind
    amount: Decimal
    today: LoanToday
    prepayment: Prepayment | None = None
    result: rules.PaymentResult | None = None  # a prepayment's allocation and new schedule
    old_rows: tuple[rules.Row, ...] = ()
    minimum: Decimal | None = None


@dataclass(frozen=True)
class PrepaymentChoice:
    """A payment above what is due: which kind of prepayment, each with its schedule."""

    loan_id: str
    amount: Decimal
    options: tuple[RepaymentPlan, ...]


@dataclass(frozen=True)
class RepayOptions:
    """The amounts a merchant can repay with one press: this installment (with anything
    overdue), the overdue only (zero when nothing is), the payoff today."""

    loan_id: str
    installment: Decimal
    overdue: Decimal
    payoff: Decimal


def repay_options(today: LoanToday, terms: RepaymentTerms) -> RepayOptions:
    on = today.payoff.on
    position = position_of(today.loan, terms, on)
    return RepayOptions(
        today.loan.id,
        rules.installment_amount(position, on),
        rules.overdue_amount(position, on),
        today.payoff.amount,
    )


class PlanRefused(Exception):
    def __init__(self, owed: Decimal | None = None, minimum: Decimal | None = None) -> None:
        super().__init__("repayment refused")
        self.owed = owed  # more than the payoff
        self.minimum = minimum  # extra principal below the product's minimum


def plan_repayment(
    today: LoanToday,
    terms: RepaymentTerms,
    amount: Decimal | None,
    prepayment: Prepayment | None,
) -> RepaymentPlan | PrepaymentChoice:
    """HK ALL (no amount) pays off; up to what is due pays installments; above it, a partial
    prepayment of the kind chosen, or the choice."""
    payoff = today.payoff
    if amount is None or amount == payoff.amount:
        return RepaymentPlan(RepaymentKind.PAYOFF, payoff.amount, today)
    if amount > payoff.amount:
        raise PlanRefused(owed=payoff.amount)
    position = position_of(today.loan, terms, payoff.on)
    if amount <= rules.installment_amount(position, payoff.on):
        return RepaymentPlan(RepaymentKind.INSTALLMENT, amount, today)
    kinds = list(Prepayment) if prepayment is None else [prepayment]
    options = tuple(_prepayment(position, today, amount, kind) for kind in kinds)
    if prepayment is None:
        return PrepaymentChoice(today.loan.id, amount, options)
    return options[0]


def _prepayment(
    position: rules.LoanPosition, today: LoanToday, amount: Decimal, kind: Prepayment
) -> RepaymentPlan:
    payoff = today.payoff
    try:
        result = rules.repay(
            position, payoff.on, rules.PaymentKind.PARTIAL, amount, rules.Prepayment(kind.value)
        )
    except rules.RepaymentError as error:
        if error.code is rules.RepaymentErrorCode.BELOW_MINIMUM:
            raise PlanRefused(minimum=position.rules.minimum_prepayment) from None
        raise PlanRefused(owed=payoff.amount) from None
    return RepaymentPlan(
        RepaymentKind.PARTIAL,
        amount,
        today,
        kind,
        result,
        position.rows,
        position.rules.minimum_prepayment,
    )
