"""Whole numbers in Chinese numerals: as people type them, and as written out, read back."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.amounts import AmountError, AmountErrorCode, parse_amount
from bot.domain.chinese_numerals import chinese_number, parse_chinese_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("五万", 50_000), ("一万五", 15_000), ("三千", 3_000), ("两万五千", 25_000),
        ("两万五", 25_000), ("三千五", 3_500), ("一百五", 150), ("五百", 500), ("十", 10),
        ("十八", 18), ("十万", 100_000), ("一千零五十", 1_050), ("一万零五", 10_005),
        ("三千零五", 3_005), ("一亿", 100_000_000), ("九千九百九十九万九千九百九十九", 99_999_999),
    ],
)  # fmt: skip
def test_numbers_as_people_type_them(text: str, value: int) -> None:
    assert parse_chinese_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "万", "五五", "五零", "百", "一十百", "一百千", "一万一万", "五x"]
)
def test_what_is_not_a_number(text: str) -> None:
    assert parse_chinese_number(text) is None


@given(st.integers(min_value=1, max_value=99_999_999))
def test_written_out_numbers_read_back(value: int) -> None:
    assert parse_chinese_number(chinese_number(value)) == value
    assert parse_amount(chinese_number(value)) == Decimal(value)


@pytest.mark.parametrize(
    ("text", "amount"), [("五万", "50000"), ("一万五", "15000"), ("两万五千元", "25000"),
                         ("¥三千", "3000"), ("五百块", "500")],
)  # fmt: skip
def test_amounts_in_chinese_numerals(text: str, amount: str) -> None:
    assert parse_amount(text) == Decimal(amount)


def test_characters_that_are_no_number_are_refused_as_such() -> None:
    with pytest.raises(AmountError) as refused:
        parse_amount("五五万")
    assert refused.value.code is AmountErrorCode.NOT_A_NUMBER
