"""The bank's repayment contract in terms of the repayment rules (`bot.domain.repayment`):
the product's settings as rules, and a loan as the bank reports it as a position, so that a
quote or a prepayment can be worked out (and checked) from the loan alone."""

from __future__ import annotations

from datetime import date

from bot.domain.loan_terms import InterestPeriod, Rounding
from bot.domain.loan_terms import RepaymentMethod as Method
from bot.domain.repayment import Accrual, LoanPosition, RepaymentRules, Row
from integrations.bank.models import Installment, Loan, RepaymentTerms


def rules_of(terms: RepaymentTerms) -> RepaymentRules:
    return RepaymentRules(
        accrual=Accrual(terms.accrual.value),
        interest_period=InterestPeriod(terms.interest_period),
        days_in_year=terms.days_in_year,
        rounding=Rounding(terms.rounding),
        penalty_uplift=terms.penalty_uplift,
        minimum_prepayment=terms.minimum_prepayment,
        prepayment_fee_rate=terms.prepayment_fee_rate,
    )


def position_of(loan: Loan, terms: RepaymentTerms, today: date) -> LoanPosition:
    """The loan as reported on ``today`` (its penalties are accrued to that day)."""
    return LoanPosition(
        disbursed_on=loan.disbursed_on,
        annual_rate=loan.annual_rate,
        method=Method(loan.method.value),
        rows=tuple(_row(item, today) for item in loan.schedule),
        rules=rules_of(terms),
    )


def _row(item: Installment, today: date) -> Row:
    return Row(
        number=item.number,
        due_date=item.due_date,
        principal=item.principal,
        interest=item.interest,
        paid_principal=item.paid_principal,
        paid_interest=item.paid_interest,
        penalty_carried=item.penalty,
        penalty_from=today if item.penalty else None,
    )
