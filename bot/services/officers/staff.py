"""Who the officers are: binding a chat with the staff code and the bank's one-time code,
and the directory officer_id <-> chat kept in Redis."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from redis.asyncio import Redis

from bot.redis_keys import OFFICERS
from bot.services.preferences import LanguagePreferences
from integrations.bank.errors import AlreadyClaimed, BankError, InvalidCode
from integrations.bank.models import BindingRole, BindingStart, CodeChallenge, StaffRole
from integrations.bank.protocol import BankAdapter

if TYPE_CHECKING:  # task_news needs the directory defined here
    from bot.services.officers.task_news import TaskNews

log = logging.getLogger(__name__)


class NotStaff(Exception):
    """The binding belongs to a customer, not to an officer."""


class Refused(Exception):
    """The officer may not do this to this lead (logged with ids only)."""


class DeskError(Exception):
    """The bank said no for a reason the officer can act on (its error `code`)."""

    def __init__(self, code: str, claimed_by_name: str = "", attempts_left: int = 0) -> None:
        super().__init__(code)
        self.code = code
        self.claimed_by_name = claimed_by_name
        self.attempts_left = attempts_left

    @classmethod
    def from_bank(cls, error: BankError) -> DeskError:
        return cls(
            error.code,
            claimed_by_name=error.claimed_by_name if isinstance(error, AlreadyClaimed) else "",
            attempts_left=error.attempts_left if isinstance(error, InvalidCode) else 0,
        )


@dataclass(frozen=True)
class StaffMember:
    officer_id: str
    chat_id: int
    name: str
    role: StaffRole
    territory_code: str
    team_code: str
    supervisor_id: str | None
    locale: str

    @property
    def is_supervisor(self) -> bool:
        return self.role is StaffRole.SUPERVISOR

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def loads(cls, raw: bytes | str) -> StaffMember:
        data = json.loads(raw)
        data["role"] = StaffRole(data["role"])
        return cls(**data)


def refusal(member: StaffMember | None, subject_id: str, action: str) -> Refused:
    """Log a refused action by ids only, and the exception to raise for it."""
    who = member.officer_id if member else "an unbound chat"
    log.warning("refused %s on %.20s by %s", action, subject_id, who)
    return Refused(action)


class StaffDirectory:
    """officer_id -> who and which chat; chat -> officer_id; the language each reads."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.preferences = LanguagePreferences(redis)

    async def save(self, member: StaffMember) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(OFFICERS.staff(member.officer_id), member.dumps())
            pipe.set(OFFICERS.officer_of(member.chat_id), member.officer_id)
            pipe.sadd(OFFICERS.staff_ids, member.officer_id)
            await pipe.execute()

    async def remove(self, member: StaffMember) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(OFFICERS.staff(member.officer_id), OFFICERS.officer_of(member.chat_id))
            pipe.srem(OFFICERS.staff_ids, member.officer_id)
            await pipe.execute()

    async def by_officer(self, officer_id: str | None) -> StaffMember | None:
        if officer_id is None:
            return None
        raw = await self.redis.get(OFFICERS.staff(officer_id))
        return StaffMember.loads(raw) if raw else None

    async def by_chat(self, chat_id: int) -> StaffMember | None:
        officer_id = await self.redis.get(OFFICERS.officer_of(chat_id))
        member = await self.by_officer(text_of(officer_id) if officer_id else None)
        return member if member is not None and member.chat_id == chat_id else None

    async def everyone(self) -> list[StaffMember]:
        ids = sorted(text_of(raw) for raw in await self.redis.smembers(OFFICERS.staff_ids))  # type: ignore[misc]  # redis-py 7 types
        members = [await self.by_officer(officer_id) for officer_id in ids]
        return [member for member in members if member is not None]

    async def team_of(self, supervisor: StaffMember) -> list[StaffMember]:
        return [m for m in await self.everyone() if m.supervisor_id == supervisor.officer_id]

    async def locale_of(self, member: StaffMember) -> str:
        return await self.preferences.chosen(member.chat_id) or member.locale


class StaffBinding:
    """/officer: the staff code starts a challenge at the bank, its SMS code completes it."""

    def __init__(self, bank: BankAdapter, directory: StaffDirectory, news: TaskNews) -> None:
        self.bank = bank
        self.directory = directory
        self.news = news

    async def start(self, chat_id: int, staff_code: str) -> CodeChallenge:
        request = BindingStart(chat_user_id=chat_id, staff_code=staff_code.strip().upper())
        try:
            return await self.bank.start_binding(request)
        except BankError as error:
            raise DeskError.from_bank(error) from None

    async def confirm(self, challenge_id: str, code: str, locale: str) -> StaffMember:
        try:
            binding = await self.bank.confirm_binding(challenge_id, code.strip())
        except BankError as error:
            raise DeskError.from_bank(error) from None
        if binding.role is BindingRole.CUSTOMER or binding.officer_id is None:
            raise NotStaff
        officer = await self.bank.get_officer(binding.officer_id)
        member = StaffMember(
            officer_id=officer.id,
            chat_id=binding.chat_user_id,
            name=officer.name,
            role=officer.role,
            territory_code=officer.territory_code,
            team_code=officer.industry_team_code,
            supervisor_id=officer.supervisor_id,
            locale=locale,
        )
        await self.directory.save(member)
        try:
            await self.news.linked(member)
        except BankError:  # the first news of the officer's tasks will take this look
            log.warning("tasks of %s not looked at on linking", member.officer_id)
        return member

    async def unbind(self, member: StaffMember) -> None:
        """The chat no longer gets the officer's leads; the bank forgets the binding too."""
        try:
            await self.bank.unbind(member.chat_id)
        except BankError as error:
            if error.code != "not_found":
                raise DeskError.from_bank(error) from None
        await self.directory.remove(member)


def text_of(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)
