"""Redis repository for money commands, keyed per customer so the chat and SMS share it:
the pending transaction (一笔一清: at most one), the last receipt, the lockout after too
many wrong codes, the customer's language for SMS replies, and a short per-customer lock.

A transaction sent to the bank is kept without expiry and listed in the in-doubt index (a
sorted set by the time of its next check) until the bank's answer settles it."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from redis.asyncio import Redis

from bot.redis_keys import MONEY
from integrations.bank.models import (
    LocalizedName,
    Named,
    OperationIntent,
    OperationKind,
    Prepayment,
    Receipt,
    RepaymentKind,
)

PENDING_SECONDS = 3600  # the code's own expiry (by the bank's clock) decides; this is cleanup
RECEIPT_SECONDS = 86_400
LOCALE_SECONDS = 90 * 86_400
LOCK_MILLISECONDS = 15_000
LOCK_WAIT_SECONDS = 10.0
ORIGIN_SECONDS = 30 * 86_400  # chat or phone -> customer, for a sent operation's origin

RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class CustomerBusy(Exception):
    """Another message of the same customer held the lock for too long."""


class OperationState(StrEnum):
    PROPOSED = "proposed"  # previewed, the code sent: may still be cancelled
    SENT = "sent"  # code verified, handed to the bank: only the bank's answer ends it
    IN_DOUBT = "in_doubt"  # sent, the answer lost: resolved by the status of its key


@dataclass(frozen=True)
class ReplyTo:
    """Where the merchant gave the command: news of it goes back there."""

    chat_id: int | None = None
    phone: str | None = None  # an SMS-channel customer's number


@dataclass(frozen=True)
class PendingOperation:
    """A previewed money command waiting for its one-time code, or sent and unsettled."""

    id: str
    customer_id: str
    kind: OperationKind
    destination: str  # what the bank gets: alias or number, "BILLER account", phone, loan id
    amount: Decimal
    from_account_id: str | None
    counterparty: str  # the payee's registered name, the biller's, the loan's product
    counterparty_account: str  # account/bill/phone; views mask it
    first_payment: bool
    fee: Decimal
    balance_after: Decimal
    challenge_id: str
    masked_phone: str
    expires_at: datetime
    verified_code: str | None = None  # set once the bank accepted the code
    state: OperationState = OperationState.PROPOSED
    chat_id: int | None = None
    reply_phone: str | None = None
    repayment: RepaymentKind | None = None  # for a repayment: which kind, bound to the code
    prepayment: Prepayment | None = None
    counterparty_names: tuple[LocalizedName, ...] = ()  # a biller's name in other languages

    @property
    def sent(self) -> bool:
        return self.state is not OperationState.PROPOSED

    @property
    def reply_to(self) -> ReplyTo:
        return ReplyTo(self.chat_id, self.reply_phone)

    @property
    def intent(self) -> OperationIntent:
        return OperationIntent(
            customer_id=self.customer_id,
            kind=self.kind,
            destination=self.destination,
            amount=self.amount,
            from_account_id=self.from_account_id,
            repayment=self.repayment,
            prepayment=self.prepayment,
        )

    @property
    def idempotency_key(self) -> str:
        return f"money-command:{self.customer_id}:{self.id}"

    def counterparty_in(self, locale: str) -> str | None:
        """The payee's name in ``locale`` where the bank gives one (its own name is in
        zh_Hans), else None."""
        return Named(name=self.counterparty, names=list(self.counterparty_names)).given_in(locale)

    def to_json(self) -> str:
        fields = asdict(self)
        fields.update(
            amount=str(self.amount),
            fee=str(self.fee),
            balance_after=str(self.balance_after),
            expires_at=self.expires_at.isoformat(),
            counterparty_names=[name.model_dump() for name in self.counterparty_names],
        )
        return json.dumps(fields, ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | bytes) -> PendingOperation:
        fields = json.loads(raw)
        fields.update(
            kind=OperationKind(fields["kind"]),
            amount=Decimal(fields["amount"]),
            fee=Decimal(fields["fee"]),
            balance_after=Decimal(fields["balance_after"]),
            expires_at=datetime.fromisoformat(fields["expires_at"]),
            state=OperationState(fields.get("state", OperationState.PROPOSED)),
            repayment=_optional(RepaymentKind, fields.get("repayment")),
            prepayment=_optional(Prepayment, fields.get("prepayment")),
            counterparty_names=tuple(
                LocalizedName.model_validate(name) for name in fields.get("counterparty_names", [])
            ),
        )
        return cls(**fields)


_Enum = TypeVar("_Enum", bound=StrEnum)


def _optional(kind: type[_Enum], value: str | None) -> _Enum | None:
    return None if value is None else kind(value)


@dataclass(frozen=True)
class DoneOperation:
    pending_id: str
    code: str
    receipt: Receipt
    operation: PendingOperation | None = None  # kept with the receipt to name the payee


OPERATION_ID = r"^[0-9a-f]{16}$"
OFFER_SECONDS = 900


@dataclass(frozen=True)
class PrepaymentOffer:
    id: str
    customer_id: str
    loan_id: str
    amount: Decimal


def new_operation_id() -> str:
    return secrets.token_hex(8)


class MoneyCommandStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def pending(self, customer_id: str) -> PendingOperation | None:
        raw = await self.redis.get(MONEY.pending(customer_id))
        return PendingOperation.from_json(raw) if raw else None

    async def save_pending(
        self, pending: PendingOperation, check_at: datetime | None = None
    ) -> None:
        """A proposed one expires with its code; a sent one stays, listed in the index to be
        checked at `check_at`, until `finish` or `drop_pending`."""
        key = MONEY.pending(pending.customer_id)
        if not pending.sent:
            await self.redis.set(key, pending.to_json(), ex=PENDING_SECONDS)
            return
        score = (check_at or pending.expires_at).timestamp()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(key, pending.to_json())
            pipe.zadd(MONEY.in_doubt, {pending.customer_id: score})
            for origin in self._origins(pending.reply_to):
                pipe.set(origin, pending.customer_id, ex=ORIGIN_SECONDS)
            await pipe.execute()

    def _origins(self, reply_to: ReplyTo) -> list[str]:
        chat = [MONEY.chat_origin(reply_to.chat_id)] if reply_to.chat_id is not None else []
        return chat + ([MONEY.phone_origin(reply_to.phone)] if reply_to.phone else [])

    async def sent_from(self, reply_to: ReplyTo) -> PendingOperation | None:
        """The sent operation given from this chat or phone, found without the bank (which
        may be the one that cannot answer who the customer is)."""
        for origin in self._origins(reply_to):
            customer_id = await self.redis.get(origin)
            pending = await self.pending(_text(customer_id)) if customer_id else None
            if pending is not None and pending.sent:
                return pending
        return None

    async def drop_pending(self, customer_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(MONEY.pending(customer_id))
            pipe.zrem(MONEY.in_doubt, customer_id)
            await pipe.execute()

    async def finish(self, pending: PendingOperation, code: str, receipt: Receipt) -> None:
        """Keep the receipt (a second QR shows it) and clear the pending one atomically."""
        done = json.dumps(
            {
                "pending_id": pending.id,
                "code": code,
                "receipt": receipt.model_dump(mode="json"),
                "operation": pending.to_json(),
            },
            ensure_ascii=False,
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(MONEY.done(pending.customer_id), done, ex=RECEIPT_SECONDS)
            pipe.delete(MONEY.pending(pending.customer_id))
            pipe.zrem(MONEY.in_doubt, pending.customer_id)
            await pipe.execute()

    async def due_for_check(self, now: datetime, limit: int) -> list[str]:
        """Customers whose sent transaction is due for asking the bank, oldest first."""
        members = await self.redis.zrangebyscore(
            MONEY.in_doubt, "-inf", now.timestamp(), start=0, num=limit
        )
        return [_text(member) for member in members]

    async def forget_check(self, customer_id: str) -> None:
        await self.redis.zrem(MONEY.in_doubt, customer_id)

    async def last_done(self, customer_id: str) -> DoneOperation | None:
        raw = await self.redis.get(MONEY.done(customer_id))
        if not raw:
            return None
        fields = json.loads(raw)
        operation = fields.get("operation")
        return DoneOperation(
            fields["pending_id"],
            fields["code"],
            Receipt.model_validate(fields["receipt"]),
            PendingOperation.from_json(operation) if operation else None,
        )

    async def save_offer(self, offer: PrepaymentOffer) -> None:
        """The prepayment the merchant is choosing the kind of (one per customer)."""
        value = json.dumps([offer.id, offer.loan_id, str(offer.amount)])
        await self.redis.set(MONEY.prepayment_offer(offer.customer_id), value, ex=OFFER_SECONDS)

    async def take_offer(self, customer_id: str, offer_id: str) -> PrepaymentOffer | None:
        """The offer with this id, once; a forged or stale id finds nothing and changes nothing."""
        key = MONEY.prepayment_offer(customer_id)
        raw = await self.redis.get(key)
        if not raw:
            return None
        found, loan_id, amount = json.loads(raw)
        if found != offer_id:
            return None
        await self.redis.delete(key)
        return PrepaymentOffer(found, customer_id, loan_id, Decimal(amount))

    async def locked_until(self, customer_id: str) -> datetime | None:
        raw = await self.redis.get(MONEY.lockout(customer_id))
        return datetime.fromisoformat(_text(raw)) if raw else None

    async def lock_out(self, customer_id: str, until: datetime, seconds: int) -> None:
        await self.redis.set(MONEY.lockout(customer_id), until.isoformat(), ex=seconds)

    async def lift_lockout(self, customer_id: str) -> None:
        await self.redis.delete(MONEY.lockout(customer_id))

    async def remember_locale(self, customer_id: str, locale: str) -> None:
        await self.redis.set(MONEY.locale(customer_id), locale, ex=LOCALE_SECONDS)

    async def locale(self, customer_id: str) -> str | None:
        raw = await self.redis.get(MONEY.locale(customer_id))
        return _text(raw) if raw else None

    @asynccontextmanager
    async def customer_lock(self, customer_id: str) -> AsyncIterator[None]:
        """One state-changing step per customer at a time, across channels and processes."""
        key = MONEY.lock(customer_id)
        token = secrets.token_hex(8)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + LOCK_WAIT_SECONDS
        wait = 0.002
        while not await self.redis.set(key, token, nx=True, px=LOCK_MILLISECONDS):
            if loop.time() > deadline:
                raise CustomerBusy(customer_id)
            await asyncio.sleep(wait)
            wait = min(wait * 2, 0.05)
        try:
            yield
        finally:
            await self.redis.eval(RELEASE_SCRIPT, 1, key, token)  # type: ignore[misc]  # redis-py 7 types


def _text(raw: bytes | str) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw
