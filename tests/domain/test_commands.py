"""The SMS-style command grammar: every command in its three vocabularies, amounts, errors,
and fuzzing: any text gives a command or a typed error, never an exception."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.amounts import AmountError, parse_amount
from bot.domain.commands import (
    Balance,
    Cancel,
    CommandError,
    Confirm,
    Help,
    KeywordStyle,
    Loans,
    Parsed,
    PayBill,
    Problem,
    Repay,
    Statement,
    TopUp,
    Transfer,
    Verb,
    keyword_of,
    parse_command,
)


def parsed(text: str, max_amount: Decimal = Decimal("1000000")) -> object:
    result = parse_command(text, max_amount=max_amount)
    assert isinstance(result, Parsed), result
    return result.command


def error(text: str, max_amount: Decimal = Decimal("1000000")) -> CommandError:
    result = parse_command(text, max_amount=max_amount)
    assert isinstance(result, CommandError), result
    return result


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("YE", Balance()),
        ("bal", Balance()),
        ("余额 1234", Balance("1234")),
        ("MX", Statement()),
        ("stmt 10", Statement(None, 10)),
        ("明细#1234#3", Statement("1234", 3)),
        ("ZZ 张三 100", Transfer("张三", Decimal("100.00"))),
        (
            "trf*6217000010001234*1,000.50*5678",
            Transfer("6217000010001234", Decimal("1000.50"), "5678"),
        ),
        ("转账　张三　１００元", Transfer("张三", Decimal("100.00"))),
        ("ＺＺ＃张三＃８８.８yuan", Transfer("张三", Decimal("88.80"))),
        ("zz 张三 100 元", Transfer("张三", Decimal("100.00"))),
        ("ZZ 张三 1万", Transfer("张三", Decimal("10000.00"))),
        ("ZZ 张三 1.5 万 元", Transfer("张三", Decimal("15000.00"))),
        ("ZZ 万 100", Transfer("万", Decimal("100.00"))),
        ("ZZ Иван 80к", Transfer("Иван", Decimal("80000.00"))),
        ("ZZ Иван 80 к 1234", Transfer("Иван", Decimal("80000.00"), "1234")),
        ("ZZ Иван 50 тыс.", Transfer("Иван", Decimal("50000.00"))),
        ("ZZ Иван 5,5 тыс", Transfer("Иван", Decimal("5500.00"))),
        ("ZZ Иван 10,50", Transfer("Иван", Decimal("10.50"))),
        ("TRF bob 50k", Transfer("bob", Decimal("50000.00"))),
        ("JF ELEC 1234567 236.5", PayBill("ELEC", "1234567", Decimal("236.50"))),
        ("缴费 电费 1234567 100", PayBill("ELEC", "1234567", Decimal("100.00"))),
        ("pay water 7654321 20CNY", PayBill("WATER", "7654321", Decimal("20.00"))),
        ("JF 燃气 1234567 30", PayBill("GAS", "1234567", Decimal("30.00"))),
        ("JF 话费 13800000001 50", PayBill("PHONE", "13800000001", Decimal("50.00"))),
        ("HK 500", Repay(Decimal("500.00"))),
        ("repay all", Repay(None)),
        ("还款 LN0001 全部", Repay(None, "LN0001")),
        ("hk ln0001 200", Repay(Decimal("200.00"), "LN0001")),
        ("CZ 50", TopUp(Decimal("50.00"))),
        ("topup 13900000011 100", TopUp(Decimal("100.00"), "+8613900000011")),
        ("充值 +8613900000011 100", TopUp(Decimal("100.00"), "+8613900000011")),
        ("DK", Loans()),
        ("loan", Loans()),
        ("贷款", Loans()),
        ("QR 123456", Confirm("123456")),
        ("ok １２３４５６", Confirm("123456")),
        ("确认 123456", Confirm("123456")),
        ("QX", Cancel()),
        ("cancel", Cancel()),
        ("取消", Cancel()),
        ("?", Help()),
        ("help zz", Help(Verb.TRANSFER)),
        ("帮助 还款", Help(Verb.REPAY)),
        ("  #YE#  ", Balance()),
    ],
)
def test_every_command_in_every_vocabulary(text: str, command: object) -> None:
    assert parsed(text) == command


def test_the_keyword_style_hints_at_the_language() -> None:
    assert parse_command("BAL") == Parsed(Balance(), KeywordStyle.ENGLISH)
    assert parse_command("余额") == Parsed(Balance(), KeywordStyle.CHINESE)
    assert parse_command("ye") == Parsed(Balance(), KeywordStyle.PINYIN)


def test_hk_never_means_remittance() -> None:
    assert error("汇款 张三 100").problem is Problem.UNKNOWN_COMMAND
    assert isinstance(parsed("HK 100"), Repay)


@pytest.mark.parametrize(
    ("text", "problem", "position"),
    [
        ("", Problem.EMPTY, 0),
        ("# * ", Problem.EMPTY, 0),
        ("XYZ 1", Problem.UNKNOWN_COMMAND, 0),
        ("ZZ 张三", Problem.MISSING_ARGUMENT, 2),
        ("ZZ", Problem.MISSING_ARGUMENT, 1),
        ("ZZ 张三 -100", Problem.NOT_POSITIVE, 2),
        ("ZZ 张三 0", Problem.NOT_POSITIVE, 2),
        ("ZZ 张三 1.234", Problem.TOO_MANY_DECIMALS, 2),
        ("ZZ 张三 1e5", Problem.EXPONENT, 2),
        ("ZZ 张三 1E+5", Problem.EXPONENT, 2),
        ("ZZ 张三 10,0000", Problem.BAD_THOUSANDS, 2),
        ("ZZ 张三 1.000,00", Problem.BAD_THOUSANDS, 2),
        ("ZZ 张三 abc", Problem.NOT_A_NUMBER, 2),
        ("ZZ 张三 " + "9" * 60, Problem.AMOUNT_TOO_LARGE, 2),
        ("ZZ 张三 100 12", Problem.BAD_ACCOUNT_DIGITS, 3),
        ("ZZ 张三 100 1234 5", Problem.TOO_MANY_ARGUMENTS, 4),
        ("YE 12", Problem.BAD_ACCOUNT_DIGITS, 1),
        ("MX 30", Problem.BAD_COUNT, 1),
        ("MX 1234 0", Problem.BAD_COUNT, 2),
        ("JF TV 1234567 10", Problem.UNKNOWN_BILLER, 1),
        ("JF ELEC 12ab 10", Problem.BAD_BILL_ACCOUNT, 2),
        ("CZ 12345 10", Problem.BAD_PHONE, 1),
        ("HK L@N 10", Problem.BAD_LOAN_REF, 1),
        ("QR 12345", Problem.BAD_CODE, 1),
        ("QR", Problem.MISSING_ARGUMENT, 1),
        ("QX now", Problem.TOO_MANY_ARGUMENTS, 1),
        ("HELP XYZ", Problem.UNKNOWN_COMMAND, 1),
    ],
)
def test_errors_name_the_problem_and_the_argument(
    text: str, problem: Problem, position: int
) -> None:
    found = error(text)
    assert (found.problem, found.position) == (problem, position)


def test_the_maximum_amount_is_configurable_and_reported() -> None:
    found = error("ZZ 张三 5000.01", max_amount=Decimal("5000"))
    assert found.problem is Problem.AMOUNT_TOO_LARGE
    assert found.limit == Decimal("5000")
    assert found.token == "5000.01"
    assert parsed("ZZ 张三 5000", max_amount=Decimal("5000")) == Transfer("张三", Decimal("5000"))


def test_keyword_of_is_a_cheap_first_word_check() -> None:
    assert keyword_of("ｚｚ＃张三＃1") == (Verb.TRANSFER, KeywordStyle.PINYIN)
    assert keyword_of("hello there") is None
    assert keyword_of("") is None
    assert keyword_of("1,000") is None


full_width = st.text(alphabet=st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E))
pieces = st.one_of(
    st.sampled_from(["ZZ", "转账", "JF", "HK", "CZ", "QR", "MX", "YE", "help", "电费", "ALL"]),
    st.sampled_from(["-5", "1.234", "1e9", "1,00", "1,000.00", "元", "CNY", "😀", "", "#"]),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    full_width,
    st.text(max_size=12),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(pieces, max_size=6), st.sampled_from([" ", "#", "＃", "*", "\u3000"]))
def test_fuzzed_commands_never_raise(parts: list[str], separator: str) -> None:
    result = parse_command(separator.join(parts))
    assert isinstance(result, Parsed | CommandError)
    keyword_of(separator.join(parts))


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_random_text_never_raises(text: str) -> None:
    assert isinstance(parse_command(text), Parsed | CommandError)


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999.99"), places=2))
def test_every_valid_amount_round_trips(amount: Decimal) -> None:
    assert parsed(f"ZZ 张三 {amount}") == Transfer("张三", amount)
    assert parsed(f"ZZ 张三 {amount:,}元") == Transfer("张三", amount)


AMOUNT_ALPHABET = "0123456789.,-кКтыс.млнkKmM万千亿wW¥元eE０５，．"
LIMIT = Decimal("1000000")


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet=AMOUNT_ALPHABET, min_size=1, max_size=14),
    st.sampled_from(["", " "]),
    st.sampled_from(["", "к", "тыс.", "млн", "万", "k", "元", "CNY", "кг"]),
)
def test_a_command_reads_an_amount_as_the_calculator_does(
    number: str, space: str, unit: str
) -> None:
    """The calculator and the application read amounts with `parse_amount`; a money command
    gives the same answer for the same text, a unit typed apart included ("80 к")."""
    text = f"{number}{space}{unit}"
    result = parse_command(f"ZZ 张三 {text}", max_amount=LIMIT)
    try:
        amount = parse_amount(text)
    except AmountError:
        assert isinstance(result, CommandError)
        return
    if 0 < amount <= LIMIT:
        assert result == Parsed(Transfer("张三", amount), KeywordStyle.PINYIN)
    else:
        assert isinstance(result, CommandError)
        assert result.problem in (Problem.NOT_POSITIVE, Problem.AMOUNT_TOO_LARGE)
