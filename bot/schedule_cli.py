"""`python -m bot schedule`: the loan calculator on the command line.

Every option is read as text and checked here, so that a bad value gives one localized line
on stderr and exit code 2. ``--json`` prints the schedule for machines; without it, an aligned
table in the chosen language.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from bot.config import SUPPORTED_LOCALES, SettingsError, load_settings
from bot.domain.amounts import AmountError, AmountErrorCode, parse_amount
from bot.domain.schedule import (
    InterestPeriod,
    LoanTerms,
    RepaymentMethod,
    Rounding,
    Schedule,
    ScheduleError,
    ScheduleErrorCode,
    build_schedule,
)
from bot.i18n import build_i18n

DEFAULT_LANGUAGE = "zh_Hans"
BAD_ARGUMENTS = 2
REQUIRED = ("principal", "annual_rate", "months", "start")
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")
_RATE = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?%?")
_Choice = TypeVar("_Choice", bound=StrEnum)


class CommandLineError(ValueError):
    """A bad option value, already worded for the user."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bot schedule``; values are checked by ``run``."""
    option = parser.add_argument
    option("--principal", help="loan amount, e.g. 100000, 10万 or 100k (required)")
    option("--annual-rate", help="nominal annual interest rate in percent, e.g. 12 (required)")
    option("--months", help="term in months (required)")
    option("--method", help=f"repayment method: {_choices(RepaymentMethod)}")
    option("--start", help="disbursement date, YYYY-MM-DD (required)")
    option("--first-due", help="first due date, YYYY-MM-DD (default: one month after start)")
    option(
        "--installment-multiple",
        help="round the equal installment to this multiple (flat too; other methods ignore it)",
    )
    option("--currency-digits", help="decimals of the currency: 2 (default) or 0")
    option("--amount-multiple", help="round every amount to this multiple, e.g. 100")
    option("--grace-principal", help="first K periods pay interest only")
    option("--principal-every", help="principal only every N-th period after the grace")
    option("--grace-interest-payment", help="interest of the first K periods billed after them")
    option("--grace-interest-free", help="no interest charged in the first K periods")
    option("--interest-period", help=f"interest per: {_choices(InterestPeriod)}")
    option("--days-in-year", help="365 (default) or 360, for daily interest")
    option("--rounding", help=f"rounding mode: {_choices(Rounding)}")
    option("--manual-principal", help="principal of every month, comma separated")
    option("--lang", help=f"language of the table: {', '.join(SUPPORTED_LOCALES)}")
    option("--json", action="store_true", help="print JSON instead of a table")


def run(args: argparse.Namespace) -> int:
    """Print the schedule of the options in ``args``; 0, or 2 after one line on stderr."""
    language = args.lang if args.lang in SUPPORTED_LOCALES else DEFAULT_LANGUAGE
    i18n = build_i18n(DEFAULT_LANGUAGE)
    with i18n.context(), i18n.use_locale(language):
        try:
            if args.lang is not None and args.lang not in SUPPORTED_LOCALES:
                raise _not_a_choice("--lang", args.lang, SUPPORTED_LOCALES)
            schedule = build_schedule(terms_from_arguments(args))
            currency = load_settings().currency
        except (CommandLineError, SettingsError) as error:
            return _refuse(str(error))
        except ScheduleError as error:
            return _refuse(describe_schedule_error(error))
        print(
            schedule_json(schedule) if args.json else schedule_table(schedule, currency, language)
        )
    return 0


def terms_from_arguments(args: argparse.Namespace) -> LoanTerms:
    """The loan terms the options describe; raises ``CommandLineError`` for unreadable values."""
    for name in REQUIRED:
        if getattr(args, name) is None:
            raise CommandLineError(_("{option} is required.").format(option=_flag(name)))

    def whole(name: str, default: int) -> int:
        text = getattr(args, name)
        return default if text is None else _whole_number(name, text)

    def multiple(name: str) -> int | None:
        text = getattr(args, name)
        return None if text is None else _whole_number(name, text)

    def choice(name: str, choices: type[_Choice], default: _Choice) -> _Choice:
        text = getattr(args, name)
        return default if text is None else _choice(name, text, choices)

    return LoanTerms(
        principal=_amount("principal", args.principal),
        annual_rate=_rate(args.annual_rate),
        months=_whole_number("months", args.months),
        method=choice("method", RepaymentMethod, RepaymentMethod.EQUAL_INSTALLMENTS),
        start=_date("start", args.start),
        first_due=None if args.first_due is None else _date("first_due", args.first_due),
        installment_multiple=multiple("installment_multiple"),
        currency_digits=whole("currency_digits", 2),
        amount_multiple=multiple("amount_multiple"),
        grace_principal=whole("grace_principal", 0),
        principal_every=whole("principal_every", 1),
        grace_interest_payment=whole("grace_interest_payment", 0),
        grace_interest_free=whole("grace_interest_free", 0),
        interest_period=choice("interest_period", InterestPeriod, InterestPeriod.SAME_AS_REPAYMENT),
        days_in_year=whole("days_in_year", 365),
        rounding=choice("rounding", Rounding, Rounding.HALF_EVEN),
        manual_principal=_manual_principal(args.manual_principal),
    )


def schedule_json(schedule: Schedule) -> str:
    """The ``--json`` output; the Mini App's /app/api/schedule answers the same text."""
    return json.dumps(schedule_document(schedule), ensure_ascii=False, indent=2)


def schedule_document(schedule: Schedule) -> dict[str, object]:
    """The schedule for machines: amounts as plain decimal strings in the currency's digits."""
    digits = schedule.terms.currency_digits
    installments = [
        {
            "number": row.number,
            "due_date": row.due_date.isoformat(),
            "principal": _plain(row.principal, digits),
            "interest": _plain(row.interest, digits),
            "total": _plain(row.total, digits),
            "balance": _plain(row.balance, digits),
        }
        for row in schedule.installments
    ]
    totals = {
        "principal": _plain(schedule.total_principal, digits),
        "interest": _plain(schedule.total_interest, digits),
        "total": _plain(schedule.total, digits),
    }
    return {
        "method": schedule.method.value,
        "installments": installments,
        "totals": totals,
        "apr": str(schedule.apr),
    }


def schedule_table(schedule: Schedule, currency: str, language: str) -> str:
    """The schedule as aligned text in ``language``: a title, the rows, totals and summary."""
    terms = schedule.terms
    digits = terms.currency_digits

    def money(amount: Decimal) -> str:
        return _money(amount, currency, digits, language)

    def number(amount: Decimal) -> str:
        return format_decimal(amount, format=_number_pattern(digits), locale=language)

    title = ngettext(
        "{method}: {principal} at {rate}% a year for {months} month from {start}",
        "{method}: {principal} at {rate}% a year for {months} months from {start}",
        terms.months,
    ).format(
        method=method_name(terms.method),
        principal=money(terms.principal),
        rate=format_decimal(terms.annual_rate, locale=language),
        months=terms.months,
        start=format_date(terms.start, format="medium", locale=language),
    )
    header = [_("No."), _("Due date"), _("Principal"), _("Interest"), _("Payment"), _("Balance")]
    rows = [
        [
            str(row.number),
            format_date(row.due_date, format="medium", locale=language),
            number(row.principal),
            number(row.interest),
            number(row.total),
            number(row.balance),
        ]
        for row in schedule.installments
    ]
    total_row = [
        _("Total"),
        "",
        number(schedule.total_principal),
        number(schedule.total_interest),
        number(schedule.total),
        "",
    ]
    summary = [
        _("Total interest: {amount}").format(amount=money(schedule.total_interest)),
        _("APR (from the cash flows): {apr}%").format(
            apr=format_decimal(schedule.apr, format="0.00", locale=language)
        ),
        _("Payments: first {first}, largest {largest}, last {last}").format(
            first=money(schedule.first_payment),
            largest=money(schedule.largest_payment),
            last=money(schedule.last_payment),
        ),
    ]
    return "\n".join([title, "", *_aligned([header, *rows, total_row]), "", *summary])


def method_name(method: RepaymentMethod) -> str:
    names = {
        RepaymentMethod.EQUAL_INSTALLMENTS: _("Equal installments"),
        RepaymentMethod.EQUAL_PRINCIPAL: _("Equal principal"),
        RepaymentMethod.INTEREST_ONLY: _("Interest only, principal at maturity"),
        RepaymentMethod.BULLET: _("Bullet: principal and interest at maturity"),
        RepaymentMethod.FLAT: _("Flat interest"),
        RepaymentMethod.MANUAL: _("Manual schedule"),
    }
    return names[method]


def describe_schedule_error(error: ScheduleError) -> str:
    """One localized sentence for a refused loan, from its code and params."""
    messages = {
        ScheduleErrorCode.PRINCIPAL_NOT_POSITIVE: _(
            "The loan amount must be more than zero, not {principal}."
        ),
        ScheduleErrorCode.PRINCIPAL_TOO_LARGE: _(
            "The loan amount {principal} is too large; the most is {maximum}."
        ),
        ScheduleErrorCode.PRINCIPAL_PRECISION: _(
            "The loan amount {principal} has more than {digits} decimals."
        ),
        ScheduleErrorCode.PRINCIPAL_NOT_MULTIPLE: _(
            "The loan amount {principal} must be a multiple of {multiple}."
        ),
        ScheduleErrorCode.RATE_OUT_OF_RANGE: _(
            "The annual rate must be between 0 and {maximum}%, not {rate}."
        ),
        ScheduleErrorCode.MONTHS_OUT_OF_RANGE: _(
            "The term must be between 1 and {maximum} months, not {months}."
        ),
        ScheduleErrorCode.CURRENCY_DIGITS_INVALID: _(
            "The currency digits must be between 0 and {maximum}, not {digits}."
        ),
        ScheduleErrorCode.MULTIPLE_NOT_POSITIVE: _(
            "{option} must be a positive whole number, not {value}."
        ),
        ScheduleErrorCode.DAYS_IN_YEAR_INVALID: _(
            "Days in the year must be 365 or 360, not {value}."
        ),
        ScheduleErrorCode.OPTION_OUT_OF_RANGE: _(
            "{option} must be between {minimum} and {maximum}, not {value}."
        ),
        ScheduleErrorCode.OPTION_NOT_SUPPORTED: _("{option} cannot be used with {method}."),
        ScheduleErrorCode.FIRST_DUE_OUT_OF_RANGE: _(
            "The first due date must be between {earliest} and {latest}, not {first_due}."
        ),
        ScheduleErrorCode.MANUAL_PRINCIPAL_COUNT: _(
            "The manual schedule needs {expected} principal amounts, one a month, not {given}."
        ),
        ScheduleErrorCode.MANUAL_PRINCIPAL_INVALID: _(
            "Principal amount {number} ({value}) must be between zero and the loan amount, "
            "in the currency's units."
        ),
        ScheduleErrorCode.MANUAL_PRINCIPAL_SUM: _(
            "The principal amounts add up to {given}, not to the loan amount {expected}."
        ),
        ScheduleErrorCode.MANUAL_PRINCIPAL_ENDS_EARLY: _(
            "The last principal amount must not be zero: the loan runs {months} months."
        ),
        ScheduleErrorCode.INSTALLMENT_BELOW_INTEREST: _(
            "Installment {number} ({installment}) does not cover its interest ({interest})."
        ),
    }
    params = {name: _param_text(name, value) for name, value in error.params.items()}
    return messages[error.code].format(**params)


def describe_amount_error(error: AmountError, option: str) -> str:
    """One localized sentence for an unreadable amount given for ``option``."""
    messages = {
        AmountErrorCode.EMPTY: _("{option}: no amount given. Example: 50000, 5万 or 50k."),
        AmountErrorCode.NEGATIVE: _("{option}: an amount cannot be negative ({text})."),
        AmountErrorCode.EXPONENT: _(
            "{option}: write the amount in digits, without an exponent ({text}). Example: 50000."
        ),
        AmountErrorCode.TOO_MANY_DECIMALS: _(
            "{option}: an amount has at most two decimals ({text}). Example: 50000.50."
        ),
        AmountErrorCode.TOO_LARGE: _("{option}: the amount is too large ({text})."),
        AmountErrorCode.BAD_GROUPING: _(
            "{option}: group thousands by three digits ({text}). Example: 50,000.50."
        ),
        AmountErrorCode.NOT_A_NUMBER: _(
            "{option}: {text} is not an amount. Example: 50000, 5万, 50k or 50,000.50."
        ),
    }
    return messages[error.code].format(option=option, text=error.params["text"])


def _refuse(message: str) -> int:
    print(" ".join(message.split()), file=sys.stderr)  # one line, whatever the user typed
    return BAD_ARGUMENTS


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _param_text(name: str, value: object) -> str:
    if name == "option" and isinstance(value, str):
        return _flag(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _whole_number(name: str, text: str) -> int:
    if not _WHOLE_NUMBER.fullmatch(text.strip()):
        message = _("{option} must be a whole number, not {value}.")
        raise CommandLineError(message.format(option=_flag(name), value=text))
    return int(text)


def _rate(text: str) -> Decimal:
    if not _RATE.fullmatch(text.strip()):
        message = _("{option} must be a number such as 12 or 10.5, not {value}.")
        raise CommandLineError(message.format(option=_flag("annual_rate"), value=text))
    return Decimal(text.strip().rstrip("%"))


def _amount(name: str, text: str) -> Decimal:
    try:
        return parse_amount(text)
    except AmountError as error:
        raise CommandLineError(describe_amount_error(error, _flag(name))) from None


def _date(name: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        message = _("{option} must be a date like 2026-01-15, not {value}.")
        raise CommandLineError(message.format(option=_flag(name), value=text)) from None


def _choice(name: str, text: str, choices: type[_Choice]) -> _Choice:
    try:
        return choices(text.strip())
    except ValueError:
        raise _not_a_choice(_flag(name), text, [choice.value for choice in choices]) from None


def _not_a_choice(option: str, text: str, choices: Sequence[str]) -> CommandLineError:
    message = _("{option} must be one of {choices}, not {value}.")
    return CommandLineError(message.format(option=option, choices=", ".join(choices), value=text))


def _manual_principal(text: str | None) -> tuple[Decimal, ...]:
    if text is None:
        return ()
    return tuple(_amount("manual_principal", part) for part in text.split(","))


def _choices(choices: type[StrEnum]) -> str:
    return "|".join(choice.value for choice in choices)


def _plain(amount: Decimal, digits: int) -> str:
    return format(amount.quantize(Decimal(1).scaleb(-digits)), "f")


def _number_pattern(digits: int) -> str:
    return "#,##0." + "0" * digits if digits else "#,##0"


def _money(amount: Decimal, currency: str, digits: int, language: str) -> str:
    """The amount with the currency sign placed as ``language`` does, with ``digits`` decimals."""
    standard = Locale.parse(language).currency_formats["standard"].pattern
    pattern = standard.replace("0.00", "0." + "0" * digits if digits else "0")
    return format_currency(amount, currency, format=pattern, locale=language, currency_digits=False)


def _aligned(table: list[list[str]]) -> list[str]:
    """Rows of cells padded to their column's width (wide CJK characters count twice); the
    first two columns left-aligned, amounts right-aligned."""
    widths = [max(_width(row[column]) for row in table) for column in range(len(table[0]))]
    lines = []
    for row in table:
        cells = [
            _pad(cell, width, left=column < 2)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _pad(text: str, width: int, *, left: bool) -> str:
    padding = " " * (width - _width(text))
    return text + padding if left else padding + text


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
