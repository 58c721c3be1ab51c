"""Lengths of time as people type them: loan terms and how long a business has run."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.terms import MAX_MONTHS, TermError, Unit, parse_months, parse_term

CHINESE = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九")


def chinese(number: int) -> str:
    """1 to 99 in Chinese numerals, as people write them (十二, 二十四)."""
    tens, units = divmod(number, 10)
    if tens == 0:
        return CHINESE[units]
    return ("" if tens == 1 else CHINESE[tens]) + "十" + CHINESE[units]


@pytest.mark.parametrize(
    ("text", "months"),
    [
        ("12", 12),
        ("12 months", 12),
        ("12 Months", 12),
        ("1 month", 1),
        ("12mo", 12),
        ("12个月", 12),
        ("12月", 12),
        ("１２个月", 12),
        ("一年", 12),
        ("两年", 24),
        ("十八个月", 18),
        ("半年", 6),
        ("一年半", 18),
        ("1 year", 12),
        ("1.5 years", 18),
        ("1 год", 12),
        ("2 года", 24),
        ("12 мес", 12),
        ("12 мес.", 12),
        ("6 месяцев", 6),
        ("полгода", 6),
    ],
)
def test_a_term_in_any_of_the_three_languages(text: str, months: int) -> None:
    assert parse_term(text) == months


@pytest.mark.parametrize(
    "text", ["", "abc", "twelve", "12 months months", "1.25 months", "²", "十十", "1e3", "-12"]
)
def test_what_is_not_a_term(text: str) -> None:
    with pytest.raises(TermError):
        parse_term(text)


def test_a_bare_number_is_read_in_the_callers_unit() -> None:
    assert parse_months("3", bare=Unit.YEARS) == 36
    assert parse_months("3", bare=Unit.MONTHS) == 3
    assert parse_months("8 months", bare=Unit.YEARS) == 8
    assert parse_months("0", bare=Unit.YEARS) == 0  # opened this month


TEMPLATES = ("{n}", "{n} months", "{n} month", "{n}mo", "{n}个月", "{n}月", "{n} мес",
             "{n} месяцев", " {n} ")  # fmt: skip


@given(months=st.integers(min_value=1, max_value=MAX_MONTHS), template=st.sampled_from(TEMPLATES))
def test_every_written_month_count_reads_back(months: int, template: str) -> None:
    assert parse_term(template.format(n=months)) == months


@given(
    years=st.integers(min_value=1, max_value=99),
    template=st.sampled_from(("{n} years", "{n}年", "{n} лет", "{n} y", "{c}年")),
)
def test_every_written_year_count_is_twelve_months_each(years: int, template: str) -> None:
    text = template.format(n=years, c=chinese(years))
    assert parse_term(text) == years * 12


@given(text=st.text(max_size=40))
def test_any_text_is_a_term_or_a_term_error(text: str) -> None:
    try:
        months = parse_term(text)
    except TermError:
        return
    assert 0 <= months <= MAX_MONTHS
