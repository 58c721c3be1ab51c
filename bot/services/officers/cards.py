"""Lead cards: one message per officer and lead, sent once and then edited in place.

Cards are queued on the outbound pipeline, never sent here. A card's first message has the
key `card:<lead>:<officer>:<role>`, so it is sent once however often it is asked for; each
edit replaces that message and has its own key (the revision and a digest of what it
shows), so asking twice for the same edit sends one, and a card changed back to what it
showed earlier is still edited. Revisions are handed out by Redis, one at a time, so two
edits at the same moment get two; the Sender applies the higher one last."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from enum import StrEnum

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.redis_keys import OFFICERS
from bot.services.officers.facts import LeadFactsSource
from bot.services.officers.staff import StaffDirectory, StaffMember
from bot.services.outbound import Outbox, OutgoingMessage, Priority
from bot.views import officers as views
from integrations.bank.models import Lead


class CardRole(StrEnum):
    WORKER = "worker"  # offered to, claimed by or co-investigating
    SUPERVISOR = "supervisor"  # escalated


@dataclass(frozen=True)
class Card:
    officer_id: str
    chat_id: int
    role: CardRole
    first_key: str  # the outbound key of the card's first message, which edits replace
    reason: str = ""  # why a supervisor got it: unclaimed, not_contacted, unassigned
    digest: str = ""  # of what the card was last asked to show
    revision: int = 0

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, raw: bytes | str) -> Card:
        data = json.loads(raw)
        data["role"] = CardRole(data["role"])
        return cls(**data)


# The next revision of one officer's card: never below what the card last recorded.
NEXT_REVISION_SCRIPT = """
local revision = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if revision <= tonumber(ARGV[2]) then
  revision = tonumber(ARGV[2]) + 1
  redis.call('HSET', KEYS[1], ARGV[1], revision)
end
return revision
"""

# A card is saved with an edit's revision only while no later revision was handed out.
SAVE_IF_LATEST_SCRIPT = """
if tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0') > tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
"""


class CardRegistry:
    """lead -> the card messages showing it, one per officer."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._next_revision = redis.register_script(NEXT_REVISION_SCRIPT)
        self._save_if_latest = redis.register_script(SAVE_IF_LATEST_SCRIPT)

    async def next_revision(self, lead_id: str, card: Card) -> int:
        args: list[str | int] = [card.officer_id, card.revision]
        return int(await self._next_revision(keys=[OFFICERS.card_revisions(lead_id)], args=args))

    async def save_revision(self, lead_id: str, card: Card) -> None:
        """Save an edited card unless a later edit of it was begun meanwhile."""
        keys = [OFFICERS.cards(lead_id), OFFICERS.card_revisions(lead_id)]
        await self._save_if_latest(keys=keys, args=[card.officer_id, card.revision, card.dumps()])

    async def cards(self, lead_id: str) -> list[Card]:
        raw = await self.redis.hgetall(OFFICERS.cards(lead_id))  # type: ignore[misc]  # redis-py 7 types
        return sorted((Card.loads(value) for value in raw.values()), key=lambda c: c.officer_id)

    async def card(self, lead_id: str, officer_id: str) -> Card | None:
        raw = await self.redis.hget(OFFICERS.cards(lead_id), officer_id)  # type: ignore[misc]  # redis-py 7 types
        return None if raw is None else Card.loads(raw)

    async def save(self, lead_id: str, card: Card) -> None:
        await self.redis.hset(OFFICERS.cards(lead_id), card.officer_id, card.dumps())  # type: ignore[misc]  # redis-py 7 types


class LeadCards:
    def __init__(
        self,
        i18n: I18n,
        directory: StaffDirectory,
        registry: CardRegistry,
        facts: LeadFactsSource,
        outbox: Outbox,
    ) -> None:
        self.i18n = i18n
        self.directory = directory
        self.registry = registry
        self.facts = facts
        self.outbox = outbox

    async def render(
        self, card: Card | None, member: StaffMember, lead: Lead, detailed: bool = False
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        facts = await self.facts.facts(lead)
        role = card.role if card else CardRole.WORKER
        team = await self.reassign_choices(member, lead) if role is CardRole.SUPERVISOR else []
        locale = await self.directory.locale_of(member)
        reason = card.reason if card else None
        viewer = views.Viewer(member.officer_id, role is CardRole.SUPERVISOR, reason)
        with self.i18n.context(), self.i18n.use_locale(locale):
            text = views.card_text(facts, viewer, locale, detailed)
            markup = views.card_keyboard(facts, viewer, team, detailed)
        return text, markup

    async def reassign_choices(self, member: StaffMember, lead: Lead) -> list[tuple[str, str]]:
        """The supervisor's officers the lead may go to: (officer id, name)."""
        return [
            (other.officer_id, other.name)
            for other in await self.directory.team_of(member)
            if other.officer_id != lead.officer_id
        ]

    async def show(self, member: StaffMember, lead: Lead, role: CardRole, reason: str = "") -> None:
        """Queue the officer's card for the lead, or the edit of the one already there."""
        card = await self.registry.card(lead.id, member.officer_id)
        if card is not None and card.role is CardRole.SUPERVISOR and role is CardRole.WORKER:
            card = None  # a supervisor who is now offered the lead gets a working card
        if card is not None:
            await self.edit(card, member, lead)
            return
        await self._first(member, lead, role, reason)

    async def _first(self, member: StaffMember, lead: Lead, role: CardRole, reason: str) -> None:
        await self._send_new(
            member, lead, role, reason, f"card:{lead.id}:{member.officer_id}:{role.value}"
        )

    async def _send_new(
        self, member: StaffMember, lead: Lead, role: CardRole, reason: str, first_key: str
    ) -> None:
        """A new card message (idempotent by `first_key`); later edits change this one."""
        card = Card(member.officer_id, member.chat_id, role, first_key, reason)
        text, markup = await self.render(card, member, lead)
        await self.outbox.enqueue(
            OutgoingMessage(
                key=first_key,
                chat_id=member.chat_id,
                text=text,
                markup=markup,
                priority=Priority.URGENT,
            )
        )
        await self.registry.save(lead.id, replace(card, digest=_digest(text, markup)))

    async def reopen(self, member: StaffMember, lead: Lead, request: str) -> None:
        """Send the officer's card again, as the chat's newest message (once per `request`);
        from now on edits change this copy."""
        card = await self.registry.card(lead.id, member.officer_id)
        on_lead = member.officer_id in (lead.officer_id, lead.co_officer_id)
        role = CardRole.WORKER if on_lead else CardRole.SUPERVISOR
        reason = card.reason if card is not None and card.role is role else "queued"
        first_key = f"card:{lead.id}:{member.officer_id}:{role.value}:{request}"
        await self._send_new(member, lead, role, reason, first_key)

    async def edit(
        self, card: Card, member: StaffMember, lead: Lead, detailed: bool = False
    ) -> None:
        text, markup = await self.render(card, member, lead, detailed)
        digest = _digest(text, markup)
        if digest == card.digest:
            return
        revision = await self.registry.next_revision(lead.id, card)
        await self.outbox.enqueue(
            OutgoingMessage(
                key=f"{card.first_key}:{revision}:{digest}",
                chat_id=card.chat_id,
                text=text,
                markup=markup,
                replaces=card.first_key,
                revision=revision,
                priority=Priority.URGENT,
            )
        )
        await self.registry.save_revision(lead.id, replace(card, digest=digest, revision=revision))

    async def changed(self, lead_id: str, member: StaffMember) -> Card | None:
        """The card now shows something else (a picker, details): the next edit must happen."""
        card = await self.registry.card(lead_id, member.officer_id)
        if card is not None:
            await self.registry.save(lead_id, replace(card, digest=""))
        return card

    async def refresh(self, lead: Lead) -> None:
        """Bring every card of the lead up to date and send it to officers newly on it."""
        cards = await self.registry.cards(lead.id)
        for card in cards:
            member = await self.directory.by_officer(card.officer_id)
            if member is not None:
                await self.edit(card, member, lead)
        if lead.status in views.CLOSED:
            return
        shown = {card.officer_id: card for card in cards}
        for officer_id in (lead.officer_id, lead.co_officer_id):
            member = await self.directory.by_officer(officer_id)
            if member is None:
                continue
            existing = shown.get(member.officer_id)
            if existing is None or existing.role is CardRole.SUPERVISOR:
                await self._first(member, lead, CardRole.WORKER, "")  # no working card: read above


def _digest(text: str, markup: InlineKeyboardMarkup | None) -> str:
    shown = text + (markup.model_dump_json() if markup else "")
    return hashlib.blake2b(shown.encode(), digest_size=8).hexdigest()
