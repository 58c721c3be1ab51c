"""The grammar of SMS-style money commands: one short line, typed in the chat or sent by SMS.

`COMMAND [ARG ...]`, separated by spaces (ASCII or ideographic), `#`, `＃` or `*`;
case-insensitive; full-width letters and digits read as ASCII. Every command has pinyin
initials, an English word and a Chinese name (`ZZ` / `TRF` / `转账`). `parse_command` never
raises: it returns a typed command or a `CommandError` naming the problem and the argument.
Amounts are read by `bot.domain.amounts.parse_amount`, as everywhere else ("1万", "80к"); a
unit typed apart joins its number ("80 к", "50 тыс.", "100 元").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.domain.amounts import FEN, AmountError, AmountErrorCode, is_amount_suffix, parse_amount
from bot.domain.repayment import Prepayment

DEFAULT_MAX_AMOUNT = Decimal("1000000")
DEFAULT_STATEMENT_SIZE = 5
MAX_STATEMENT_SIZE = 20
MAX_TEXT_LENGTH = 320
MAX_ALIAS_LENGTH = 40


class Verb(StrEnum):
    BALANCE = "balance"
    STATEMENT = "statement"
    TRANSFER = "transfer"
    PAY_BILL = "pay_bill"
    REPAY = "repay"
    TOP_UP = "top_up"
    LOANS = "loans"
    CONFIRM = "confirm"
    CANCEL = "cancel"
    HELP = "help"


class KeywordStyle(StrEnum):
    """Which vocabulary the command word came from: a hint at the sender's language."""

    PINYIN = "pinyin"
    ENGLISH = "english"
    CHINESE = "chinese"


MONEY_VERBS = frozenset({Verb.TRANSFER, Verb.PAY_BILL, Verb.REPAY, Verb.TOP_UP})

# verb: (pinyin initials, English word(s), Chinese)
KEYWORDS: dict[Verb, tuple[str, tuple[str, ...], str]] = {
    Verb.BALANCE: ("YE", ("BAL",), "余额"),
    Verb.STATEMENT: ("MX", ("STMT",), "明细"),
    Verb.TRANSFER: ("ZZ", ("TRF",), "转账"),
    Verb.PAY_BILL: ("JF", ("PAY",), "缴费"),
    Verb.REPAY: ("HK", ("REPAY",), "还款"),
    Verb.TOP_UP: ("CZ", ("TOPUP",), "充值"),
    Verb.LOANS: ("DK", ("LOAN",), "贷款"),
    Verb.CONFIRM: ("QR", ("OK",), "确认"),
    Verb.CANCEL: ("QX", ("CANCEL",), "取消"),
    Verb.HELP: ("?", ("HELP",), "帮助"),
}


def _keyword_table() -> dict[str, tuple[Verb, KeywordStyle]]:
    table: dict[str, tuple[Verb, KeywordStyle]] = {}
    for verb, (pinyin, english, chinese) in KEYWORDS.items():
        table[pinyin] = (verb, KeywordStyle.PINYIN)
        table[chinese] = (verb, KeywordStyle.CHINESE)
        for word in english:
            table[word] = (verb, KeywordStyle.ENGLISH)
    return table


KEYWORD_TABLE = _keyword_table()

BILLERS: dict[str, str] = {
    "ELEC": "ELEC", "电费": "ELEC", "DF": "ELEC",
    "WATER": "WATER", "水费": "WATER", "SF": "WATER",
    "GAS": "GAS", "燃气": "GAS", "煤气": "GAS", "RQ": "GAS",
    "PHONE": "PHONE", "话费": "PHONE", "HF": "PHONE",
}  # fmt: skip
ALL_WORDS = frozenset({"ALL", "全部", "QB"})
# after a repayment amount: how a prepayment above what is due changes the schedule
PREPAYMENT_WORDS: dict[str, Prepayment] = {
    "JG": Prepayment.REDUCE_INSTALLMENT, "减供": Prepayment.REDUCE_INSTALLMENT,
    "LOWER": Prepayment.REDUCE_INSTALLMENT,
    "SQ": Prepayment.REDUCE_TERM, "缩期": Prepayment.REDUCE_TERM,
    "SHORTER": Prepayment.REDUCE_TERM,
}  # fmt: skip

_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_SEPARATORS = re.compile(r"[\s#*]+")
_LAST4 = re.compile(r"[0-9]{4}")
_COUNT = re.compile(r"[0-9]{1,2}")
_CODE = re.compile(r"[0-9]{6}")
_BILL_ACCOUNT = re.compile(r"[0-9]{5,25}")
_CN_MOBILE = re.compile(r"1[0-9]{10}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_LOAN_REF = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")


class Problem(StrEnum):
    EMPTY = "empty"
    UNKNOWN_COMMAND = "unknown_command"
    MISSING_ARGUMENT = "missing_argument"
    TOO_MANY_ARGUMENTS = "too_many_arguments"
    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    TOO_MANY_DECIMALS = "too_many_decimals"
    EXPONENT = "exponent"
    BAD_THOUSANDS = "bad_thousands"
    AMOUNT_TOO_LARGE = "amount_too_large"
    BAD_ACCOUNT_DIGITS = "bad_account_digits"
    BAD_COUNT = "bad_count"
    BAD_CODE = "bad_code"
    UNKNOWN_BILLER = "unknown_biller"
    BAD_BILL_ACCOUNT = "bad_bill_account"
    BAD_PHONE = "bad_phone"
    BAD_LOAN_REF = "bad_loan_ref"
    BAD_PAYEE = "bad_payee"


@dataclass(frozen=True)
class CommandError:
    """What is wrong (`problem`), in which command, and where: `position` 0 is the command
    word, 1 the first argument; `token` is the offending text (empty when missing)."""

    problem: Problem
    verb: Verb | None = None
    position: int = 0
    token: str = ""
    limit: Decimal | None = None  # the maximum amount, for AMOUNT_TOO_LARGE


@dataclass(frozen=True)
class Balance:
    account_last4: str | None = None


@dataclass(frozen=True)
class Statement:
    account_last4: str | None = None
    count: int = DEFAULT_STATEMENT_SIZE


@dataclass(frozen=True)
class Transfer:
    payee: str
    amount: Decimal
    from_last4: str | None = None


@dataclass(frozen=True)
class PayBill:
    biller: str  # ELEC, WATER, GAS, PHONE
    bill_account: str
    amount: Decimal


@dataclass(frozen=True)
class Repay:
    amount: Decimal | None  # None: everything still owed (ALL)
    loan_ref: str | None = None
    prepayment: Prepayment | None = None  # for an amount above what is due


@dataclass(frozen=True)
class TopUp:
    amount: Decimal
    phone: str | None = None  # E.164; None: the customer's own number


@dataclass(frozen=True)
class Loans:
    pass


@dataclass(frozen=True)
class Confirm:
    code: str


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Help:
    topic: Verb | None = None


Command = Balance | Statement | Transfer | PayBill | Repay | TopUp | Loans | Confirm | Cancel | Help
MoneyCommand = Transfer | PayBill | Repay | TopUp


@dataclass(frozen=True)
class Parsed:
    command: Command
    style: KeywordStyle


def normalize(text: str) -> str:
    """Full-width ASCII forms and the ideographic space as their ASCII counterparts."""
    return text.translate(_FULL_WIDTH)


def tokens_of(text: str) -> list[str]:
    return [token for token in _SEPARATORS.split(normalize(text)) if token]


def keyword_of(text: str) -> tuple[Verb, KeywordStyle] | None:
    """The command word's verb and vocabulary, if the text starts with one (cheap check)."""
    stripped = normalize(text[:MAX_TEXT_LENGTH]).lstrip(" \t\r\n#*")
    first = _SEPARATORS.split(stripped, maxsplit=1)[0] if stripped else ""
    return KEYWORD_TABLE.get(first.upper())


def parse_command(text: str, *, max_amount: Decimal = DEFAULT_MAX_AMOUNT) -> Parsed | CommandError:
    if len(text) > MAX_TEXT_LENGTH:
        return CommandError(Problem.TOO_MANY_ARGUMENTS, token=text[:20])
    words = _merge_units(tokens_of(text))
    if not words:
        return CommandError(Problem.EMPTY)
    found = KEYWORD_TABLE.get(words[0].upper())
    if found is None:
        return CommandError(Problem.UNKNOWN_COMMAND, token=words[0])
    verb, style = found
    result = _ArgumentReader(verb, words[1:], max_amount).read()
    return result if isinstance(result, CommandError) else Parsed(result, style)


def _merge_units(words: list[str]) -> list[str]:
    """`100 元`, `80 к`, `50 тыс.` are one amount: a unit on its own joins the number before it."""
    merged: list[str] = []
    for word in words:
        if merged and _has_digit(merged[-1]) and is_amount_suffix(word):
            merged[-1] += word
        else:
            merged.append(word)
    return merged


def _has_digit(word: str) -> bool:
    return any(character.isdigit() for character in word)


class _Invalid(Exception):
    def __init__(self, error: CommandError) -> None:
        self.error = error


class _ArgumentReader:
    def __init__(self, verb: Verb, args: list[str], max_amount: Decimal) -> None:
        self.verb = verb
        self.args = args
        self.max_amount = max_amount

    def read(self) -> Command | CommandError:
        try:
            return _READERS[self.verb](self)
        except _Invalid as invalid:
            return invalid.error

    def fail(self, problem: Problem, position: int, limit: Decimal | None = None) -> _Invalid:
        token = self.args[position - 1] if 0 < position <= len(self.args) else ""
        return _Invalid(CommandError(problem, self.verb, position, token, limit))

    def expect(self, least: int, most: int) -> None:
        if len(self.args) < least:
            raise self.fail(Problem.MISSING_ARGUMENT, len(self.args) + 1)
        if len(self.args) > most:
            raise self.fail(Problem.TOO_MANY_ARGUMENTS, most + 1)

    def amount(self, position: int) -> Decimal:
        problem, value = read_amount(self.args[position - 1], self.max_amount)
        if problem is not None:
            limit = self.max_amount if problem is Problem.AMOUNT_TOO_LARGE else None
            raise self.fail(problem, position, limit)
        assert value is not None
        return value

    def matching(self, pattern: re.Pattern[str], position: int, problem: Problem) -> str:
        token = self.args[position - 1]
        if not pattern.fullmatch(token):
            raise self.fail(problem, position)
        return token

    def balance(self) -> Command:
        self.expect(0, 1)
        last4 = self.matching(_LAST4, 1, Problem.BAD_ACCOUNT_DIGITS) if self.args else None
        return Balance(last4)

    def statement(self) -> Command:
        self.expect(0, 2)
        if len(self.args) == 2:
            last4 = self.matching(_LAST4, 1, Problem.BAD_ACCOUNT_DIGITS)
            return Statement(last4, self.count(2))
        if self.args and _LAST4.fullmatch(self.args[0]):
            return Statement(self.args[0])
        return Statement(None, self.count(1)) if self.args else Statement()

    def count(self, position: int) -> int:
        token = self.matching(_COUNT, position, Problem.BAD_COUNT)
        if not 1 <= int(token) <= MAX_STATEMENT_SIZE:
            raise self.fail(Problem.BAD_COUNT, position)
        return int(token)

    def transfer(self) -> Command:
        self.expect(2, 3)
        payee = self.args[0]
        if len(payee) > MAX_ALIAS_LENGTH or payee.upper() in KEYWORD_TABLE:
            raise self.fail(Problem.BAD_PAYEE, 1)
        amount = self.amount(2)
        if len(self.args) == 2:
            return Transfer(payee, amount)
        return Transfer(payee, amount, self.matching(_LAST4, 3, Problem.BAD_ACCOUNT_DIGITS))

    def pay_bill(self) -> Command:
        self.expect(3, 3)
        biller = BILLERS.get(self.args[0].upper())
        if biller is None:
            raise self.fail(Problem.UNKNOWN_BILLER, 1)
        bill_account = self.matching(_BILL_ACCOUNT, 2, Problem.BAD_BILL_ACCOUNT)
        return PayBill(biller, bill_account, self.amount(3))

    def repay(self) -> Command:
        prepayment = PREPAYMENT_WORDS.get(self.args[-1].upper()) if len(self.args) > 1 else None
        if prepayment is not None:
            self.args = self.args[:-1]
            repay = self.repay()
            if not isinstance(repay, Repay) or repay.amount is None:
                raise self.fail(Problem.TOO_MANY_ARGUMENTS, len(self.args) + 1)
            return Repay(repay.amount, repay.loan_ref, prepayment)
        self.expect(1, 2)
        loan_ref = None
        if len(self.args) == 2:
            loan_ref = self.args[0].upper()
            if not _LOAN_REF.fullmatch(loan_ref):
                raise self.fail(Problem.BAD_LOAN_REF, 1)
        last = len(self.args)
        if self.args[-1].upper() in ALL_WORDS:
            return Repay(None, loan_ref)
        return Repay(self.amount(last), loan_ref)

    def top_up(self) -> Command:
        self.expect(1, 2)
        if len(self.args) == 1:
            return TopUp(self.amount(1))
        phone = self.args[0]
        if _CN_MOBILE.fullmatch(phone):
            phone = "+86" + phone
        elif not _E164.fullmatch(phone):
            raise self.fail(Problem.BAD_PHONE, 1)
        return TopUp(self.amount(2), phone)

    def loans(self) -> Command:
        self.expect(0, 0)
        return Loans()

    def confirm(self) -> Command:
        self.expect(1, 1)
        return Confirm(self.matching(_CODE, 1, Problem.BAD_CODE))

    def cancel(self) -> Command:
        self.expect(0, 0)
        return Cancel()

    def help(self) -> Command:
        self.expect(0, 1)
        if not self.args:
            return Help()
        found = KEYWORD_TABLE.get(self.args[0].upper())
        if found is None:
            raise self.fail(Problem.UNKNOWN_COMMAND, 1)
        return Help(found[0])


_READERS = {
    Verb.BALANCE: _ArgumentReader.balance,
    Verb.STATEMENT: _ArgumentReader.statement,
    Verb.TRANSFER: _ArgumentReader.transfer,
    Verb.PAY_BILL: _ArgumentReader.pay_bill,
    Verb.REPAY: _ArgumentReader.repay,
    Verb.TOP_UP: _ArgumentReader.top_up,
    Verb.LOANS: _ArgumentReader.loans,
    Verb.CONFIRM: _ArgumentReader.confirm,
    Verb.CANCEL: _ArgumentReader.cancel,
    Verb.HELP: _ArgumentReader.help,
}


def read_amount(token: str, max_amount: Decimal) -> tuple[Problem | None, Decimal | None]:
    """(None, amount) or (problem, None): `parse_amount`'s reading, positive, at most the limit."""
    try:
        value = parse_amount(token)
    except AmountError as error:
        return _AMOUNT_PROBLEMS[error.code], None
    if value <= 0:
        return Problem.NOT_POSITIVE, None
    if value > max_amount:
        return Problem.AMOUNT_TOO_LARGE, None
    return None, value.quantize(FEN)


_AMOUNT_PROBLEMS = {
    AmountErrorCode.EMPTY: Problem.NOT_A_NUMBER,
    AmountErrorCode.NEGATIVE: Problem.NOT_POSITIVE,
    AmountErrorCode.EXPONENT: Problem.EXPONENT,
    AmountErrorCode.TOO_MANY_DECIMALS: Problem.TOO_MANY_DECIMALS,
    AmountErrorCode.TOO_LARGE: Problem.AMOUNT_TOO_LARGE,
    AmountErrorCode.BAD_GROUPING: Problem.BAD_THOUSANDS,
    AmountErrorCode.NOT_A_NUMBER: Problem.NOT_A_NUMBER,
}
