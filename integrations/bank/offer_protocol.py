"""`OfferOperations`: the merchant's offer, its acceptance with a one-time code, the
committee's decline as the merchant may hear it, and a lead's timeline."""

from typing import Protocol

from integrations.bank.models import CodeChallenge
from integrations.bank.offer_models import Decline, Offer, OfferAcceptance, TimelineEntry


class OfferOperations(Protocol):
    async def get_offer(self, offer_id: str) -> Offer: ...

    async def get_lead_offer(self, lead_id: str) -> Offer:
        """The lead's latest offer (open, accepted or expired); NotFound if it has none."""
        ...

    async def request_offer_code(self, offer_id: str) -> CodeChallenge:
        """Text the applicant a code bound to exactly the offer's terms and payout account;
        InvalidState unless the offer is open."""
        ...

    async def accept_offer(self, offer_id: str, acceptance: OfferAcceptance) -> Offer:
        """Accept with the code: the bank books and pays out the loan. A wrong code counts
        (InvalidCode, TooManyAttempts); an offer no longer open is InvalidState; the same
        challenge again returns the accepted offer."""
        ...

    async def get_decline(self, lead_id: str) -> Decline:
        """The committee's decline of the lead; NotFound if it was not declined."""
        ...

    async def list_lead_timeline(self, lead_id: str) -> list[TimelineEntry]:
        """Everything that happened to the lead, oldest first."""
        ...
