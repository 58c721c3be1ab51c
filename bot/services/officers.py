"""Loan officers in the chat: binding, lead cards edited in place, the SLA and supervisors.

The bank decides who may do what (claim, pass, reassign...); this service asks it, keeps
officer_id -> chat and lead -> card messages in Redis, follows the bank's event feed with
its own cursor, and escalates leads nobody claims or contacts in working time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import BotCommand, BotCommandScopeChat, InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.clock import Clock
from bot.domain.collection import BorrowerKind, ProposedStep, next_step
from bot.domain.loan_terms import ScheduleError
from bot.domain.team import Transition, officer_stats
from bot.domain.working_hours import SlaPolicy, WorkingCalendar
from bot.services.calculator import LoanCalculator
from bot.services.preferences import LanguagePreferences
from bot.views import officers as views
from integrations.bank.errors import AlreadyClaimed, BankError, InvalidCode, NotFound
from integrations.bank.models import (
    BindingRole,
    BindingStart,
    CodeChallenge,
    Lead,
    LeadStatus,
    LeadStatusChanged,
    OfficerSettableStatus,
    OfficerTask,
    StaffRole,
    StatusUpdate,
    TaskKind,
    VisitBooking,
)
from integrations.bank.protocol import BankAdapter

log = logging.getLogger(__name__)

CURSOR_KEY = "officers:events:cursor"
LOCK_KEY = "officers:events:lock"
SLA_KEY = "officers:sla"
LOCK_SECONDS = 60
UNCLAIMED = (LeadStatus.ROUTED, LeadStatus.UNASSIGNED)
CLOSED = (LeadStatus.DECLINED, LeadStatus.WITHDRAWN, LeadStatus.DISBURSED)


class NotStaff(Exception):
    """The binding belongs to a customer, not to an officer."""


TASK_NOTE = "marked in the officers' Telegram queue"
KIND_PREFIX = "officers:borrower_kind"


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


class StaffDirectory:
    """officer_id -> who and which chat; chat -> officer_id."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def save(self, member: StaffMember) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"officers:staff:{member.officer_id}", member.dumps())
            pipe.set(f"officers:chat:{member.chat_id}", member.officer_id)
            pipe.sadd("officers:staff", member.officer_id)
            await pipe.execute()

    async def by_officer(self, officer_id: str | None) -> StaffMember | None:
        if officer_id is None:
            return None
        raw = await self.redis.get(f"officers:staff:{officer_id}")
        return StaffMember.loads(raw) if raw else None

    async def by_chat(self, chat_id: int) -> StaffMember | None:
        officer_id = await self.redis.get(f"officers:chat:{chat_id}")
        member = await self.by_officer(_text(officer_id) if officer_id else None)
        return member if member is not None and member.chat_id == chat_id else None

    async def everyone(self) -> list[StaffMember]:
        ids = sorted(_text(raw) for raw in await self.redis.smembers("officers:staff"))  # type: ignore[misc]  # redis-py 7 types
        members = [await self.by_officer(officer_id) for officer_id in ids]
        return [member for member in members if member is not None]


class CardRole(StrEnum):
    WORKER = "worker"  # offered to, claimed by or co-investigating
    SUPERVISOR = "supervisor"  # escalated


@dataclass(frozen=True)
class Card:
    officer_id: str
    chat_id: int
    message_id: int
    role: CardRole
    reason: str = ""  # why a supervisor got it: unclaimed, not_contacted, unassigned
    digest: str = ""


class CardRegistry:
    """lead -> the card messages showing it, one per officer."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def cards(self, lead_id: str) -> list[Card]:
        raw = await self.redis.hgetall(f"officers:cards:{lead_id}")  # type: ignore[misc]  # redis-py 7 types
        cards = [Card(**json.loads(value)) for value in raw.values()]
        return [
            Card(**{**asdict(card), "role": CardRole(card.role)})
            for card in sorted(cards, key=lambda card: card.officer_id)
        ]

    async def card(self, lead_id: str, officer_id: str) -> Card | None:
        raw = await self.redis.hget(f"officers:cards:{lead_id}", officer_id)  # type: ignore[misc]  # redis-py 7 types
        if raw is None:
            return None
        card = Card(**json.loads(raw))
        return Card(**{**asdict(card), "role": CardRole(card.role)})

    async def save(self, lead_id: str, card: Card) -> None:
        await self.redis.hset(  # type: ignore[misc]  # redis-py 7 types
            f"officers:cards:{lead_id}", card.officer_id, json.dumps(asdict(card))
        )


class SlaStage(StrEnum):
    REMIND = "remind"  # unclaimed: remind the officer
    ESCALATE = "escalate"  # still unclaimed: the supervisor
    CONTACT = "contact"  # claimed, not contacted: the supervisor


@dataclass(frozen=True)
class SlaTimer:
    lead_id: str
    stage: SlaStage
    due: datetime
    officer_id: str | None
    since: datetime


class SlaTimers:
    """One timer per lead: a sorted set by due time plus the timer itself."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def set(self, timer: SlaTimer) -> None:
        body = json.dumps(
            {
                "lead_id": timer.lead_id,
                "stage": timer.stage.value,
                "due": timer.due.isoformat(),
                "officer_id": timer.officer_id,
                "since": timer.since.isoformat(),
            }
        )
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(f"officers:sla:{timer.lead_id}", body)
            pipe.zadd(SLA_KEY, {timer.lead_id: timer.due.timestamp()})
            await pipe.execute()

    async def get(self, lead_id: str) -> SlaTimer | None:
        raw = await self.redis.get(f"officers:sla:{lead_id}")
        if raw is None:
            return None
        data = json.loads(raw)
        return SlaTimer(
            lead_id=data["lead_id"],
            stage=SlaStage(data["stage"]),
            due=datetime.fromisoformat(data["due"]),
            officer_id=data["officer_id"],
            since=datetime.fromisoformat(data["since"]),
        )

    async def clear(self, lead_id: str) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(f"officers:sla:{lead_id}")
            pipe.zrem(SLA_KEY, lead_id)
            await pipe.execute()

    async def take_due(self, now: datetime) -> list[SlaTimer]:
        """Due timers, each taken by exactly one caller (ZREM decides)."""
        lead_ids = await self.redis.zrangebyscore(SLA_KEY, 0, now.timestamp())
        taken = []
        for raw in lead_ids:
            lead_id = _text(raw)
            if await self.redis.zrem(SLA_KEY, lead_id):
                timer = await self.get(lead_id)
                if timer is not None:
                    taken.append(timer)
        return taken


class OfficerDesk:
    def __init__(
        self,
        redis: Redis,
        bank: BankAdapter,
        clock: Clock,
        i18n: I18n,
        calculator: LoanCalculator,
        *,
        currency: str,
        policy: SlaPolicy,
    ) -> None:
        self.redis = redis
        self.bank = bank
        self.clock = clock
        self.i18n = i18n
        self.calculator = calculator
        self.currency = currency
        self.policy = policy
        self.directory = StaffDirectory(redis)
        self.cards = CardRegistry(redis)
        self.timers = SlaTimers(redis)
        self.preferences = LanguagePreferences(redis)
        self._names: dict[str, str] = {}

    # --- binding ---------------------------------------------------------------------------

    async def start_binding(self, chat_id: int, staff_code: str) -> CodeChallenge:
        request = BindingStart(chat_user_id=chat_id, staff_code=staff_code.strip().upper())
        try:
            return await self.bank.start_binding(request)
        except BankError as error:
            raise DeskError.from_bank(error) from None

    async def confirm_binding(
        self, bot: Bot, challenge_id: str, code: str, locale: str
    ) -> StaffMember:
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
        await self.publish_commands(bot, member)
        return member

    async def publish_commands(self, bot: Bot, member: StaffMember) -> None:
        with self.i18n.context(), self.i18n.use_locale(member.locale):
            commands = [
                BotCommand(command=name, description=text)
                for name, text in views.staff_commands(member.is_supervisor)
            ]
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=member.chat_id))

    async def member(self, chat_id: int) -> StaffMember | None:
        return await self.directory.by_chat(chat_id)

    # --- acting on leads -------------------------------------------------------------------

    async def lead_for(self, member: StaffMember, lead_id: str, action: str) -> Lead:
        """The lead, if this officer may see it: on it, or a supervisor it was escalated to."""
        try:
            lead = await self.bank.get_lead(lead_id)
        except NotFound:
            raise self._refusal(member, lead_id, action) from None
        on_lead = member.officer_id in (lead.officer_id, lead.co_officer_id)
        escalated = member.is_supervisor and await self.cards.card(lead_id, member.officer_id)
        if not (on_lead or escalated or action == "claim"):
            raise self._refusal(member, lead_id, action)
        return lead

    async def claimed_lead_for(self, member: StaffMember, lead_id: str, action: str) -> Lead:
        lead = await self.lead_for(member, lead_id, action)
        if lead.claimed_at is None or member.officer_id not in (
            lead.officer_id,
            lead.co_officer_id,
        ):
            raise self._refusal(member, lead_id, action)
        return lead

    def refuse(self, member: StaffMember | None, lead_id: str, action: str) -> Refused:
        return self._refusal(member, lead_id, action)

    def _refusal(self, member: StaffMember | None, lead_id: str, action: str) -> Refused:
        who = member.officer_id if member else "an unbound chat"
        log.warning("refused %s on lead %.20s by %s", action, lead_id, who)
        return Refused(action)

    async def guarded(self, member: StaffMember, lead_id: str, action: str, call: Any) -> Lead:
        """Run a bank call for the officer; the bank's Forbidden and NotFound are refusals."""
        try:
            lead: Lead = await call
        except BankError as error:
            if error.code in ("forbidden", "not_found"):
                raise self._refusal(member, lead_id, action) from None
            raise DeskError.from_bank(error) from None
        return lead

    async def claim(self, member: StaffMember, lead_id: str) -> Lead:
        await self.lead_for(member, lead_id, "claim")
        return await self.guarded(
            member, lead_id, "claim", self.bank.claim_lead(lead_id, member.officer_id)
        )

    async def pass_on(self, member: StaffMember, lead_id: str, reason: str) -> Lead:
        await self.lead_for(member, lead_id, "pass")
        call = self.bank.pass_lead(lead_id, member.officer_id, reason)
        return await self.guarded(member, lead_id, "pass", call)

    async def set_status(
        self, member: StaffMember, lead_id: str, status: OfficerSettableStatus
    ) -> Lead:
        await self.claimed_lead_for(member, lead_id, "status")
        update = StatusUpdate(officer_id=member.officer_id, status=status)
        call = self.bank.update_lead_status(lead_id, update)
        return await self.guarded(member, lead_id, "status", call)

    async def add_note(self, member: StaffMember, lead_id: str, note: str) -> Lead:
        await self.lead_for(member, lead_id, "note")
        call = self.bank.add_lead_note(lead_id, member.officer_id, note[:500])
        return await self.guarded(member, lead_id, "note", call)

    async def book_visit(self, member: StaffMember, lead_id: str, at: datetime) -> Lead:
        await self.claimed_lead_for(member, lead_id, "visit")
        call = self.bank.book_visit(lead_id, VisitBooking(officer_id=member.officer_id, at=at))
        return await self.guarded(member, lead_id, "visit", call)

    async def reassign(self, member: StaffMember, lead_id: str, officer_id: str) -> Lead:
        if not member.is_supervisor:
            raise self._refusal(member, lead_id, "reassign")
        await self.lead_for(member, lead_id, "reassign")
        call = self.bank.reassign_lead(lead_id, member.officer_id, officer_id)
        return await self.guarded(member, lead_id, "reassign", call)

    # --- cards -----------------------------------------------------------------------------

    async def facts(self, lead: Lead) -> views.LeadFacts:
        deadline = await self._deadline(lead)
        return views.LeadFacts(
            lead=lead,
            district=await self._reference_name("district", lead.district_code),
            industry=await self._reference_name("industry", lead.industry_code),
            monthly_payment=await self._monthly_payment(lead),
            cash_flow_share=_cash_flow_share(lead.details),
            officer_name=await self.officer_name(lead.officer_id),
            co_officer_name=await self.officer_name(lead.co_officer_id),
            deadline=deadline,
            deadline_left=self.policy.calendar.between(self.clock.now(), deadline)
            if deadline
            else None,
            currency=self.currency,
            timezone=self.policy.calendar.timezone,
        )

    async def _deadline(self, lead: Lead) -> datetime | None:
        """Claim by (the next SLA step while unclaimed) or contact by (once claimed)."""
        if lead.status is LeadStatus.CLAIMED and lead.claimed_at is not None:
            return self.policy.contact_due(lead.claimed_at)
        timer = await self.timers.get(lead.id)
        if lead.status in UNCLAIMED and timer and timer.officer_id == lead.officer_id:
            return timer.due
        return None

    async def officer_name(self, officer_id: str | None) -> str | None:
        if officer_id is None:
            return None
        if officer_id not in self._names:
            self._names[officer_id] = (await self.bank.get_officer(officer_id)).name
        return self._names[officer_id]

    async def _reference_name(self, kind: str, code: str) -> str:
        key = f"{kind}:{code}"
        if key not in self._names:
            items = await (
                self.bank.list_districts() if kind == "district" else self.bank.list_industries()
            )
            self._names.update({f"{kind}:{item.code}": item.name for item in items})
        return self._names.get(key, code)

    async def _monthly_payment(self, lead: Lead) -> Decimal | None:
        try:
            bounds = await self.calculator.bounds()
            schedule = self.calculator.schedule(
                bounds, lead.amount, lead.term_months, lead.method.value
            )
        except (KeyError, ScheduleError):
            return None
        return schedule.installments[0].total

    async def locale_of(self, member: StaffMember) -> str:
        return await self.preferences.chosen(member.chat_id) or member.locale

    async def render(
        self, card: Card | None, member: StaffMember, lead: Lead, detailed: bool = False
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        facts = await self.facts(lead)
        role = card.role if card else CardRole.WORKER
        team = await self._reassign_choices(member, lead) if role is CardRole.SUPERVISOR else []
        locale = await self.locale_of(member)
        reason = card.reason if card else None
        viewer = views.Viewer(member.officer_id, role is CardRole.SUPERVISOR, reason)
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = views.card_text(facts, viewer, locale, detailed)
            markup = views.card_keyboard(facts, viewer, team, detailed)
        return text, markup

    async def _reassign_choices(self, member: StaffMember, lead: Lead) -> list[tuple[str, str]]:
        return [
            (other.officer_id, other.name)
            for other in await self.directory.everyone()
            if other.supervisor_id == member.officer_id and other.officer_id != lead.officer_id
        ]

    async def show_card(
        self, bot: Bot, member: StaffMember, lead: Lead, role: CardRole, reason: str = ""
    ) -> None:
        """Send the officer's card for the lead, or edit the one already sent."""
        card = await self.cards.card(lead.id, member.officer_id)
        if card is not None and card.role is CardRole.SUPERVISOR and role is CardRole.WORKER:
            card = None  # a supervisor who is now offered the lead gets a working card
        if card is None:
            probe = Card(member.officer_id, member.chat_id, 0, role, reason)
            text, markup = await self.render(probe, member, lead)
            sent = await bot.send_message(member.chat_id, text, reply_markup=markup)
            await self.cards.save(
                lead.id,
                Card(
                    member.officer_id,
                    member.chat_id,
                    sent.message_id,
                    role,
                    reason,
                    _digest(text, markup),
                ),
            )
            return
        await self.edit_card(bot, card, member, lead)

    async def edit_card(
        self, bot: Bot, card: Card, member: StaffMember, lead: Lead, detailed: bool = False
    ) -> None:
        text, markup = await self.render(card, member, lead, detailed)
        digest = _digest(text, markup)
        if digest == card.digest:
            return
        try:
            await bot.edit_message_text(
                text=text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=markup
            )
        except TelegramBadRequest as error:
            log.info("card of lead %s not edited: %s", lead.id, error.message)
        await self.cards.save(lead.id, Card(**{**asdict(card), "digest": digest}))

    async def card_changed(self, lead_id: str, member: StaffMember) -> Card | None:
        """The card now shows something else (a picker, details): the next edit must happen."""
        card = await self.cards.card(lead_id, member.officer_id)
        if card is not None:
            await self.cards.save(lead_id, Card(**{**asdict(card), "digest": ""}))
        return card

    async def refresh_cards(self, bot: Bot, lead: Lead) -> None:
        """Bring every card of the lead up to date and send it to officers newly on it."""
        shown = {card.officer_id for card in await self.cards.cards(lead.id)}
        for card in await self.cards.cards(lead.id):
            member = await self.directory.by_officer(card.officer_id)
            if member is not None:
                await self._safely(self.edit_card(bot, card, member, lead))
        if lead.status in CLOSED:
            return
        for officer_id in (lead.officer_id, lead.co_officer_id):
            member = await self.directory.by_officer(officer_id)
            if member is not None and (
                officer_id not in shown or await self._supervisor_card(lead.id, member)
            ):
                await self._safely(self.show_card(bot, member, lead, CardRole.WORKER))

    async def _supervisor_card(self, lead_id: str, member: StaffMember) -> bool:
        card = await self.cards.card(lead_id, member.officer_id)
        return card is not None and card.role is CardRole.SUPERVISOR

    async def _safely(self, sending: Any) -> None:
        try:
            await sending
        except TelegramForbiddenError:
            log.info("an officer's chat blocked the bot")

    # --- the bank's event feed -----------------------------------------------------------

    async def deliver_officer_events(self, bot: Bot, *, page_size: int = 200) -> int:
        """Read the bank's events after our cursor; send or edit lead cards. Returns how many
        lead events were handled; 0 when another process is reading the feed right now."""
        if not await self.redis.set(LOCK_KEY, "1", nx=True, ex=LOCK_SECONDS):
            return 0
        handled = 0
        try:
            while True:
                raw = await self.redis.get(CURSOR_KEY)
                page = await self.bank.list_events(
                    after=_text(raw) if raw else None, limit=page_size
                )
                for event in page.events:
                    if isinstance(event, LeadStatusChanged):
                        await self._on_lead_event(bot, event)
                        handled += 1
                if not page.events or page.next_cursor is None:
                    return handled
                await self.redis.set(CURSOR_KEY, page.next_cursor)
        finally:
            await self.redis.delete(LOCK_KEY)

    async def _on_lead_event(self, bot: Bot, event: LeadStatusChanged) -> None:
        lead = await self.bank.get_lead(event.lead_id)
        await self._track(lead, event.at)
        await self.refresh_cards(bot, lead)
        if lead.status is LeadStatus.UNASSIGNED:
            await self._escalate(bot, lead, "unassigned")

    async def _track(self, lead: Lead, at: datetime) -> None:
        current = await self.timers.get(lead.id)
        if lead.status is LeadStatus.ROUTED:
            if (
                current
                and current.officer_id == lead.officer_id
                and current.stage in (SlaStage.REMIND, SlaStage.ESCALATE)
            ):
                return
            due = self.policy.claim_reminder_due(at)
            await self.timers.set(SlaTimer(lead.id, SlaStage.REMIND, due, lead.officer_id, at))
        elif lead.status is LeadStatus.CLAIMED and lead.claimed_at is not None:
            if current and current.stage is SlaStage.CONTACT:
                return
            due = self.policy.contact_due(lead.claimed_at)
            await self.timers.set(
                SlaTimer(lead.id, SlaStage.CONTACT, due, lead.officer_id, lead.claimed_at)
            )
        else:
            await self.timers.clear(lead.id)

    # --- SLA -------------------------------------------------------------------------------

    async def run_sla_checks(self, bot: Bot, now: datetime | None = None) -> int:
        """Remind and escalate what is due; returns how many timers fired."""
        fired = 0
        for timer in await self.timers.take_due(now or self.clock.now()):
            lead = await self.bank.get_lead(timer.lead_id)
            fired += await self._fire(bot, timer, lead)
        return fired

    async def _fire(self, bot: Bot, timer: SlaTimer, lead: Lead) -> int:
        still_unclaimed = lead.status in UNCLAIMED and lead.officer_id == timer.officer_id
        if timer.stage is SlaStage.REMIND and still_unclaimed:
            await self._remind(bot, timer, lead)
            due = self.policy.claim_escalation_due(timer.due)
            await self.timers.set(
                SlaTimer(lead.id, SlaStage.ESCALATE, due, lead.officer_id, timer.since)
            )
            return 1
        if timer.stage is SlaStage.ESCALATE and still_unclaimed:
            await self._escalate(bot, lead, "unclaimed")
            return 1
        if timer.stage is SlaStage.CONTACT and lead.status is LeadStatus.CLAIMED:
            await self._escalate(bot, lead, "not_contacted")
            return 1
        return 0

    async def _remind(self, bot: Bot, timer: SlaTimer, lead: Lead) -> None:
        member = await self.directory.by_officer(lead.officer_id)
        if member is None:
            return
        card = await self.cards.card(lead.id, member.officer_id)
        escalation = self.policy.claim_escalation_due(timer.due)
        with self.i18n.context(), self.i18n.use_locale(await self.locale_of(member)):
            text = views.claim_reminder(
                lead.id, escalation, self.policy.calendar.timezone, await self.locale_of(member)
            )
        await self._safely(
            bot.send_message(
                member.chat_id, text, reply_to_message_id=card.message_id if card else None
            )
        )

    async def _escalate(self, bot: Bot, lead: Lead, reason: str) -> None:
        for supervisor in await self._supervisors_of(lead):
            await self._safely(self.show_card(bot, supervisor, lead, CardRole.SUPERVISOR, reason))

    async def _supervisors_of(self, lead: Lead) -> list[StaffMember]:
        if lead.officer_id is not None:
            officer = await self.bank.get_officer(lead.officer_id)
            supervisor = await self.directory.by_officer(officer.supervisor_id)
            return [supervisor] if supervisor else []
        found = []
        for member in await self.directory.everyone():
            if member.is_supervisor and any(
                unclaimed.id == lead.id
                for unclaimed in await self.bank.list_unclaimed_leads(member.officer_id)
            ):
                found.append(member)
        return found

    # --- tasks -----------------------------------------------------------------------------

    async def finish_task(self, member: StaffMember, task_id: str) -> OfficerTask:
        """Done; after a visit the bank plans the next monthly monitoring visit itself."""
        call = self.bank.complete_task(task_id, member.officer_id, TASK_NOTE)
        return await self._task_call(member, task_id, "task_done", call)

    async def postpone_task(self, member: StaffMember, task_id: str) -> OfficerTask:
        """To the next working day."""
        today = self.clock.now().astimezone(self.policy.calendar.zone).date()
        due_on = self.policy.calendar.next_working_day(today)
        call = self.bank.reschedule_task(task_id, member.officer_id, due_on, TASK_NOTE)
        return await self._task_call(member, task_id, "task_reschedule", call)

    async def _task_call(
        self, member: StaffMember, task_id: str, action: str, call: Any
    ) -> OfficerTask:
        try:
            task: OfficerTask = await call
        except BankError as error:
            if error.code in ("forbidden", "not_found", "invalid_state"):
                raise self._refusal(member, task_id, action) from None
            raise DeskError.from_bank(error) from None
        return task

    # --- overdue loans ----------------------------------------------------------------------

    async def overdue(self, member: StaffMember) -> list[views.OverdueCase]:
        """The officer's overdue follow-ups: the loan, and the borrower's kind if recorded."""
        tasks = await self.bank.list_officer_tasks(member.officer_id)
        cases = []
        for task in tasks:
            if task.kind is TaskKind.OVERDUE_FOLLOW_UP:
                loan = await self.bank.get_loan(task.loan_id)
                cases.append(views.OverdueCase(task, loan, await self._kind_of(loan.id)))
        return cases

    async def classify(
        self, member: StaffMember, task_id: str, kind: BorrowerKind
    ) -> ProposedStep | None:
        """Record the borrower's kind; the next step for a person becomes the task's date.

        Messages to the borrower are the reminder worker's overdue timetable, so the
        proposal skips them and names what the officer does next."""
        case = next((c for c in await self.overdue(member) if c.task.id == task_id), None)
        if case is None:
            raise self._refusal(member, task_id, "classify")
        await self.redis.set(f"{KIND_PREFIX}:{case.loan.id}", kind.value)
        today = self.clock.now().astimezone(self.policy.calendar.zone).date()
        taken = 0
        while step := next_step(kind, case.loan.days_overdue, taken, today, self.policy.calendar):
            if step.for_a_person:
                local_day = step.at.astimezone(self.policy.calendar.zone).date()
                note = f"next step: {step.step.value}"
                await self._task_call(
                    member,
                    task_id,
                    "classify",
                    self.bank.reschedule_task(task_id, member.officer_id, local_day, note),
                )
                return step
            taken += 1
        return None

    async def _kind_of(self, loan_id: str) -> BorrowerKind | None:
        raw = await self.redis.get(f"{KIND_PREFIX}:{loan_id}")
        return BorrowerKind(_text(raw)) if raw else None

    # --- the supervisor's team --------------------------------------------------------------

    async def team(self, member: StaffMember) -> list[views.TeamRow]:
        """Per officer of the supervisor who uses the bot: this week's and month's numbers."""
        if not member.is_supervisor:
            raise self._refusal(member, "team", "team")
        history = await self._lead_history()
        zone = self.policy.calendar.zone
        today = self.clock.now().astimezone(zone).date()
        week = datetime.combine(today - timedelta(days=today.weekday()), datetime.min.time(), zone)
        month = datetime.combine(today.replace(day=1), datetime.min.time(), zone)
        rows = []
        for officer in await self.directory.everyone():
            if officer.supervisor_id != member.officer_id:
                continue
            tasks = await self.bank.list_officer_tasks(officer.officer_id)
            overdue = sum(task.kind is TaskKind.OVERDUE_FOLLOW_UP for task in tasks)
            rows.append(
                views.TeamRow(
                    officer.name,
                    officer_stats(history, officer.officer_id, week),
                    officer_stats(history, officer.officer_id, month),
                    overdue,
                )
            )
        return rows

    async def _lead_history(self) -> list[Transition]:
        """Every lead status change in the bank's event feed, oldest first."""
        history: list[Transition] = []
        cursor: str | None = None
        while True:
            page = await self.bank.list_events(after=cursor, limit=500)
            history += [
                Transition(event.lead_id, event.officer_id, event.status.value, event.at)
                for event in page.events
                if isinstance(event, LeadStatusChanged)
            ]
            if not page.events or page.next_cursor in (None, cursor):
                return history
            cursor = page.next_cursor

    # --- queue -----------------------------------------------------------------------------

    async def queue(self, member: StaffMember) -> list[views.QueueItem]:
        """Open leads and tasks, the nearest deadline first (none last)."""
        if member.is_supervisor:
            leads = await self.bank.list_unclaimed_leads(member.officer_id)
            tasks: list[OfficerTask] = []
        else:
            leads = await self.bank.list_officer_queue(member.officer_id)
            tasks = await self.bank.list_officer_tasks(member.officer_id)
        items = [await self._lead_item(lead) for lead in leads]
        items += [
            views.QueueItem(self._end_of(task.due_on), task=task, lead=None) for task in tasks
        ]
        return sorted(
            items, key=lambda item: (item.deadline is None, item.deadline or self.clock.now())
        )

    async def _lead_item(self, lead: Lead) -> views.QueueItem:
        timer = await self.timers.get(lead.id)
        deadline = (
            lead.visit_at
            if lead.status is LeadStatus.VISIT_BOOKED
            else (timer.due if timer else None)
        )
        return views.QueueItem(deadline, task=None, lead=lead)

    def _end_of(self, day: date) -> datetime:
        return self.policy.calendar.closing(day)


def _digest(text: str, markup: InlineKeyboardMarkup | None) -> str:
    shown = text + (markup.model_dump_json() if markup else "")
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()


def _cash_flow_share(details: dict[str, Any]) -> Decimal | None:
    try:
        installment = Decimal(str(details["largest_installment"]))
        cash_flow = Decimal(str(details["net_cash_flow"]))
    except (KeyError, InvalidOperation):
        return None
    return installment / cash_flow if cash_flow > 0 else None


def build_officer_desk(
    redis: Redis,
    bank: BankAdapter,
    clock: Clock,
    i18n: I18n,
    calculator: LoanCalculator,
    *,
    currency: str,
    timezone: str,
    holidays: tuple[date, ...] = (),
    working_weekends: tuple[date, ...] = (),
) -> OfficerDesk:
    calendar = WorkingCalendar(
        timezone=timezone, holidays=frozenset(holidays), extra_workdays=frozenset(working_weekends)
    )
    policy = SlaPolicy(calendar=calendar)
    return OfficerDesk(redis, bank, clock, i18n, calculator, currency=currency, policy=policy)


def _text(raw: object) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)
