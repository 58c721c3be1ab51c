"""A merchant's loan pre-application, as the judgement reads it (pure: no I/O).

Money is Decimal in currency units, monthly figures per calendar month. Optional answers
the merchant skipped are zero (no debts, no credit card) or None where zero would mislead.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import phonenumbers
from phonenumbers import geocoder

ZERO = Decimal(0)


@dataclass(frozen=True)
class Place:
    """Where the business is: the bank's district, with its city and province."""

    district_code: str
    city: str
    province: str


@dataclass(frozen=True)
class CashFlow:
    daily_sales: Decimal  # an ordinary day
    last_month_sales: Decimal
    monthly_costs: Decimal  # goods, rent, wages, utilities
    household_spending: Decimal


@dataclass(frozen=True)
class Debts:
    monthly_payments: Decimal = ZERO  # other loans
    card_limit: Decimal = ZERO
    card_used: Decimal = ZERO


@dataclass(frozen=True)
class LoanRequest:
    amount: Decimal
    months: int
    plan_id: str


@dataclass(frozen=True)
class Application:
    consent: bool
    phone: str  # E.164
    place: Place
    months_operating: int
    cash_flow: CashFlow
    debts: Debts
    loan: LoanRequest
    has_guarantor: bool = False
    owns_home: bool = False


def phone_region(phone: str, language: str = "zh") -> str:
    """Where the number was issued, e.g. "四川省成都市"; empty when unknown."""
    try:
        number = phonenumbers.parse(phone)
    except phonenumbers.NumberParseException:
        return ""
    description: str = geocoder.description_for_number(number, language)
    return description


def normalized_phone(text: str, default_region: str = "CN") -> str | None:
    """The E.164 form of a valid phone number, or None."""
    candidates = [text] if text.startswith("+") else [text, "+" + text]
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, default_region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            formatted: str = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return formatted
    return None
