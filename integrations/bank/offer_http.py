"""`HttpOffers`: the offer operations over the bank's REST API."""

from __future__ import annotations

from pydantic import BaseModel

from integrations.bank.http_transport import HttpTransport, segment
from integrations.bank.models import CodeChallenge
from integrations.bank.offer_models import Decline, Offer, OfferAcceptance, TimelineEntry


class _NoBody(BaseModel):
    pass


class HttpOffers(HttpTransport):
    async def get_offer(self, offer_id: str) -> Offer:
        return await self._get(f"/v1/offers/{segment(offer_id)}", Offer)

    async def get_lead_offer(self, lead_id: str) -> Offer:
        return await self._get(f"/v1/leads/{segment(lead_id)}/offer", Offer)

    async def request_offer_code(self, offer_id: str) -> CodeChallenge:
        path = f"/v1/offers/{segment(offer_id)}/codes"
        return await self._post(path, _NoBody(), CodeChallenge)

    async def accept_offer(self, offer_id: str, acceptance: OfferAcceptance) -> Offer:
        # Repeatable: the bank answers the same challenge again with the accepted offer.
        path = f"/v1/offers/{segment(offer_id)}/acceptance"
        return await self._post(path, acceptance, Offer, repeatable=True)

    async def get_decline(self, lead_id: str) -> Decline:
        return await self._get(f"/v1/leads/{segment(lead_id)}/decline", Decline)

    async def list_lead_timeline(self, lead_id: str) -> list[TimelineEntry]:
        path = f"/v1/leads/{segment(lead_id)}/timeline"
        return await self._get(path, list[TimelineEntry])
