"""What a loan schedule is computed from: the terms, validated on construction.

The semantics follow Apache Fineract's cumulative schedule generator; see
``bot.domain.schedule`` for how each option shapes the installments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation
from enum import StrEnum
from itertools import accumulate, repeat
from operator import attrgetter, sub

from bot.domain.due_dates import add_months
from bot.domain.frozen import set_in_one_write

MAX_ANNUAL_RATE = Decimal(100)
MAX_MONTHS = 360
MAX_PRINCIPAL = Decimal(10) ** 12
MAX_CURRENCY_DIGITS = 4
DAYS_IN_YEAR_CHOICES = (365, 360)
LATEST_FIRST_DUE_MONTHS = 2


class RepaymentMethod(StrEnum):
    EQUAL_INSTALLMENTS = "equal_installments"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_ONLY = "interest_only"  # 按月付息，到期还本
    BULLET = "bullet"  # 利随本清
    FLAT = "flat"
    MANUAL = "manual"


class InterestPeriod(StrEnum):
    SAME_AS_REPAYMENT = "same_as_repayment"
    DAILY = "daily"


class Rounding(StrEnum):
    HALF_EVEN = "half_even"
    HALF_UP = "half_up"  # 四舍五入

    @property
    def decimal_mode(self) -> str:
        return ROUND_HALF_UP if self is Rounding.HALF_UP else ROUND_HALF_EVEN


# Members the hot paths compare with, bound to names once: on Python 3.11 every
# ``RepaymentMethod.BULLET`` is a call of ``EnumType.__getattr__`` (about 15 times the cost of a
# global name, measured), and building a schedule made about 20 of them.
_BULLET, _MANUAL = RepaymentMethod.BULLET, RepaymentMethod.MANUAL


class ScheduleErrorCode(StrEnum):
    """Why terms were refused; each code lists the params its message can use."""

    PRINCIPAL_NOT_POSITIVE = "principal_not_positive"  # principal
    PRINCIPAL_TOO_LARGE = "principal_too_large"  # principal, maximum
    PRINCIPAL_PRECISION = "principal_precision"  # principal, digits
    PRINCIPAL_NOT_MULTIPLE = "principal_not_multiple"  # principal, multiple
    RATE_OUT_OF_RANGE = "rate_out_of_range"  # rate, maximum
    MONTHS_OUT_OF_RANGE = "months_out_of_range"  # months, maximum
    CURRENCY_DIGITS_INVALID = "currency_digits_invalid"  # digits, maximum
    MULTIPLE_NOT_POSITIVE = "multiple_not_positive"  # option, value
    DAYS_IN_YEAR_INVALID = "days_in_year_invalid"  # value
    OPTION_OUT_OF_RANGE = "option_out_of_range"  # option, value, minimum, maximum
    OPTION_NOT_SUPPORTED = "option_not_supported"  # option, method
    FIRST_DUE_OUT_OF_RANGE = "first_due_out_of_range"  # first_due, earliest, latest
    MANUAL_PRINCIPAL_COUNT = "manual_principal_count"  # expected, given
    MANUAL_PRINCIPAL_INVALID = "manual_principal_invalid"  # number, value
    MANUAL_PRINCIPAL_SUM = "manual_principal_sum"  # expected, given
    MANUAL_PRINCIPAL_ENDS_EARLY = "manual_principal_ends_early"  # months
    INSTALLMENT_BELOW_INTEREST = "installment_below_interest"  # number, installment, interest


ParamValue = str | int | Decimal | date


class ScheduleError(ValueError):
    """Terms that cannot make a schedule; ``code`` and ``params`` let callers localize it."""

    def __init__(self, code: ScheduleErrorCode, **params: ParamValue) -> None:
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


_QUANTA = tuple(Decimal(1).scaleb(-digits) for digits in range(MAX_CURRENCY_DIGITS + 1))


class _Derived:
    """What validation computes that the schedule reuses, kept in slots that are not
    dataclass fields: equality, ``repr``, ``replace`` and ``asdict`` never see them (the
    fields themselves are in the instance's ``__dict__``, see ``set_in_one_write``)."""

    __slots__ = ("manual_opening",)
    # manual method: what is left to repay at the start of each month (validating the sum
    # computes it; the schedule's interest is charged on it)
    manual_opening: tuple[Decimal, ...]


@set_in_one_write
@dataclass(frozen=True)
class LoanTerms(_Derived):
    """A loan to schedule; invalid terms raise ``ScheduleError`` on construction.

    Money is Decimal in currency units (with at most ``currency_digits`` decimals, rewritten
    with exactly that many), ``annual_rate`` is the nominal rate in percent a year, ``start``
    the disbursement date. Options: ``first_due`` (default one period after ``start``),
    ``installment_multiple`` (round the equal installment, e.g. 1 or 100; accepted by every
    method, applied only to equal installments and flat interest, as in Fineract),
    ``amount_multiple`` (round every amount), ``grace_principal`` K (first K periods pay no
    principal), ``principal_every`` N, ``grace_interest_payment`` K (interest deferred),
    ``grace_interest_free`` K (no interest), ``interest_period``, ``days_in_year`` (for daily
    interest), ``rounding``, ``manual_principal`` (one amount per month, manual method only).
    """

    principal: Decimal
    annual_rate: Decimal
    months: int
    method: RepaymentMethod
    start: date
    first_due: date | None = None
    installment_multiple: int | None = None
    currency_digits: int = 2
    amount_multiple: int | None = None
    grace_principal: int = 0
    principal_every: int = 1
    grace_interest_payment: int = 0
    grace_interest_free: int = 0
    interest_period: InterestPeriod = InterestPeriod.SAME_AS_REPAYMENT
    days_in_year: int = 365
    rounding: Rounding = Rounding.HALF_EVEN
    manual_principal: tuple[Decimal, ...] = ()

    def __post_init__(self) -> None:
        """Validates the terms and writes the amounts with the currency's digits."""
        _check_scalars(self)
        principal = _checked_principal(self)
        if principal is not self.principal:
            object.__setattr__(self, "principal", principal)
        _check_method_options(self)
        graces = self.grace_principal or self.grace_interest_payment or self.grace_interest_free
        if graces or self.principal_every != 1:
            _check_option_ranges(self)
        if self.first_due is not None:
            _check_first_due(self.start, self.first_due)
        if self.method is _MANUAL:
            amounts, opening = _checked_manual_principal(self)
            if amounts is not self.manual_principal:
                object.__setattr__(self, "manual_principal", amounts)
            object.__setattr__(self, "manual_opening", opening)

    @property
    def periods(self) -> int:
        """Number of repayment periods: one for a bullet loan, one a month otherwise."""
        return 1 if self.method is _BULLET else self.months

    @property
    def months_per_period(self) -> int:
        return self.months if self.method is _BULLET else 1

    @property
    def quantum(self) -> Decimal:
        """The smallest amount of the currency, e.g. 0.01 for two digits."""
        return _QUANTA[self.currency_digits]


def _check_scalars(terms: LoanTerms) -> None:
    rate = terms.annual_rate
    if not (rate.is_finite() and 0 <= rate <= MAX_ANNUAL_RATE):
        raise ScheduleError(ScheduleErrorCode.RATE_OUT_OF_RANGE, rate=rate, maximum=MAX_ANNUAL_RATE)
    if not 1 <= terms.months <= MAX_MONTHS:
        raise ScheduleError(
            ScheduleErrorCode.MONTHS_OUT_OF_RANGE, months=terms.months, maximum=MAX_MONTHS
        )
    if not 0 <= terms.currency_digits <= MAX_CURRENCY_DIGITS:
        raise ScheduleError(
            ScheduleErrorCode.CURRENCY_DIGITS_INVALID,
            digits=terms.currency_digits,
            maximum=MAX_CURRENCY_DIGITS,
        )
    if terms.installment_multiple is not None or terms.amount_multiple is not None:
        _check_multiple("installment_multiple", terms.installment_multiple)
        _check_multiple("amount_multiple", terms.amount_multiple)
    if terms.days_in_year not in DAYS_IN_YEAR_CHOICES:
        raise ScheduleError(ScheduleErrorCode.DAYS_IN_YEAR_INVALID, value=terms.days_in_year)


def _check_multiple(option: str, value: int | None) -> None:
    if value is not None and value <= 0:
        raise ScheduleError(ScheduleErrorCode.MULTIPLE_NOT_POSITIVE, option=option, value=value)


def _checked_principal(terms: LoanTerms) -> Decimal:
    principal = terms.principal
    if not (principal.is_finite() and principal > 0):
        raise ScheduleError(ScheduleErrorCode.PRINCIPAL_NOT_POSITIVE, principal=principal)
    if principal > MAX_PRINCIPAL:
        raise ScheduleError(
            ScheduleErrorCode.PRINCIPAL_TOO_LARGE, principal=principal, maximum=MAX_PRINCIPAL
        )
    if principal.same_quantum(terms.quantum):  # written with the currency's digits already
        quantized = principal
    else:
        quantized = principal.quantize(terms.quantum)
        if principal != quantized:
            raise ScheduleError(
                ScheduleErrorCode.PRINCIPAL_PRECISION,
                principal=principal,
                digits=terms.currency_digits,
            )
    if terms.amount_multiple is not None and principal % terms.amount_multiple:
        raise ScheduleError(
            ScheduleErrorCode.PRINCIPAL_NOT_MULTIPLE,
            principal=principal,
            multiple=terms.amount_multiple,
        )
    return quantized


# ``installment_multiple`` is a product setting that every method accepts: like Fineract, only
# equal installments and flat interest apply it; the other methods' amounts ignore it.
_OPTION_DEFAULTS: dict[str, object] = {
    "grace_principal": 0,
    "principal_every": 1,
    "grace_interest_payment": 0,
    "grace_interest_free": 0,
    "first_due": None,
    "manual_principal": (),
}
_SUPPORTED_OPTIONS: dict[RepaymentMethod, set[str]] = {
    RepaymentMethod.EQUAL_INSTALLMENTS: set(_OPTION_DEFAULTS) - {"manual_principal"},
    RepaymentMethod.EQUAL_PRINCIPAL: set(_OPTION_DEFAULTS) - {"manual_principal"},
    RepaymentMethod.INTEREST_ONLY: {"grace_interest_payment", "grace_interest_free", "first_due"},
    RepaymentMethod.BULLET: set(),
    RepaymentMethod.FLAT: set(_OPTION_DEFAULTS) - {"manual_principal"},
    RepaymentMethod.MANUAL: {
        "grace_interest_payment",
        "grace_interest_free",
        "first_due",
        "manual_principal",
    },
}
_UNSUPPORTED_OPTIONS = {
    method: tuple(option for option in _OPTION_DEFAULTS if option not in supported)
    for method, supported in _SUPPORTED_OPTIONS.items()
}
# One C call reads every unsupported option ("method" too, so that it always gives a tuple): the
# loop below only says which option it was.
_UNSUPPORTED_AS_DEFAULTS = {
    method: (
        attrgetter(*options, "method"),
        (*(_OPTION_DEFAULTS[option] for option in options), method),
    )
    for method, options in _UNSUPPORTED_OPTIONS.items()
}


def _check_method_options(terms: LoanTerms) -> None:
    values, defaults = _UNSUPPORTED_AS_DEFAULTS[terms.method]
    if values(terms) == defaults:
        return
    for option in _UNSUPPORTED_OPTIONS[terms.method]:
        if getattr(terms, option) != _OPTION_DEFAULTS[option]:
            raise ScheduleError(
                ScheduleErrorCode.OPTION_NOT_SUPPORTED, option=option, method=terms.method.value
            )


def _check_option_ranges(terms: LoanTerms) -> None:
    last = terms.periods - 1
    _check_range("grace_principal", terms.grace_principal, 0, last)
    _check_range("grace_interest_payment", terms.grace_interest_payment, 0, last)
    _check_range("grace_interest_free", terms.grace_interest_free, 0, last)
    _check_range("principal_every", terms.principal_every, 1, terms.periods - terms.grace_principal)


def _check_range(option: str, value: int, minimum: int, maximum: int) -> None:
    if not minimum <= value <= maximum:
        raise ScheduleError(
            ScheduleErrorCode.OPTION_OUT_OF_RANGE,
            option=option,
            value=value,
            minimum=minimum,
            maximum=maximum,
        )


def _check_first_due(start: date, first_due: date) -> None:
    latest = add_months(start, LATEST_FIRST_DUE_MONTHS)
    if not start < first_due <= latest:
        raise ScheduleError(
            ScheduleErrorCode.FIRST_DUE_OUT_OF_RANGE,
            first_due=first_due,
            earliest=start + timedelta(days=1),
            latest=latest,
        )


def _checked_manual_principal(
    terms: LoanTerms,
) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...]]:
    """The amounts with the currency's digits and the balance at the start of each month."""
    amounts = terms.manual_principal
    if len(amounts) != terms.months:
        raise ScheduleError(
            ScheduleErrorCode.MANUAL_PRINCIPAL_COUNT, expected=terms.months, given=len(amounts)
        )
    fitting = _fitting_parts(amounts, terms)
    if fitting is not None:
        return fitting
    quantized = _quantized_parts(amounts, terms)
    if quantized is None:
        number, amount = next(
            (number, amount)
            for number, amount in enumerate(amounts, start=1)
            if _quantized_parts((amount,), terms) is None
        )
        raise ScheduleError(ScheduleErrorCode.MANUAL_PRINCIPAL_INVALID, number=number, value=amount)
    given = sum(quantized, Decimal(0))
    if given != terms.principal:
        raise ScheduleError(
            ScheduleErrorCode.MANUAL_PRINCIPAL_SUM, expected=terms.principal, given=given
        )
    if not quantized[-1]:
        raise ScheduleError(ScheduleErrorCode.MANUAL_PRINCIPAL_ENDS_EARLY, months=terms.months)
    return quantized, _opening_balances(quantized, terms.principal)


def _opening_balances(amounts: tuple[Decimal, ...], principal: Decimal) -> tuple[Decimal, ...]:
    return tuple(accumulate(amounts[:-1], sub, initial=principal))


_EXACT_QUANTIZE = Context(traps=[InvalidOperation, Inexact])


def _fitting_parts(
    amounts: tuple[Decimal, ...], terms: LoanTerms
) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...]] | None:
    """The amounts with the currency's digits and the opening balances when they make valid
    terms as they are (none negative and the sum the loan, so none above it: the last amount
    is what the others leave), else None: the checks below then say which rule fails. One pass
    fewer than them, for the usual case; the sum is the opening balances the schedule needs."""
    if terms.amount_multiple is not None:
        return None
    quantum = terms.quantum
    try:
        if all(map(quantum.same_quantum, amounts)):  # cheaper than rewriting them all
            quantized = amounts
        else:
            quantized = tuple(map(_EXACT_QUANTIZE.quantize, amounts, repeat(quantum)))
        # a sign, not a comparison: cheaper, and a negative zero only takes the longer checks
        if any(map(Decimal.is_signed, quantized)) or not quantized[-1]:
            return None
    except (InvalidOperation, Inexact):
        return None
    opening = _opening_balances(quantized, terms.principal)
    return (quantized, opening) if opening[-1] == quantized[-1] else None


def _quantized_parts(amounts: tuple[Decimal, ...], terms: LoanTerms) -> tuple[Decimal, ...] | None:
    """Manual principal amounts with the currency's digits, or None unless every one is
    between 0 and the loan, in the currency's units (and a multiple of ``amount_multiple``)."""
    quantum, exact = repeat(terms.quantum), repeat(_EXACT_QUANTIZE)
    try:
        quantized = tuple(map(Decimal.quantize, amounts, quantum, repeat(None), exact))
        if min(quantized) < 0 or max(quantized) > terms.principal:  # NaN raises here
            return None
    except (InvalidOperation, Inexact):
        return None
    multiple = terms.amount_multiple
    if multiple is not None and any(amount % multiple for amount in quantized):
        return None
    return quantized
