"""Amounts as people type them in a chat."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.amounts import AmountError, AmountErrorCode, parse_amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("50000", "50000"),
        ("5万", "50000"),
        ("5.5万", "55000"),
        ("5w", "50000"),
        ("5W", "50000"),
        ("50k", "50000"),
        ("2.5K", "2500"),
        ("3千", "3000"),
        ("50,000", "50000"),
        ("1,234,567", "1234567"),
        ("50,000.50", "50000.50"),
        ("50 000", "50000"),
        ("1234.5", "1234.50"),
        ("０.５万", "5000"),
        ("５０，０００", "50000"),
        ("５万", "50000"),
        ("¥50,000", "50000"),
        ("￥5万", "50000"),
        ("5万元", "50000"),
        ("  8000  ", "8000"),
        ("5 万", "50000"),
        ("0.01万", "100"),
        ("0", "0"),
        ("80к", "80000"),
        ("80 К", "80000"),
        ("50 тыс", "50000"),
        ("50 тыс.", "50000"),
        ("5,5 тыс", "5500"),
        ("1,5 млн", "1500000"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56\u00a0CN¥", "1234.56"),
        ("5,00", "5"),
        ("1.5m", "1500000"),
        ("1.5M", "1500000"),
        ("CN¥1,234.56", "1234.56"),
        ("2亿", "200000000"),
        ("88.8yuan", "88.80"),
    ],
)
def test_accepted_amounts(text: str, amount: str) -> None:
    parsed = parse_amount(text)
    assert parsed == Decimal(amount)
    assert str(parsed) == amount


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", AmountErrorCode.EMPTY),
        ("   ", AmountErrorCode.EMPTY),
        ("-5000", AmountErrorCode.NEGATIVE),
        ("−5000", AmountErrorCode.NEGATIVE),
        ("－5万", AmountErrorCode.NEGATIVE),
        ("5e4", AmountErrorCode.EXPONENT),
        ("1E5", AmountErrorCode.EXPONENT),
        ("1.5e+3", AmountErrorCode.EXPONENT),
        ("50000.123", AmountErrorCode.TOO_MANY_DECIMALS),
        ("0.0000001万", AmountErrorCode.TOO_MANY_DECIMALS),
        ("9" * 14, AmountErrorCode.TOO_LARGE),
        ("abc", AmountErrorCode.NOT_A_NUMBER),
        ("50,0000", AmountErrorCode.BAD_GROUPING),
        ("1.000,00", AmountErrorCode.BAD_GROUPING),
        ("1,234,56", AmountErrorCode.BAD_GROUPING),
        ("1,5555", AmountErrorCode.BAD_GROUPING),
        ("5..5", AmountErrorCode.NOT_A_NUMBER),
        ("5万万", AmountErrorCode.NOT_A_NUMBER),
        ("NaN", AmountErrorCode.NOT_A_NUMBER),
        ("Infinity", AmountErrorCode.NOT_A_NUMBER),
        ("five thousand", AmountErrorCode.NOT_A_NUMBER),
        ("1" * 50, AmountErrorCode.TOO_LARGE),
        ("x" * 50, AmountErrorCode.NOT_A_NUMBER),
        ("5 кг", AmountErrorCode.NOT_A_NUMBER),
    ],
)
def test_refused_amounts_say_why(text: str, code: AmountErrorCode) -> None:
    with pytest.raises(AmountError) as refused:
        parse_amount(text)
    assert refused.value.code is code
    assert refused.value.params["text"] == text


CENTS = st.integers(0, 10**13)


@given(CENTS)
def test_plain_and_grouped_forms_read_back(cents: int) -> None:
    amount = Decimal(cents) / 100
    assert parse_amount(f"{amount:.2f}") == amount
    assert parse_amount(f"{amount:,.2f}") == amount


@given(st.integers(0, 10**8), st.sampled_from(["万", "w", "W"]))
def test_wan_multiplies_by_ten_thousand(ten_thousandths: int, suffix: str) -> None:
    wan = Decimal(ten_thousandths) / 10**4
    assert parse_amount(f"{wan}{suffix}") == wan * 10_000


@given(CENTS)
def test_full_width_digits_read_like_ascii(cents: int) -> None:
    text = f"{Decimal(cents) / 100:.2f}"
    full_width = text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789."})
    assert parse_amount(full_width) == parse_amount(text)


@given(st.integers(1, 10**12))
def test_negatives_are_always_refused(amount: int) -> None:
    with pytest.raises(AmountError) as refused:
        parse_amount(f"-{amount}")
    assert refused.value.code is AmountErrorCode.NEGATIVE


@given(st.text(max_size=20))
def test_any_text_is_an_amount_or_a_typed_refusal(text: str) -> None:
    try:
        amount = parse_amount(text)
    except AmountError as error:
        assert error.code in AmountErrorCode
    else:
        assert amount >= 0
        assert amount == amount.quantize(Decimal("0.01"))


@given(st.integers(0, 10**11), st.sampled_from(["zh_Hans", "en", "ru"]))
def test_amounts_as_the_bot_shows_them_read_back(cents: int, locale: str) -> None:
    amount = Decimal(cents) / 100
    assert parse_amount(format_currency(amount, "CNY", locale=locale)) == amount
    assert parse_amount(format_decimal(amount, format="#,##0.00", locale=locale)) == amount


@given(
    st.decimals(min_value=0, max_value=10**6, places=2),
    st.sampled_from(
        [
            ("k", 1_000),
            ("к", 1_000),
            ("тыс", 1_000),
            ("тыс.", 1_000),
            ("千", 1_000),
            ("万", 10_000),
            ("w", 10_000),
            ("m", 10**6),
            ("млн", 10**6),
            ("", 1),
        ]
    ),
    st.sampled_from(["", " "]),
    st.booleans(),
)
def test_a_multiplier_applies_to_point_and_comma_decimals(
    number: Decimal, unit: tuple[str, int], space: str, comma: bool
) -> None:
    written = f"{number}".replace(".", ",") if comma else f"{number}"
    assert parse_amount(f"{written}{space}{unit[0]}") == number * unit[1]


@given(st.text(alphabet="0123456789.,- кКтысмлнkKmM万千wW¥元e", max_size=16))
def test_amount_like_text_is_an_amount_or_a_typed_refusal(text: str) -> None:
    try:
        parse_amount(text)
    except AmountError as error:
        assert error.code in AmountErrorCode
