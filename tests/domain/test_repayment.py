"""Payoff, installments and partial prepayments: Fineract's reference cases and properties
for every method and option mix."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.domain.loan_terms import InterestPeriod, LoanTerms, RepaymentMethod, Rounding
from bot.domain.repayment import (
    Accrual,
    LoanPosition,
    PaymentKind,
    Prepayment,
    RepaymentError,
    RepaymentErrorCode,
    RepaymentRules,
    Row,
    installment_amount,
    overdue_amount,
    payoff_quote,
    repay,
    rows_of,
)
from bot.domain.schedule import ScheduleError, build_schedule

D = Decimal


def position_of(terms: LoanTerms, **settings: Any) -> LoanPosition:
    schedule = build_schedule(terms)
    rules = RepaymentRules(
        interest_period=terms.interest_period,
        days_in_year=terms.days_in_year,
        rounding=terms.rounding,
        currency_digits=terms.currency_digits,
        installment_multiple=terms.installment_multiple,
        **settings,
    )
    rows = rows_of((r.number, r.due_date, r.principal, r.interest) for r in schedule.installments)
    return LoanPosition(terms.start, terms.annual_rate, terms.method, rows, rules)


def paid_through(position: LoanPosition, count: int) -> LoanPosition:
    """The position after paying the first ``count`` installments on their due dates."""
    for row in position.rows[:count]:
        if row.settled:
            continue
        position = replace(
            position, rows=repay(position, row.due_date, PaymentKind.INSTALLMENT).rows
        )
    return position


# --- Fineract's own cases (fineract-e2e-tests-runner, features/Loan.feature and
# features/LoanRepayment.feature), numbers recomputed here with our engine ---


def fineract_small_loan(**settings: Any) -> LoanPosition:
    terms = LoanTerms(D(100), D(7), 6, RepaymentMethod.EQUAL_INSTALLMENTS, date(2024, 1, 1))
    return paid_through(position_of(terms, **settings), 1)


def test_fineract_early_pay_off_till_preclose_charges_interest_to_the_day() -> None:
    # Loan.feature "Early pay-off loan with interest, TILL_PRECLOSE product": after the first
    # installment, a pay-off on 15 Feb 2024 is 83.81 = principal 83.57 + interest 0.24.
    quote = payoff_quote(fineract_small_loan(), date(2024, 2, 15))
    assert (quote.principal, quote.interest, quote.total) == (D("83.57"), D("0.24"), D("83.81"))


def test_fineract_early_pay_off_till_rest_frequency_date_charges_the_period_in_full() -> None:
    # Loan.feature "Early pay-off loan with interest, TILL_REST_FREQUENCY_DATE product": the
    # same pay-off is 84.06 = 83.57 + the whole second period's interest 0.49.
    position = fineract_small_loan(accrual=Accrual.FULL_PERIOD)
    quote = payoff_quote(position, date(2024, 2, 15))
    assert (quote.interest, quote.total) == (D("0.49"), D("84.06"))
    result = repay(position, date(2024, 2, 15), PaymentKind.PAYOFF)
    assert result.closed
    assert (result.allocation.principal, result.allocation.interest) == (D("83.57"), D("0.49"))


def fineract_prepaid(prepayment: Prepayment) -> tuple[Row, ...]:
    """LoanRepayment.feature RP11 / RP12: 5000 at 12%, 6 months, daily interest, equal
    installments in multiples of 1; 1000 paid on 1 Dec 2022 and 2000 on 1 Jan 2023."""
    terms = LoanTerms(
        D(5000), D(12), 6, RepaymentMethod.EQUAL_INSTALLMENTS, date(2022, 11, 1),
        interest_period=InterestPeriod.DAILY, installment_multiple=1,
    )  # fmt: skip
    position = position_of(terms)
    for day, amount in ((date(2022, 12, 1), D(1000)), (date(2023, 1, 1), D(2000))):
        result = repay(position, day, PaymentKind.PARTIAL, amount, prepayment)
        position = replace(position, rows=result.rows)
    return position.rows


def columns(rows: tuple[Row, ...]) -> list[tuple[str, str]]:
    return [(str(row.principal), str(row.interest)) for row in rows]


def test_fineract_rp11_prepayment_reduces_the_number_of_installments() -> None:
    assert columns(fineract_prepaid(Prepayment.REDUCE_TERM)) == [
        ("950.68", "49.32"), ("1958.73", "41.27"), ("840.69", "21.31"), ("850.49", "11.51"),
        ("399.41", "4.07"),
    ]  # fmt: skip


def test_fineract_rp12_prepayment_reduces_the_installment_amount() -> None:
    assert columns(fineract_prepaid(Prepayment.REDUCE_INSTALLMENT)) == [
        ("950.68", "49.32"), ("1958.73", "41.27"), ("514.69", "21.31"), ("521.49", "14.51"),
        ("525.25", "10.75"), ("529.16", "5.22"),
    ]  # fmt: skip


# --- the rules on a plain loan ---


def twelve_months(**settings: Any) -> LoanPosition:
    terms = LoanTerms(D(30000), D(12), 12, RepaymentMethod.EQUAL_INSTALLMENTS, date(2026, 1, 10))
    return position_of(terms, **settings)


def test_payoff_early_in_the_term_is_principal_and_interest_to_the_day() -> None:
    position = paid_through(twelve_months(), 1)
    quote = payoff_quote(position, date(2026, 2, 20))  # 10 of the 28 days of period 2
    second = position.rows[1]
    assert quote.principal == position.outstanding_principal
    assert quote.interest == (second.interest * 10 / 28).quantize(D("0.01"))
    assert quote.total < sum(row.total for row in position.rows[1:])


def test_overdue_installments_come_first_and_carry_penalty_when_the_product_has_it() -> None:
    position = twelve_months(penalty_uplift=D(50))
    late = date(2026, 3, 20)  # installments 1 (38 days) and 2 (10 days) are overdue
    first, second = position.rows[0], position.rows[1]
    daily = D(12) * D("1.5") / 100 / 365
    penalties = [
        (first.principal * daily * 38).quantize(D("0.01")),
        (second.principal * daily * 10).quantize(D("0.01")),
    ]
    quote = payoff_quote(position, late)
    assert quote.penalty == sum(penalties)
    assert quote.overdue == first.total + second.total
    result = repay(position, late, PaymentKind.INSTALLMENT, D(10))
    assert result.rows[0].paid_interest == 0  # the payment went to the oldest penalty first
    assert result.rows[0].penalty_carried == penalties[0] - D(10)
    assert payoff_quote(replace(position, rows=result.rows), late).total == quote.total - D(10)
    without = replace(position, rules=RepaymentRules())
    assert overdue_amount(without, late) == first.total + second.total


def test_prepayment_fee_and_minimum_are_the_products() -> None:
    position = twelve_months(prepayment_fee_rate=D(1), minimum_prepayment=D(1000))
    on = date(2026, 1, 10) + timedelta(days=20)
    due = installment_amount(position, on)
    with pytest.raises(RepaymentError) as refused:
        repay(position, on, PaymentKind.PARTIAL, due + D(500), Prepayment.REDUCE_TERM)
    assert refused.value.code is RepaymentErrorCode.BELOW_MINIMUM
    result = repay(position, on, PaymentKind.PARTIAL, due + D(5000), Prepayment.REDUCE_TERM)
    # 1% of the principal repaid before its due date: this installment's and the extra
    assert abs(result.allocation.fees - result.allocation.principal / 100) <= D("0.02")
    assert result.allocation.total == due + D(5000)


def test_a_date_before_disbursement_is_refused() -> None:
    with pytest.raises(RepaymentError) as refused:
        payoff_quote(twelve_months(), date(2026, 1, 9))
    assert refused.value.code is RepaymentErrorCode.BEFORE_DISBURSEMENT


def test_a_prepayment_must_be_above_what_is_due_and_below_the_payoff() -> None:
    position = twelve_months()
    on = date(2026, 1, 20)
    due, payoff = installment_amount(position, on), payoff_quote(position, on).total
    for amount, code in (
        (due, RepaymentErrorCode.NOT_ABOVE_DUE),
        (payoff, RepaymentErrorCode.NOT_BELOW_PAYOFF),
    ):
        with pytest.raises(RepaymentError) as refused:
            repay(position, on, PaymentKind.PARTIAL, amount, Prepayment.REDUCE_TERM)
        assert refused.value.code is code
    with pytest.raises(RepaymentError) as refused:
        repay(position, on, PaymentKind.INSTALLMENT, due + D(1))
    assert refused.value.code is RepaymentErrorCode.ABOVE_DUE


# --- properties, every method and option mix ---


@st.composite
def loan_terms(draw: st.DrawFn) -> LoanTerms:
    method = draw(st.sampled_from(list(RepaymentMethod)))
    months = draw(st.integers(2, 36))
    periods = 1 if method is RepaymentMethod.BULLET else months
    principal = D(draw(st.integers(100_00, 10**8))) / 100
    start = draw(st.dates(date(2001, 1, 1), date(2080, 12, 31)))
    options: dict[str, Any] = {
        "interest_period": draw(st.sampled_from(list(InterestPeriod))),
        "days_in_year": draw(st.sampled_from([365, 360])),
        "rounding": draw(st.sampled_from(list(Rounding))),
    }
    if method is not RepaymentMethod.BULLET:
        options["grace_interest_payment"] = draw(st.integers(0, min(2, periods - 1)))
        options["grace_interest_free"] = draw(st.integers(0, min(2, periods - 1)))
        if draw(st.booleans()):
            options["first_due"] = start + timedelta(days=draw(st.integers(1, 59)))
    if method in {RepaymentMethod.EQUAL_INSTALLMENTS, RepaymentMethod.EQUAL_PRINCIPAL}:
        grace = draw(st.integers(0, min(2, periods - 1)))
        options["grace_principal"] = grace
        options["principal_every"] = draw(st.integers(1, min(3, periods - grace)))
    if method in {RepaymentMethod.EQUAL_INSTALLMENTS, RepaymentMethod.FLAT}:
        options["installment_multiple"] = draw(st.sampled_from([None, 1, 10]))
    if method is RepaymentMethod.MANUAL:
        cents = int(principal * 100)
        cuts = sorted(
            draw(st.lists(st.integers(0, cents - 1), min_size=months - 1, max_size=months - 1))
        )
        bounds = [0, *cuts, cents]
        options["manual_principal"] = tuple(D(b - a) / 100 for a, b in itertools.pairwise(bounds))
    rate = D(draw(st.integers(0, 3600))) / 100
    try:
        return LoanTerms(principal, rate, months, method, start, **options)
    except ScheduleError:
        assume(False)
        raise


@st.composite
def positions(draw: st.DrawFn) -> LoanPosition:
    terms = draw(loan_terms())
    try:
        build_schedule(terms)
    except ScheduleError:
        assume(False)
    settings: dict[str, Any] = {"accrual": draw(st.sampled_from(list(Accrual)))}
    if draw(st.booleans()):
        settings["penalty_uplift"] = D(draw(st.sampled_from([30, 50])))
    if draw(st.booleans()):
        settings["prepayment_fee_rate"] = D(draw(st.sampled_from([1, 3])))
    position = position_of(terms, **settings)
    return paid_through(position, draw(st.integers(0, len(position.rows) - 1)))


def a_date_in(draw: st.DrawFn, position: LoanPosition) -> date:
    last = position.rows[-1].due_date
    return draw(st.dates(position.disbursed_on, last + timedelta(days=40)))


PROPERTY = settings(max_examples=300, deadline=None)


@PROPERTY
@given(st.data())
def test_payoff_on_a_due_date_is_principal_plus_that_installments_interest(
    data: st.DataObject,
) -> None:
    position = data.draw(positions())
    unpaid = [row for row in position.rows if not row.settled]
    row = unpaid[0]
    quote = payoff_quote(
        replace(position, rules=replace(position.rules, prepayment_fee_rate=D(0))), row.due_date
    )
    assert quote.overdue == quote.penalty == quote.fees == 0
    assert quote.principal == position.outstanding_principal
    assert quote.interest == row.unpaid_interest
    assert quote.total <= sum(r.unpaid_principal + r.unpaid_interest for r in unpaid)


@PROPERTY
@given(st.data())
def test_payoff_interest_grows_within_a_period_and_never_reaches_later_periods(
    data: st.DataObject,
) -> None:
    position = data.draw(positions())
    first = next(row for row in position.rows if not row.settled)
    index = position.rows.index(first)
    start = position.rows[index - 1].due_date if index else position.disbursed_on
    days = sorted(
        data.draw(st.lists(st.integers(0, (first.due_date - start).days), min_size=2, max_size=4))
    )
    interests = [payoff_quote(position, start + timedelta(days=day)).interest for day in days]
    assert interests == sorted(interests)
    assert max(interests) <= first.unpaid_interest


@PROPERTY
@given(st.data())
def test_a_payoff_closes_the_loan_and_pays_exactly_the_quote(data: st.DataObject) -> None:
    position = data.draw(positions())
    on = a_date_in(data.draw, position)
    quote = payoff_quote(position, on)
    result = repay(position, on, PaymentKind.PAYOFF)
    assert result.closed
    assert result.allocation.total == quote.total
    assert result.allocation.principal == position.outstanding_principal
    assert sum(row.principal for row in result.rows) == sum(row.principal for row in position.rows)
    assert result.interest_saved >= 0
    assert payoff_quote(replace(position, rows=result.rows), on).total == 0


@PROPERTY
@given(st.data(), st.sampled_from(list(Prepayment)))
def test_partial_prepayments_keep_principal_exact_and_balances_falling(
    data: st.DataObject, prepayment: Prepayment
) -> None:
    position = data.draw(positions())
    on = a_date_in(data.draw, position)
    due, payoff = installment_amount(position, on), payoff_quote(position, on).total
    assume(payoff - due > D("0.02"))
    cents = data.draw(st.integers(int(due * 100) + 1, int(payoff * 100) - 1))
    amount = D(cents) / 100
    try:
        result = repay(position, on, PaymentKind.PARTIAL, amount, prepayment)
    except RepaymentError as error:
        assert error.code in {RepaymentErrorCode.NOT_ABOVE_DUE, RepaymentErrorCode.NOT_BELOW_PAYOFF}
        assume(False)
        raise
    assert result.allocation.total == amount
    assert sum(row.principal for row in result.rows) == sum(row.principal for row in position.rows)
    old = {row.number: row for row in position.rows}
    balance = sum(row.principal for row in result.rows)
    for row in result.rows:
        assert row.principal >= 0 and row.interest >= 0
        balance -= row.principal
        assert balance >= 0
    assert balance == 0
    later = [row for row in result.rows if row.due_date > on and not row.settled]
    assert all(
        row.interest <= old[row.number].interest + old_carried(position, on) for row in later
    )
    assert result.interest_saved >= 0
    assert len(result.rows) <= len(position.rows)
    assert not result.closed
    after = replace(position, rows=result.rows)
    assert payoff_quote(after, on).total < payoff
    assert after.outstanding_principal < position.outstanding_principal


def old_carried(position: LoanPosition, on: date) -> Decimal:
    """The current period's interest that a prepayment may move to the next installment."""
    current = next((row for row in position.rows if row.due_date >= on), None)
    return D(0) if current is None else current.interest


@PROPERTY
@given(st.data())
def test_any_payment_settles_the_oldest_overdue_installment_first(data: st.DataObject) -> None:
    position = data.draw(positions())
    unpaid = [row for row in position.rows if not row.settled]
    assume(len(unpaid) >= 2)
    on = unpaid[1].due_date + timedelta(days=data.draw(st.integers(1, 20)))
    owed = overdue_amount(position, on)
    cents = data.draw(st.integers(1, int(owed * 100)))
    result = repay(position, on, PaymentKind.INSTALLMENT, D(cents) / 100)
    after = {row.number: row for row in result.rows}
    oldest, next_one = after[unpaid[0].number], after[unpaid[1].number]
    if not oldest.settled:
        untouched = unpaid[1]
        assert (next_one.paid_principal, next_one.paid_interest) == (
            untouched.paid_principal,
            untouched.paid_interest,
        )
    assert result.allocation.total == D(cents) / 100


@PROPERTY
@given(st.data())
def test_the_full_period_rule_never_charges_less_and_agrees_on_due_dates(
    data: st.DataObject,
) -> None:
    position = data.draw(positions())
    on = a_date_in(data.draw, position)
    to_the_day = replace(position, rules=replace(position.rules, accrual=Accrual.TO_THE_DAY))
    full = replace(position, rules=replace(position.rules, accrual=Accrual.FULL_PERIOD))
    assert payoff_quote(full, on).total >= payoff_quote(to_the_day, on).total
    due = next((row.due_date for row in position.rows if row.due_date >= on), None)
    if due is not None:
        assert payoff_quote(full, due) == payoff_quote(to_the_day, due)


@PROPERTY
@given(st.data())
def test_lower_installments_re_amortize_the_rest_over_the_same_periods(
    data: st.DataObject,
) -> None:
    position = data.draw(positions())
    # equal installments: test_lower_equal_installments_stay_level_to_the_same_end below
    assume(position.method is not RepaymentMethod.EQUAL_INSTALLMENTS)
    on = a_date_in(data.draw, position)
    due, payoff = installment_amount(position, on), payoff_quote(position, on).total
    assume(payoff - due > D("0.02"))
    amount = D(data.draw(st.integers(int(due * 100) + 1, int(payoff * 100) - 1))) / 100
    try:
        result = repay(position, on, PaymentKind.PARTIAL, amount, Prepayment.REDUCE_INSTALLMENT)
    except RepaymentError as error:
        assert error.code in {RepaymentErrorCode.NOT_ABOVE_DUE, RepaymentErrorCode.NOT_BELOW_PAYOFF}
        assume(False)
        raise
    after = replace(position, rows=result.rows)
    assert after.outstanding_principal == position.outstanding_principal - (
        result.allocation.principal
    )
    assert result.rows[-1].due_date == position.rows[-1].due_date
    assert result.rows[-1].principal > 0
    current = next(row for row in position.rows if row.due_date >= on)
    later = [row for row in position.rows if row.due_date > current.due_date and not row.settled]
    new = {row.number: row for row in result.rows}
    carried = current.interest
    for row in later:
        assert new[row.number].total <= row.total + carried
        assert opening(result.rows, row.number) <= opening(position.rows, row.number)
        carried = D(0)


def opening(rows: tuple[Row, ...], number: int) -> Decimal:
    """The principal left before installment ``number``."""
    return sum((row.principal for row in rows if row.number >= number), D(0))


def test_equal_principal_re_amortizes_the_outstanding_over_the_remaining_periods() -> None:
    # Fineract (LoanApplicationTerms.updateFixedPrincipalAmount, REDUCE_EMI_AMOUNT): the new
    # fixed principal is the outstanding balance over the remaining principal periods
    # 10,000 over 12 months repays 833.33 a month and 833.37 last; 1,000 more with the second
    # installment leaves 7,333.34 over ten: 733.33 a month and the rest, 733.37, last.
    terms = LoanTerms(D(10000), D(12), 12, RepaymentMethod.EQUAL_PRINCIPAL, date(2026, 1, 10))
    position = paid_through(position_of(terms), 1)
    on = position.rows[1].due_date
    amount = installment_amount(position, on) + D(1000)
    result = repay(position, on, PaymentKind.PARTIAL, amount, Prepayment.REDUCE_INSTALLMENT)
    assert columns(result.rows[2:4]) == [("733.33", "73.33"), ("733.33", "66.00")]
    assert columns(result.rows[-1:]) == [("733.37", "7.33")]
    assert len(result.rows) == 12


def test_equal_installments_keep_their_principal_grace_after_lower_installments() -> None:
    # three months interest only, then equal installments: a prepayment in the first month
    # leaves months 2 and 3 interest only and lowers the installments after them
    terms = LoanTerms(
        D(30000), D(12), 12, RepaymentMethod.EQUAL_INSTALLMENTS, date(2026, 1, 10),
        grace_principal=3,
    )  # fmt: skip
    position = position_of(terms)
    on = date(2026, 1, 25)
    amount = installment_amount(position, on) + D(3000)
    result = repay(position, on, PaymentKind.PARTIAL, amount, Prepayment.REDUCE_INSTALLMENT)
    assert [row.principal for row in result.rows[1:3]] == [D(0), D(0)]
    before, after = position.rows[3:], result.rows[3:]
    assert len(after) == len(before) == 9
    assert all(new.total < old.total for new, old in zip(after[:-1], before[:-1], strict=True))
    assert len({row.total for row in after[:-1]}) == 1  # the same installment each month


@PROPERTY
@given(
    principal=st.integers(100_000, 50_000_000),
    rate=st.integers(100, 3600),
    months=st.integers(3, 36),
    start_day=st.integers(0, 27),
    paid=st.integers(0, 33),
    day_in_period=st.integers(0, 31),
    share=st.integers(1, 9_999),
)
def test_lower_equal_installments_stay_level_to_the_same_end(
    principal: int,
    rate: int,
    months: int,
    start_day: int,
    paid: int,
    day_in_period: int,
    share: int,
) -> None:
    """A prepayment with lower installments on an equal-installment loan, on any day of a
    period: the same last due date, no installment above the old one (the next one may add
    the interest carried from the current period), a balance that never rises. (The
    installment of an annuity over the remaining months made the last one larger, by up to
    thousands, when the current period's interest was carried.)"""
    start = date(2026, 1, 1) + timedelta(days=start_day)
    terms = LoanTerms(
        D(principal) / 100, D(rate) / 100, months, RepaymentMethod.EQUAL_INSTALLMENTS, start
    )
    paid = min(paid, months - 3)
    position = paid_through(position_of(terms), paid)
    period_start = position.rows[paid - 1].due_date if paid else start
    on = min(period_start + timedelta(days=day_in_period), position.rows[paid].due_date)
    due, payoff = installment_amount(position, on), payoff_quote(position, on).total
    assume(payoff - due > D("0.02"))
    amount = (due + (payoff - due) * share / 10_000).quantize(D("0.01"))
    assume(due < amount < payoff)
    current = next(row for row in position.rows if row.due_date >= on)
    later = [row for row in position.rows if row.due_date > current.due_date]
    # a yuan or more left a period: fewer cents than periods cannot keep both the end date
    # and a last installment no larger (Fineract, too, ends such a loan early)
    assume(payoff - amount >= len(later))
    result = repay(position, on, PaymentKind.PARTIAL, amount, Prepayment.REDUCE_INSTALLMENT)
    assert result.rows[-1].due_date == position.rows[-1].due_date
    installment = max(row.total for row in later)
    new = {row.number: row for row in result.rows}
    carried = current.interest
    for row in later:
        assert new[row.number].total <= installment + carried
        carried = D(0)
    balances = [opening(result.rows, row.number) for row in later]
    assert balances == sorted(balances, reverse=True)  # the balance never rises
