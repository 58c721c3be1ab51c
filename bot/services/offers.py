"""The merchant's offer as a use case: only the merchant who applied (the lead's owner, as
the lead outbox recorded them) sees it and may accept it; accepting asks the bank for a
code bound to exactly the offer and hands the typed code back to the bank."""

from __future__ import annotations

import json
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.redis_keys import LEADS
from bot.services.lead_outbox import Recipient
from integrations.bank.errors import (
    BankError,
    CodeExpired,
    InvalidCode,
    InvalidState,
    NotFound,
    TooManyAttempts,
)
from integrations.bank.models import CodeChallenge
from integrations.bank.offer_models import Decline, Offer, OfferAcceptance, OfferStatus
from integrations.bank.protocol import BankAdapter


class OfferLookupError(Exception):
    """The bank did not answer; nothing changed."""


class NotTheirOffer(Exception):
    """No such offer, or it belongs to another merchant's lead."""


@dataclass(frozen=True)
class CodeSent:
    offer: Offer
    challenge: CodeChallenge


@dataclass(frozen=True)
class OfferClosed:
    """The offer is no longer open: expired, withdrawn, or accepted already."""

    offer: Offer


@dataclass(frozen=True)
class Accepted:
    offer: Offer


@dataclass(frozen=True)
class WrongCode:
    attempts_left: int


@dataclass(frozen=True)
class Blocked:
    retry_after_seconds: int


@dataclass(frozen=True)
class StaleCode:
    """The code expired or was replaced: ask for a new one."""


CodeOutcome = CodeSent | OfferClosed | Blocked
AcceptOutcome = Accepted | WrongCode | Blocked | StaleCode | OfferClosed


class OfferService:
    def __init__(self, bank: BankAdapter, redis: Redis) -> None:
        self.bank = bank
        self.redis = redis

    async def owner(self, lead_id: str) -> Recipient | None:
        """The merchant who applied for the lead from this bot, if any."""
        raw = await self.redis.get(LEADS.owner(lead_id))
        return Recipient(**json.loads(raw)) if raw is not None else None

    async def offer(self, offer_id: str) -> Offer:
        """The offer as the bank has it now (for news of it, not for a user's press)."""
        return await self.bank.get_offer(offer_id)

    async def own_offer(self, user_id: int, offer_id: str) -> Offer:
        try:
            offer = await self.bank.get_offer(offer_id)
        except NotFound:
            raise NotTheirOffer() from None
        except BankError:
            raise OfferLookupError() from None
        recipient = await self.owner(offer.lead_id)
        if recipient is None or recipient.user_id != user_id:
            raise NotTheirOffer()
        return offer

    async def request_code(self, user_id: int, offer_id: str) -> CodeOutcome:
        offer = await self.own_offer(user_id, offer_id)
        if offer.status is not OfferStatus.OPEN:
            return OfferClosed(offer)
        try:
            challenge = await self.bank.request_offer_code(offer_id)
        except InvalidState:
            return OfferClosed(await self.own_offer(user_id, offer_id))
        except TooManyAttempts as error:
            return Blocked(error.retry_after_seconds)
        except BankError:
            raise OfferLookupError() from None
        return CodeSent(offer, challenge)

    async def accept(
        self, user_id: int, offer_id: str, challenge_id: str, code: str
    ) -> AcceptOutcome:
        await self.own_offer(user_id, offer_id)
        acceptance = OfferAcceptance(challenge_id=challenge_id, code=code)
        try:
            return Accepted(await self.bank.accept_offer(offer_id, acceptance))
        except InvalidCode as error:
            return WrongCode(error.attempts_left)
        except TooManyAttempts as error:
            return Blocked(error.retry_after_seconds)
        except (CodeExpired, NotFound):
            return StaleCode()
        except InvalidState:
            return OfferClosed(await self.own_offer(user_id, offer_id))
        except BankError:
            raise OfferLookupError() from None

    async def decline(self, lead_id: str) -> Decline | None:
        """The committee's decline as the merchant may hear it; None if it was not one."""
        try:
            return await self.bank.get_decline(lead_id)
        except NotFound:
            return None
