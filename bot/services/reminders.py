"""Reminders of due installments: the time index in Redis, mutes, and what is due now.

Each pending step of an installment is a member of a sorted set scored by the moment it
fires (one set per priority: overdue, due today, upcoming), so today's reminders among
millions of loans are one range query. `due` lists what fell due in priority order; a
member leaves the index once its message is on the outbound pipeline (whose record makes
a key queued twice one delivery), and a step whose message was queued is never indexed
again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cached_property

from redis.asyncio import Redis

from bot.domain.reminders import (
    Priority,
    ReminderPolicy,
    Step,
    pending_steps,
    superseded,
)
from bot.redis_keys import REMINDERS
from bot.services.accounts import CustomerDirectory, Reader
from bot.services.sender import DeliveryRecord
from integrations.bank.errors import BankUnavailable, NotFound
from integrations.bank.models import Installment, InstallmentStatus, Loan, LoanStatus
from integrations.bank.protocol import BankAdapter


@dataclass(frozen=True)
class ReminderKey:
    customer_id: str
    loan_id: str
    installment: int
    due_date: date
    step: Step

    @cached_property
    def member(self) -> str:
        parts = (self.customer_id, self.loan_id, self.installment, self.due_date, self.step.code)
        return "|".join(str(part) for part in parts)

    @property
    def message_key(self) -> str:
        """The idempotency key of its outgoing message."""
        return f"reminder:{self.member}"

    @classmethod
    def parse(cls, member: str) -> ReminderKey:
        customer_id, loan_id, installment, due, step = member.split("|")
        return cls(
            customer_id, loan_id, int(installment), date.fromisoformat(due), Step.from_code(step)
        )


@dataclass(frozen=True)
class DueReminder:
    key: ReminderKey
    reader: Reader
    loan: Loan
    amount_due: Decimal
    days_after_due: int  # negative before the due date
    penalty: Decimal = Decimal(0)  # penalty interest accrued on the installment, unpaid

    @property
    def to_settle(self) -> Decimal:
        """What settles the installment today: the overdue-first rule takes penalty first."""
        return self.amount_due + self.penalty


class PaymentState(StrEnum):
    PAID = "paid"
    PARTLY_PAID = "partly_paid"
    NOT_RECEIVED = "not_received"


@dataclass(frozen=True)
class PaymentCheck:
    state: PaymentState
    paid: Decimal
    remaining: Decimal
    due_date: date


class Mutes:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def set(self, chat_id: int, muted: bool) -> None:
        if muted:
            await self.redis.sadd(REMINDERS.muted, chat_id)  # type: ignore[misc]  # redis-py 7 types
        else:
            await self.redis.srem(REMINDERS.muted, chat_id)  # type: ignore[misc]  # redis-py 7 types

    async def muted(self, chat_id: int) -> bool:
        return bool(await self.redis.sismember(REMINDERS.muted, str(chat_id)))  # type: ignore[misc]  # redis-py 7 types

    async def muted_among(self, chat_ids: Sequence[int]) -> frozenset[int]:
        """The muted chats among `chat_ids`, in one round trip."""
        if not chat_ids:
            return frozenset()
        found = await self.redis.smismember(REMINDERS.muted, [str(c) for c in chat_ids])  # type: ignore[misc]  # redis-py 7 types
        return frozenset(chat for chat, muted in zip(chat_ids, found, strict=True) if muted)


# KEYS: the due sets by priority, then each loan's member set; ARGV, for each loan in turn:
# its number of steps, then member, score and due set (1-based) of each
REPLACE_SCRIPT = """
local at = 1
for i = #PRIORITIES + 1, #KEYS do
    local old = redis.call('SMEMBERS', KEYS[i])
    if #old > 0 then
        for p = 1, #PRIORITIES do redis.call('ZREM', KEYS[p], unpack(old)) end
        redis.call('DEL', KEYS[i])
    end
    for _ = 1, tonumber(ARGV[at]) do
        redis.call('ZADD', KEYS[tonumber(ARGV[at + 3])], ARGV[at + 2], ARGV[at + 1])
        redis.call('SADD', KEYS[i], ARGV[at + 1])
        at = at + 3
    end
    at = at + 1
end
return 0
""".replace("#PRIORITIES", str(len(Priority)))


class ReminderIndex:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._replace = redis.register_script(REPLACE_SCRIPT)

    async def replace_loans(self, plans: dict[str, list[tuple[ReminderKey, datetime]]]) -> None:
        """Each loan's steps in the index become `plans[loan_id]`: one script for all (the
        index's keys share one slot)."""
        if not plans:
            return
        keys = [REMINDERS.due(priority) for priority in sorted(Priority)]
        keys += [REMINDERS.loan(loan_id) for loan_id in plans]
        args: list[str | int | float] = []
        for planned in plans.values():
            args.append(len(planned))
            for key, fires_at in planned:
                args += [key.member, fires_at.timestamp(), int(key.step.priority) + 1]
        await self._replace(keys=keys, args=args)

    async def schedule(self, key: ReminderKey, fires_at: datetime) -> None:
        await self.redis.zadd(REMINDERS.due(key.step.priority), {key.member: fires_at.timestamp()})

    async def due(self, now: datetime, budget: int) -> list[ReminderKey]:
        """Up to `budget` keys due by `now`, overdue ones first."""
        found: list[ReminderKey] = []
        for priority in sorted(Priority):
            if len(found) >= budget:
                break
            members = await self.redis.zrangebyscore(
                REMINDERS.due(priority), "-inf", now.timestamp(), start=0, num=budget - len(found)
            )
            found += [ReminderKey.parse(_text(member)) for member in members]
        return found

    async def adopt_earlier_jobs(self, now: datetime) -> int:
        """Reminders taken from the index onto the job stream before the pipeline and not
        sent yet go back into the index, due now (the record stops any already sent)."""
        entries = await self.redis.xrange(REMINDERS.legacy_jobs)
        for _entry_id, fields in entries:
            member = fields.get(b"update") or fields.get("update")
            if member is not None:
                await self.schedule(ReminderKey.parse(_text(member)), now)
        await self.redis.delete(REMINDERS.legacy_jobs)
        return len(entries)

    async def remove_all(self, keys: Sequence[ReminderKey]) -> None:
        async with self.redis.pipeline(transaction=False) as pipe:
            for priority in Priority:
                members = [key.member for key in keys if key.step.priority is priority]
                if members:
                    pipe.zrem(REMINDERS.due(priority), *members)
            await pipe.execute()


class ReminderService:
    def __init__(
        self,
        bank: BankAdapter,
        redis: Redis,
        directory: CustomerDirectory,
        policy: ReminderPolicy,
        record: DeliveryRecord,
    ) -> None:
        self.record = record
        self.bank = bank
        self.redis = redis
        self.directory = directory
        self.policy = policy
        self.index = ReminderIndex(redis)
        self.mutes = Mutes(redis)

    async def index_customer(self, customer_id: str, now: datetime) -> None:
        await self.index_loans(await self.bank.list_loans(customer_id), now)

    async def index_loans(self, loans: Sequence[Loan], now: datetime) -> None:
        """For each loan the oldest overdue installment and the next one to come (later ones
        are indexed as the reminders of earlier ones go out or get paid), less the steps
        whose message was queued: a few round trips for all of them. Only a step that fell
        due can have been queued (a later one that a worker with a clock ahead queued is
        refused by the outbox's record when it falls due here)."""
        plans = {loan.id: self._plan(loan, now) for loan in loans}
        keys = [k.message_key for planned in plans.values() for k, at in planned if at <= now]
        queued = await self.record.queued_among(keys)
        await self.index.replace_loans(
            {
                loan_id: [(key, at) for key, at in planned if key.message_key not in queued]
                for loan_id, planned in plans.items()
            }
        )

    def _plan(self, loan: Loan, now: datetime) -> list[tuple[ReminderKey, datetime]]:
        if loan.status is not LoanStatus.ACTIVE:
            return []
        return [
            (
                ReminderKey(
                    loan.customer_id, loan.id, installment.number, installment.due_date, item.step
                ),
                item.fires_at,
            )
            for installment in _to_remind(loan, now.astimezone(self.policy.zone).date())
            for item in pending_steps(installment.due_date, self.policy, now)
        ]

    async def check(self, keys: Sequence[ReminderKey], now: datetime) -> Checked:
        """What to send for each key out of quiet hours (none when paid, stale, muted or
        unbound), with every loan looked up: readers, mutes and the bank's loans in one
        round trip each."""
        readers = await self.directory.readers(sorted({key.customer_id for key in keys}))
        wanted = [
            key
            for key in keys
            if key.customer_id in readers
            and not superseded(key.step, key.due_date, self.policy, now)
        ]
        muted = await self.mutes.muted_among(
            sorted({readers[key.customer_id].chat_id for key in wanted if key.step.optional})
        )
        wanted = [
            key
            for key in wanted
            if not (key.step.optional and readers[key.customer_id].chat_id in muted)
        ]
        loans = await self._loans(sorted({key.loan_id for key in wanted}))
        today = now.astimezone(self.policy.zone).date()
        due = [
            _due(key, readers[key.customer_id], loans[key.loan_id], today)
            for key in wanted
            if key.loan_id in loans
        ]
        return Checked([d for d in due if d is not None], list(loans.values()))

    async def _loans(self, loan_ids: list[str]) -> dict[str, Loan]:
        """The loans the bank still knows (one it no longer does gets no reminder)."""
        return {loan.id: loan for loan in await self.bank.get_loans(loan_ids)} if loan_ids else {}

    async def check_payment(
        self, customer_id: str, loan_id: str, number: int
    ) -> PaymentCheck | None:
        """What the bank has received for an installment ("I have paid")."""
        with contextlib.suppress(NotFound, BankUnavailable):
            loan = await self.bank.get_loan(loan_id)
            installment = _installment(loan, number)
            if loan.customer_id == customer_id and installment is not None:
                return _payment_check(installment)
        return None


@dataclass(frozen=True)
class Checked:
    due: list[DueReminder]
    loans: list[Loan]  # every loan looked up, to index again once the reminders are queued


def _due(key: ReminderKey, reader: Reader, loan: Loan, today: date) -> DueReminder | None:
    installment = _installment(loan, key.installment)
    if installment is None or installment.status is InstallmentStatus.PAID:
        return None
    return DueReminder(
        key,
        reader,
        loan,
        installment.total - installment.paid,
        (today - key.due_date).days,
        installment.penalty,
    )


def _to_remind(loan: Loan, today: date) -> list[Installment]:
    unpaid = [row for row in loan.schedule if row.status is not InstallmentStatus.PAID]
    overdue = [row for row in unpaid if row.due_date < today]
    upcoming = [row for row in unpaid if row.due_date >= today]
    return overdue[:1] + upcoming[:1]


def _installment(loan: Loan, number: int) -> Installment | None:
    return next((row for row in loan.schedule if row.number == number), None)


def _payment_check(installment: Installment) -> PaymentCheck:
    remaining = installment.total - installment.paid
    if installment.status is InstallmentStatus.PAID or remaining <= 0:
        state = PaymentState.PAID
    elif installment.paid > 0:
        state = PaymentState.PARTLY_PAID
    else:
        state = PaymentState.NOT_RECEIVED
    return PaymentCheck(state, installment.paid, max(remaining, Decimal(0)), installment.due_date)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
