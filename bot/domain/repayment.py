"""Repaying a loan on a date: the payoff, installments, overdue, and partial prepayments.

Rules (the bank applies them, the bot shows them):

* On a date, an installment due before it is overdue; the current installment is the first
  one due on or after it. Interest of the current period is charged as accrued to the date
  (``Accrual.TO_THE_DAY``: the period's interest x days elapsed / days in the period, or with
  daily interest the period's balance x rate / days-in-year x days), or in full
  (``Accrual.FULL_PERIOD``: Fineract without interest recalculation). On a due date both give
  that installment's interest; later periods' interest is never charged.
* Payoff = overdue installments + penalty on them + principal not yet due + the current
  period's interest as above + the prepayment fee on principal repaid before its due date.
* Every payment settles the oldest overdue installment first, then the current one; within
  an installment penalty, then fees, then interest, then principal.
* A partial prepayment pays more than the current installment: the current installment is
  settled with interest to the date and takes the extra principal; the rest of its period's
  interest, on the lower balance, moves to the next installment. The remaining installments
  then either keep their number with lower amounts (``REDUCE_INSTALLMENT``) or keep their
  amount and end sooner (``REDUCE_TERM``: equal installments keep the installment, other
  methods keep each principal; the last is smaller). Lower installments: equal installments
  get the lowest equal installment, over the periods that repay principal, that leaves the
  last no larger (periods of principal grace stay interest only; the interest carried into
  the next period counts); manual amounts are scaled down in
  proportion; the other methods repay the lower balance in equal amounts over the periods
  that repaid principal, the last the cent rest (Fineract re-amortizing equal principal),
  none more than before. Interest of a remaining period is its old interest times
  new / old balance: never more than before.
* Penalty interest (罚息) accrues daily on overdue principal at the contract rate raised by
  ``penalty_uplift`` percent, from the due date (or the last payment) to the date.

Principal always sums to the loan; no balance ever rises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_DOWN, Context, Decimal
from enum import StrEnum

from bot.domain.loan_terms import InterestPeriod, RepaymentMethod, Rounding

ZERO = Decimal(0)
HUNDRED = Decimal(100)
RATE_DIGITS = 12  # as the schedule engine (Fineract's MathContext)


class Accrual(StrEnum):
    TO_THE_DAY = "to_the_day"
    FULL_PERIOD = "full_period"


class Prepayment(StrEnum):
    REDUCE_INSTALLMENT = "reduce_installment"  # 减少月供
    REDUCE_TERM = "reduce_term"  # 缩短期限


class PaymentKind(StrEnum):
    INSTALLMENT = "installment"
    OVERDUE = "overdue"
    PAYOFF = "payoff"
    PARTIAL = "partial"


@dataclass(frozen=True)
class RepaymentRules:
    """The product's settings: how interest to the day is counted, penalty interest
    (``penalty_uplift`` percent above the contract rate; None: none), the smallest extra
    principal a partial prepayment may repay, and the fee in percent of principal repaid
    before its due date."""

    accrual: Accrual = Accrual.TO_THE_DAY
    interest_period: InterestPeriod = InterestPeriod.SAME_AS_REPAYMENT
    days_in_year: int = 365
    rounding: Rounding = Rounding.HALF_EVEN
    currency_digits: int = 2
    installment_multiple: int | None = None
    penalty_uplift: Decimal | None = None
    minimum_prepayment: Decimal | None = None
    prepayment_fee_rate: Decimal = ZERO


@dataclass(frozen=True)
class Row:
    """An installment as the bank holds it: scheduled amounts, what is paid, and penalty
    accrued to ``penalty_from`` but not paid."""

    number: int
    due_date: date
    principal: Decimal
    interest: Decimal
    paid_principal: Decimal = ZERO
    paid_interest: Decimal = ZERO
    penalty_carried: Decimal = ZERO
    penalty_from: date | None = None

    @property
    def unpaid_principal(self) -> Decimal:
        return self.principal - self.paid_principal

    @property
    def unpaid_interest(self) -> Decimal:
        return self.interest - self.paid_interest

    @property
    def settled(self) -> bool:
        return not self.unpaid_principal and not self.unpaid_interest and not self.penalty_carried

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


@dataclass(frozen=True)
class LoanPosition:
    disbursed_on: date
    annual_rate: Decimal  # percent a year
    method: RepaymentMethod
    rows: tuple[Row, ...]
    rules: RepaymentRules = RepaymentRules()

    @property
    def outstanding_principal(self) -> Decimal:
        return sum((row.unpaid_principal for row in self.rows), ZERO)


class RepaymentErrorCode(StrEnum):
    BEFORE_DISBURSEMENT = "before_disbursement"  # on, disbursed_on
    NOTHING_OWED = "nothing_owed"
    NOT_POSITIVE = "not_positive"  # amount
    ABOVE_DUE = "above_due"  # amount, due: more than an installment or overdue payment takes
    NOT_ABOVE_DUE = "not_above_due"  # amount, due: a prepayment must pay more than is due
    NOT_BELOW_PAYOFF = "not_below_payoff"  # amount, payoff: a prepayment of it all is a payoff
    BELOW_MINIMUM = "below_minimum"  # amount, minimum: extra principal below the product's


class RepaymentError(ValueError):
    def __init__(self, code: RepaymentErrorCode, **params: Decimal | date) -> None:
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


@dataclass(frozen=True)
class PayoffQuote:
    on: date
    overdue: Decimal  # principal and interest of installments past due
    principal: Decimal  # not yet due
    interest: Decimal  # of the current period, to the date
    fees: Decimal
    penalty: Decimal

    @property
    def total(self) -> Decimal:
        return self.overdue + self.principal + self.interest + self.fees + self.penalty


@dataclass(frozen=True)
class Allocation:
    penalty: Decimal = ZERO
    fees: Decimal = ZERO
    interest: Decimal = ZERO
    principal: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.penalty + self.fees + self.interest + self.principal

    def __add__(self, other: Allocation) -> Allocation:
        return Allocation(
            self.penalty + other.penalty,
            self.fees + other.fees,
            self.interest + other.interest,
            self.principal + other.principal,
        )


@dataclass(frozen=True)
class PaymentResult:
    kind: PaymentKind
    allocation: Allocation
    rows: tuple[Row, ...]  # the schedule after the payment
    interest_saved: Decimal  # scheduled interest that will no longer be charged

    @property
    def closed(self) -> bool:
        return all(row.settled for row in self.rows)


# --- what is owed on a date -----------------------------------------------------------------


def payoff_quote(position: LoanPosition, on: date) -> PayoffQuote:
    """What closes the loan on ``on``."""
    book = _Book(position, on)
    overdue = book.overdue
    current = book.current_rows
    return PayoffQuote(
        on=on,
        overdue=sum((row.unpaid_principal + row.unpaid_interest for row in overdue), ZERO),
        principal=sum((row.unpaid_principal for row in current), ZERO),
        interest=book.interest_due_now,
        fees=book.fee(book.principal_before_due),
        penalty=sum(map(book.penalty, overdue), ZERO),
    )


def overdue_amount(position: LoanPosition, on: date) -> Decimal:
    """Overdue installments and their penalty."""
    book = _Book(position, on)
    return sum((book.owed(row) for row in book.overdue), ZERO)


def penalties(position: LoanPosition, on: date) -> tuple[Decimal, ...]:
    """Each installment's unpaid penalty interest on the date."""
    book = _Book(position, on)
    return tuple(map(book.penalty, position.rows))


def installment_amount(position: LoanPosition, on: date) -> Decimal:
    """What is due now: the overdue installments and the current one."""
    book = _Book(position, on)
    due = sum((book.owed(row) for row in book.overdue), ZERO)
    row = book.next_due
    return due if row is None else due + row.unpaid_principal + row.unpaid_interest


def repay(
    position: LoanPosition,
    on: date,
    kind: PaymentKind,
    amount: Decimal | None = None,
    prepayment: Prepayment = Prepayment.REDUCE_INSTALLMENT,
) -> PaymentResult:
    """Apply a payment of ``kind``. ``amount`` only for ``INSTALLMENT`` (at most what is due;
    default all of it) and ``PARTIAL`` (more than what is due, less than the payoff)."""
    book = _Book(position, on)
    if not position.outstanding_principal and not any(row.unpaid_interest for row in book.rows):
        raise RepaymentError(RepaymentErrorCode.NOTHING_OWED)
    if amount is not None and amount <= 0:
        raise RepaymentError(RepaymentErrorCode.NOT_POSITIVE, amount=amount)
    if kind is PaymentKind.PAYOFF:
        return book.pay_off()
    if kind is PaymentKind.PARTIAL:
        if amount is None:
            raise RepaymentError(RepaymentErrorCode.NOT_POSITIVE, amount=ZERO)
        return book.prepay(amount, prepayment)
    due = overdue_amount(position, on)
    if kind is PaymentKind.INSTALLMENT:
        due = installment_amount(position, on)
    if not due:
        raise RepaymentError(RepaymentErrorCode.NOTHING_OWED)
    if amount is not None and amount > due:
        raise RepaymentError(RepaymentErrorCode.ABOVE_DUE, amount=amount, due=due)
    return book.pay_in_order(due if amount is None else amount, kind)


def rows_of(schedule_rows: Iterable[tuple[int, date, Decimal, Decimal]]) -> tuple[Row, ...]:
    """Unpaid rows from (number, due date, principal, interest)."""
    return tuple(Row(*fields) for fields in schedule_rows)


# --- the arithmetic -------------------------------------------------------------------------


class _Book:
    """The position on one date, with its rounding."""

    def __init__(self, position: LoanPosition, on: date) -> None:
        if on < position.disbursed_on:
            raise RepaymentError(
                RepaymentErrorCode.BEFORE_DISBURSEMENT, on=on, disbursed_on=position.disbursed_on
            )
        self.position = position
        self.rules = position.rules
        self.on = on
        self.rows = position.rows
        self.quantum = Decimal(1).scaleb(-self.rules.currency_digits)
        self.mode = self.rules.rounding.decimal_mode
        self.overdue = tuple(r for r in self.rows if r.due_date < on and not r.settled)
        later = [index for index, row in enumerate(self.rows) if row.due_date >= on]
        self.current_index = later[0] if later else None
        self.current_rows = self.rows[later[0] :] if later else ()
        self._period_rates: dict[int, Decimal] = {}  # by installment number

    def round(self, amount: Decimal) -> Decimal:
        return amount.quantize(self.quantum, self.mode)

    @property
    def current(self) -> Row | None:
        """The installment whose period holds the date."""
        return self.current_rows[0] if self.current_rows else None

    @property
    def next_due(self) -> Row | None:
        """The first installment not yet due and not paid in advance."""
        return next((row for row in self.current_rows if not row.settled), None)

    # interest of the current period

    @property
    def accrued(self) -> Decimal:
        """Interest of the current period accrued by the date, as the product counts it."""
        row, index = self.current, self.current_index
        if row is None or index is None:
            return ZERO
        start = self.rows[index - 1].due_date if index else self.position.disbursed_on
        elapsed, length = (self.on - start).days, (row.due_date - start).days
        if elapsed <= 0:
            return ZERO
        if elapsed >= length or self.rules.accrual is Accrual.FULL_PERIOD:
            return row.interest
        if self.rules.interest_period is InterestPeriod.DAILY:
            balance = sum((r.unpaid_principal for r in self.current_rows), row.paid_principal)
            daily = self.position.annual_rate / HUNDRED / self.rules.days_in_year
            return min(row.interest, self.round(balance * daily * elapsed))
        return self.round(row.interest * elapsed / length)

    @property
    def interest_due_now(self) -> Decimal:
        row = self.current
        return ZERO if row is None else max(ZERO, self.accrued - row.paid_interest)

    # penalty and fees

    def penalty(self, row: Row) -> Decimal:
        uplift = self.rules.penalty_uplift
        if uplift is None or row.due_date >= self.on:
            return row.penalty_carried
        since = max(row.due_date, row.penalty_from or row.due_date)
        rate = (
            self.position.annual_rate * (1 + uplift / HUNDRED) / HUNDRED / self.rules.days_in_year
        )
        return row.penalty_carried + self.round(
            row.unpaid_principal * rate * (self.on - since).days
        )

    def interest_on(self, row: Row, balance: Decimal, old_balance: Decimal) -> Decimal:
        """A remaining installment's interest on a lower balance: the balance times the
        period's rate (flat interest: scaled), never more than it was."""
        if not balance:
            return ZERO
        if self.position.method is RepaymentMethod.FLAT:
            return self.round(row.unpaid_interest * min(balance / old_balance, Decimal(1)))
        return min(row.unpaid_interest, self.round(balance * self.period_rate(row)))

    def period_rate(self, row: Row) -> Decimal:
        """The rate of the row's period, to 12 significant digits as the schedule engine;
        worked out once per installment (re-amortizing walks the rows many times)."""
        rate = self._period_rates.get(row.number)
        if rate is None:
            rate = self._period_rates[row.number] = self._rate_of(row)
        return rate

    def _rate_of(self, row: Row) -> Decimal:
        index = self.rows.index(row)
        start = self.rows[index - 1].due_date if index else self.position.disbursed_on
        context = Context(prec=RATE_DIGITS, rounding=self.mode)
        if self.rules.interest_period is InterestPeriod.DAILY:
            yearly = context.divide(self.position.annual_rate, self.rules.days_in_year)
            daily = context.divide(yearly, HUNDRED)
            return context.multiply(daily, (row.due_date - start).days)
        months = (row.due_date.year - start.year) * 12 + row.due_date.month - start.month
        monthly = context.divide(context.divide(self.position.annual_rate, 12), HUNDRED)
        return monthly * max(months, 1)

    def owed(self, row: Row) -> Decimal:
        return self.penalty(row) + row.unpaid_interest + row.unpaid_principal

    @property
    def principal_before_due(self) -> Decimal:
        return sum((r.unpaid_principal for r in self.current_rows if r.due_date > self.on), ZERO)

    def fee(self, principal: Decimal) -> Decimal:
        return self.round(principal * self.rules.prepayment_fee_rate / HUNDRED)

    # payments

    def _settle_overdue(self, budget: Decimal) -> tuple[dict[int, Row], Allocation, Decimal]:
        """Pay overdue installments oldest first, penalty, interest, principal, from ``budget``;
        returns the changed rows, what was paid and what is left."""
        changed: dict[int, Row] = {}
        paid = Allocation()
        for row in self.overdue:
            penalty = self.penalty(row)
            to_penalty = min(budget, penalty)
            to_interest = min(budget - to_penalty, row.unpaid_interest)
            to_principal = min(budget - to_penalty - to_interest, row.unpaid_principal)
            budget -= to_penalty + to_interest + to_principal
            paid += Allocation(penalty=to_penalty, interest=to_interest, principal=to_principal)
            changed[row.number] = replace(
                row,
                paid_interest=row.paid_interest + to_interest,
                paid_principal=row.paid_principal + to_principal,
                penalty_carried=penalty - to_penalty,
                penalty_from=self.on if self.rules.penalty_uplift is not None else None,
            )
        return changed, paid, budget

    def _rows_with(self, changed: dict[int, Row]) -> tuple[Row, ...]:
        return tuple(changed.get(row.number, row) for row in self.rows)

    def pay_in_order(self, amount: Decimal, kind: PaymentKind) -> PaymentResult:
        changed, paid, budget = self._settle_overdue(amount)
        row = self.next_due
        if budget and row is not None:
            to_interest = min(budget, row.unpaid_interest)
            to_principal = min(budget - to_interest, row.unpaid_principal)
            paid += Allocation(interest=to_interest, principal=to_principal)
            changed[row.number] = replace(
                row,
                paid_interest=row.paid_interest + to_interest,
                paid_principal=row.paid_principal + to_principal,
            )
        return PaymentResult(kind, paid, self._rows_with(changed), ZERO)

    def pay_off(self) -> PaymentResult:
        changed, paid, _ = self._settle_overdue(sum(map(self.owed, self.overdue), ZERO))
        saved = ZERO
        fees = self.fee(self.principal_before_due)
        interest = self.interest_due_now
        for index, row in enumerate(self.current_rows):
            charged = row.paid_interest + (interest if index == 0 else ZERO)
            saved += row.interest - charged
            changed[row.number] = replace(
                row, interest=charged, paid_interest=charged, paid_principal=row.principal
            )
        principal = sum((row.unpaid_principal for row in self.current_rows), ZERO)
        paid += Allocation(fees=fees, interest=interest, principal=principal)
        return PaymentResult(PaymentKind.PAYOFF, paid, self._rows_with(changed), saved)

    def prepay(self, amount: Decimal, prepayment: Prepayment) -> PaymentResult:
        due = installment_amount(self.position, self.on)
        payoff = payoff_quote(self.position, self.on).total
        if amount <= due or self.current is None or len(self.current_rows) < 2:
            raise RepaymentError(RepaymentErrorCode.NOT_ABOVE_DUE, amount=amount, due=due)
        changed, paid, budget = self._settle_overdue(amount)
        current = self.current_rows[0]
        later = tuple(row for row in self.current_rows[1:] if not row.settled)
        interest = self.interest_due_now
        extra, fees = self._extra_principal(budget - interest - current.unpaid_principal, current)
        old_balance = sum((row.unpaid_principal for row in later), ZERO)
        if amount >= payoff or extra >= old_balance:
            raise RepaymentError(RepaymentErrorCode.NOT_BELOW_PAYOFF, amount=amount, payoff=payoff)
        if extra <= 0:  # all of it went to the fee
            raise RepaymentError(RepaymentErrorCode.NOT_ABOVE_DUE, amount=amount, due=due)
        minimum = self.rules.minimum_prepayment
        if minimum is not None and extra < minimum:
            raise RepaymentError(RepaymentErrorCode.BELOW_MINIMUM, amount=extra, minimum=minimum)
        charged = current.paid_interest + interest
        changed[current.number] = replace(
            current,
            principal=current.principal + extra,
            interest=charged,
            paid_principal=current.principal + extra,
            paid_interest=charged,
        )
        opening = old_balance + current.unpaid_principal
        carried = self.round((current.interest - charged) * (old_balance - extra) / opening)
        new_later = _reschedule(self, later, old_balance - extra, prepayment, carried)
        changed.update({row.number: row for row in new_later})
        dropped = {row.number for row in later} - {row.number for row in new_later}
        rows = tuple(changed.get(r.number, r) for r in self.rows if r.number not in dropped)
        old_interest = sum((row.interest for row in self.current_rows), ZERO)
        new_interest = charged + sum((row.interest for row in new_later), ZERO)
        paid += Allocation(fees=fees, interest=interest, principal=current.unpaid_principal + extra)
        return PaymentResult(PaymentKind.PARTIAL, paid, rows, old_interest - new_interest)

    def _extra_principal(self, budget: Decimal, current: Row) -> tuple[Decimal, Decimal]:
        """Split what is left after this period's dues into extra principal and its fee."""
        rate = self.rules.prepayment_fee_rate / HUNDRED
        if not rate:
            return budget, ZERO
        ahead = current.unpaid_principal if current.due_date > self.on else ZERO
        extra = ((budget - ahead * rate) / (1 + rate)).quantize(self.quantum, ROUND_DOWN)
        return extra, budget - extra


def _reschedule(
    book: _Book, rows: tuple[Row, ...], balance: Decimal, prepayment: Prepayment, carried: Decimal
) -> tuple[Row, ...]:
    """The remaining installments over the lower ``balance``; ``carried`` is interest of the
    current period moved to the first of them."""
    old_opening = _openings([row.unpaid_principal for row in rows])
    method = book.position.method
    if method is RepaymentMethod.EQUAL_INSTALLMENTS:
        totals = [row.unpaid_principal + row.unpaid_interest for row in rows]
        if prepayment is Prepayment.REDUCE_INSTALLMENT:  # principal grace stays interest only
            paying = [row.unpaid_principal > 0 for row in rows]
            totals = _levelled_totals(book, rows, balance, old_opening, carried, paying)
        new_opening = _paying_totals(book, rows, balance, old_opening, carried, totals)
    elif prepayment is Prepayment.REDUCE_INSTALLMENT:
        new_opening = _openings(_re_amortized(book, rows, balance))
    else:
        new_opening = _keeping_principal(rows, balance)
    result: list[Row] = []
    for index, row in enumerate(rows):
        if new_opening[index] <= 0:
            if row.paid_principal or row.paid_interest:  # what was paid stays on its row
                result.append(
                    replace(row, principal=row.paid_principal, interest=row.paid_interest)
                )
            continue
        following = new_opening[index + 1] if index + 1 < len(rows) else ZERO
        interest = book.interest_on(row, new_opening[index], old_opening[index])
        result.append(
            replace(
                row,
                principal=row.paid_principal + new_opening[index] - following,
                interest=row.paid_interest + interest + (carried if index == 0 else ZERO),
            )
        )
    return tuple(result)


def _re_amortized(book: _Book, rows: tuple[Row, ...], balance: Decimal) -> list[Decimal]:
    """The lower ``balance`` over the same installments, none repaying more principal than
    before and those that repaid none still repaying none: manual amounts keep their
    proportions; the other methods repay the same amount in each installment that repays
    principal, the last the rest (Fineract's equal principal re-amortized on the outstanding
    balance)."""
    owed = [row.unpaid_principal for row in rows]
    if book.position.method is RepaymentMethod.MANUAL:
        return _in_proportion(owed, balance, book.rules.currency_digits)
    return _levelled(owed, balance, book)


def _in_proportion(owed: list[Decimal], balance: Decimal, digits: int) -> list[Decimal]:
    """``balance`` shared in proportion to ``owed``, in whole cents: each share rounded down,
    the cents left over to the latest installments whose share lost a fraction."""
    cents = [int(amount.scaleb(digits)) for amount in owed]
    total, target = sum(cents), int(balance.scaleb(digits))
    shares = [amount * target // total for amount in cents]
    short = target - sum(shares)
    for index in reversed(range(len(cents))):
        if short and cents[index] * target % total:
            shares[index] += 1
            short -= 1
    return [Decimal(share).scaleb(-digits) for share in shares]


def _levelled(owed: list[Decimal], balance: Decimal, book: _Book) -> list[Decimal]:
    """``balance`` repaid in equal amounts by the installments that repay principal, the last
    the rest; an installment that owed less than that amount keeps what it owed."""
    shares = [ZERO] * len(owed)
    paying = [index for index, amount in enumerate(owed) if amount > 0]
    left = balance
    while capped := [index for index in paying if owed[index] < left / len(paying)]:
        for index in capped:
            shares[index] = owed[index]
        left -= sum((owed[index] for index in capped), ZERO)
        paying = [index for index in paying if index not in capped]
    *level, last = paying
    fixed = book.round(left / len(paying))
    if fixed * len(level) >= left:  # the last repays something: the end date stays
        fixed = (left / len(paying)).quantize(book.quantum, ROUND_DOWN)
    for index in level:
        shares[index] = fixed
    shares[last] = left - fixed * len(level)
    for index in reversed(level):  # rounding must not make the last repay more than it owed
        if shares[last] > owed[last] and shares[index] < owed[index]:
            shares[index] += book.quantum
            shares[last] -= book.quantum
    return shares


def _openings(principals: list[Decimal]) -> list[Decimal]:
    """The balance before each installment."""
    openings, left = [], sum(principals, ZERO)
    for principal in principals:
        openings.append(left)
        left -= principal
    return openings


def _levelled_totals(
    book: _Book,
    rows: tuple[Row, ...],
    balance: Decimal,
    old_opening: list[Decimal],
    carried: Decimal,
    paying: list[bool],
) -> list[Decimal]:
    """One total for every installment that repays principal: the lowest (in whole cents, or
    multiples of the product's installment multiple) that leaves the last installment no
    larger than the others, found by bisection over the rows themselves, so that their own
    dates and rates, the principal grace and the current period's carried interest all count
    (an annuity formula over the remaining months knows none of them)."""
    multiple = book.rules.installment_multiple
    unit = Decimal(multiple) if multiple else book.quantum

    def totals_of(units: int) -> list[Decimal]:
        return [unit * units if pays else ZERO for pays in paying]

    def fits(units: int) -> bool:
        openings = _paying_totals(book, rows, balance, old_opening, carried, totals_of(units))
        last = openings[-1] + book.interest_on(rows[-1], openings[-1], old_opening[-1])
        return last + (carried if len(rows) == 1 else ZERO) <= unit * units

    everything = balance + carried + sum((row.unpaid_interest for row in rows), ZERO)
    low, high = 0, int((everything / unit).to_integral_value(ROUND_CEILING))
    while low < high:  # fits(high): the first installment alone would repay everything
        middle = (low + high) // 2
        if fits(middle):
            high = middle
        else:
            low = middle + 1
    return totals_of(high)


def _paying_totals(
    book: _Book,
    rows: tuple[Row, ...],
    balance: Decimal,
    old_opening: list[Decimal],
    carried: Decimal,
    totals: list[Decimal],
) -> list[Decimal]:
    """The balance before each installment when each pays ``totals`` (interest first) until
    the balance is repaid; the last takes what is left."""
    openings: list[Decimal] = []
    left = balance
    for index, (row, total) in enumerate(zip(rows, totals, strict=True)):
        openings.append(left)
        interest = book.interest_on(row, left, old_opening[index])
        interest += carried if index == 0 else ZERO
        left = max(ZERO, left - max(ZERO, total - interest))
    return openings


def _keeping_principal(rows: tuple[Row, ...], balance: Decimal) -> list[Decimal]:
    """The balance before each installment when each keeps its principal until the lower
    balance is repaid."""
    openings: list[Decimal] = []
    left = balance
    for row in rows:
        openings.append(left)
        left = max(ZERO, left - row.unpaid_principal)
    return openings
