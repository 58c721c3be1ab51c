"""Customers in the chat: binding a chat to a bank customer, and what they can look up.

The bank keeps the binding and enforces the one-time codes (6 digits, 5 minutes, single
use, 5 wrong tries block new attempts for 30 minutes); this service turns its typed errors
into `BindingError`s the handlers can explain. `CustomerDirectory` remembers, in Redis,
which chat a customer reads and in which language, so the worker can reach them.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

import phonenumbers
from redis.asyncio import Redis

from bot.redis_keys import ACCOUNTS
from bot.services.repayment_plans import LoanToday
from integrations.bank.errors import (
    BankUnavailable,
    CodeExpired,
    InvalidCode,
    NotFound,
    TooManyAttempts,
)
from integrations.bank.models import (
    Account,
    AccountStatus,
    BindingRole,
    BindingStart,
    Loan,
    LoanStatus,
    TransactionPage,
)
from integrations.bank.protocol import BankAdapter

T = TypeVar("T")
STATEMENT_PAGE_SIZE = 5
STATEMENT_MAX_PAGES = 10


class BindingProblem(StrEnum):
    NOT_OWN_CONTACT = "not_own_contact"
    NOT_A_PHONE = "not_a_phone"
    NOT_A_CUSTOMER = "not_a_customer"
    BLOCKED = "blocked"
    WRONG_CODE = "wrong_code"
    EXPIRED = "expired"
    BANK_DOWN = "bank_down"


class BindingError(Exception):
    def __init__(self, problem: BindingProblem, *, attempts_left: int = 0, minutes: int = 0):
        super().__init__(problem.value)
        self.problem = problem
        self.attempts_left = attempts_left
        self.minutes = minutes


class BankLookupError(Exception):
    """The bank cannot answer right now, or the thing asked for is not the customer's."""


class NotTheirLoan(Exception):
    """The loan a button names belongs to another customer than the chat's binding."""


@dataclass(frozen=True)
class CodeSent:
    challenge_id: str
    masked_phone: str
    expires_at: datetime


@dataclass(frozen=True)
class Reader:
    """Who reads reminders for a customer: their chat and its language."""

    chat_id: int
    locale: str


class CustomerDirectory:
    """customer id <-> chat id and the chat's language, kept in Redis."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def remember(self, customer_id: str, chat_id: int, locale: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(ACCOUNTS.reader(customer_id), mapping={"chat": chat_id, "locale": locale})
            pipe.set(ACCOUNTS.customer_of(chat_id), customer_id)
            await pipe.execute()

    async def reader(self, customer_id: str) -> Reader | None:
        return (await self.readers([customer_id])).get(customer_id)

    async def readers(self, customer_ids: Sequence[str]) -> dict[str, Reader]:
        """`reader` for many customers in one round trip; the unbound ones left out."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for customer_id in customer_ids:
                pipe.hgetall(ACCOUNTS.reader(customer_id))
            found: list[dict[bytes, bytes]] = await pipe.execute()
        return {
            customer_id: Reader(chat_id=int(fields[b"chat"]), locale=_text(fields[b"locale"]))
            for customer_id, fields in zip(customer_ids, found, strict=True)
            if fields
        }

    async def forget_chat(self, chat_id: int) -> None:
        customer = await self.redis.getdel(ACCOUNTS.customer_of(chat_id))
        if customer is not None:
            await self.redis.delete(ACCOUNTS.reader(_text(customer)))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def normalize_phone(raw: str) -> str | None:
    """E.164 for a phone number as Telegram shares it (digits, often without '+')."""
    text = raw.strip()
    if not text.startswith("+"):
        text = "+" + text
    try:
        parsed = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class AccountsService:
    def __init__(self, bank: BankAdapter, directory: CustomerDirectory) -> None:
        self.bank = bank
        self.directory = directory

    async def customer_of(self, chat_id: int, locale: str) -> str | None:
        """The customer bound to this chat (remembered for reminders), or None."""
        try:
            binding = await self.bank.get_binding(chat_id)
        except NotFound:
            return None
        except BankUnavailable as error:
            raise BankLookupError("bank unavailable") from error
        if binding.role is not BindingRole.CUSTOMER or binding.customer_id is None:
            return None
        await self.directory.remember(binding.customer_id, chat_id, locale)
        return binding.customer_id

    async def start_binding(
        self, chat_id: int, raw_phone: str, contact_owner: int | None
    ) -> CodeSent:
        if contact_owner != chat_id:
            raise BindingError(BindingProblem.NOT_OWN_CONTACT)
        phone = normalize_phone(raw_phone)
        if phone is None:
            raise BindingError(BindingProblem.NOT_A_PHONE)
        try:
            challenge = await self.bank.start_binding(
                BindingStart(chat_user_id=chat_id, phone=phone)
            )
        except NotFound as error:
            raise BindingError(BindingProblem.NOT_A_CUSTOMER) from error
        except TooManyAttempts as error:
            raise _blocked(error) from error
        except BankUnavailable as error:
            raise BindingError(BindingProblem.BANK_DOWN) from error
        return CodeSent(challenge.id, challenge.masked_phone, challenge.expires_at)

    async def confirm_binding(self, chat_id: int, challenge_id: str, code: str, locale: str) -> str:
        """The bound customer's id; BindingError otherwise."""
        try:
            binding = await self.bank.confirm_binding(challenge_id, code)
        except InvalidCode as error:
            raise BindingError(
                BindingProblem.WRONG_CODE, attempts_left=error.attempts_left
            ) from error
        except (CodeExpired, NotFound) as error:
            raise BindingError(BindingProblem.EXPIRED) from error
        except TooManyAttempts as error:
            raise _blocked(error) from error
        except BankUnavailable as error:
            raise BindingError(BindingProblem.BANK_DOWN) from error
        if binding.customer_id is None or binding.chat_user_id != chat_id:
            raise BindingError(BindingProblem.NOT_A_CUSTOMER)
        await self.directory.remember(binding.customer_id, chat_id, locale)
        return binding.customer_id

    async def unbind(self, chat_id: int) -> None:
        try:
            await self.bank.unbind(chat_id)
        except BankUnavailable as error:
            raise BankLookupError("bank unavailable") from error
        await self.directory.forget_chat(chat_id)

    async def accounts(self, customer_id: str) -> list[Account]:
        return [
            account
            for account in await _ask(self.bank.list_accounts(customer_id))
            if account.status is AccountStatus.OPEN
        ]

    async def loans(self, customer_id: str) -> list[Loan]:
        loans = await _ask(self.bank.list_loans(customer_id))
        return [loan for loan in loans if loan.status is LoanStatus.ACTIVE]

    async def loans_today(self, customer_id: str) -> list[LoanToday]:
        """The running loans with the bank's payoff quote for today: one quote a loan (the
        loan itself carries only the payoff's total, not its parts)."""
        loans = await self.loans(customer_id)
        quotes = await _ask(asyncio.gather(*(self.bank.payoff_quote(loan.id) for loan in loans)))
        return list(map(LoanToday, loans, quotes))

    async def own_loan(self, customer_id: str, loan_id: str) -> Loan | None:
        """The bound customer's running loan `loan_id`; None when the bank has no such
        running loan; `NotTheirLoan` when it is another customer's."""
        try:
            loan = await self.bank.get_loan(loan_id)
        except NotFound:
            return None
        except BankUnavailable as error:
            raise BankLookupError("bank unavailable") from error
        if loan.customer_id != customer_id:
            raise NotTheirLoan(loan_id)
        return loan if loan.status is LoanStatus.ACTIVE else None

    async def statement(self, customer_id: str, page: int) -> tuple[TransactionPage, Account]:
        """Page `page` (0 = newest) of the main account's transactions."""
        accounts = await self.accounts(customer_id)
        if not accounts:
            raise BankLookupError("no open account")
        account = accounts[0]
        cursor: str | None = None
        for _ in range(min(page, STATEMENT_MAX_PAGES)):
            skipped = await self._statement_page(customer_id, account.id, cursor)
            cursor = skipped.next_cursor
            if cursor is None:
                break
        return await self._statement_page(customer_id, account.id, cursor), account

    async def _statement_page(
        self, customer_id: str, account_id: str, cursor: str | None
    ) -> TransactionPage:
        return await _ask(
            self.bank.list_transactions(
                customer_id, account_id, limit=STATEMENT_PAGE_SIZE, cursor=cursor
            )
        )


async def _ask(call: Awaitable[T]) -> T:
    try:
        return await call
    except (NotFound, BankUnavailable) as error:
        raise BankLookupError(type(error).__name__) from error


def _blocked(error: TooManyAttempts) -> BindingError:
    return BindingError(BindingProblem.BLOCKED, minutes=math.ceil(error.retry_after_seconds / 60))
