"""`SandboxOffers`: the offer operations of the embedded bank (SMS go out after the commit)."""

from __future__ import annotations

from functools import partial

from integrations.bank.models import CodeChallenge
from integrations.bank.offer_models import Decline, Offer, OfferAcceptance, TimelineEntry
from integrations.bank.sandbox import offers, timeline
from integrations.bank.sandbox.base import SandboxCore


class SandboxOffers(SandboxCore):
    async def get_offer(self, offer_id: str) -> Offer:
        return await self.run(partial(offers.get_offer, offer_id=offer_id))

    async def get_lead_offer(self, lead_id: str) -> Offer:
        return await self.run(partial(offers.get_lead_offer, lead_id=lead_id))

    async def request_offer_code(self, offer_id: str) -> CodeChallenge:
        issued, text = await self.run(partial(offers.request_offer_code, offer_id=offer_id))
        await self._sms.send(issued.phone, text)
        return issued.challenge

    async def accept_offer(self, offer_id: str, acceptance: OfferAcceptance) -> Offer:
        return await self.run(
            partial(offers.accept_offer, offer_id=offer_id, acceptance=acceptance)
        )

    async def get_decline(self, lead_id: str) -> Decline:
        return await self._run_plain(partial(offers.get_decline, lead_id=lead_id))

    async def list_lead_timeline(self, lead_id: str) -> list[TimelineEntry]:
        return await self._run_plain(partial(timeline.lead_timeline, lead_id=lead_id))
