"""The offer operations' REST routes, concatenated into `rest_api.ROUTES`."""

from __future__ import annotations

from integrations.bank import models as m
from integrations.bank import offer_models as om
from integrations.bank.rest_routes import Route

OFFER_ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/offers/{offer_id}", "getOffer", "An offer with its schedule", "offers",
          lambda bank, call: bank.get_offer(call.params["offer_id"]), om.Offer),
    Route("GET", "/v1/leads/{lead_id}/offer", "getLeadOffer", "The lead's latest offer",
          "offers", lambda bank, call: bank.get_lead_offer(call.params["lead_id"]), om.Offer),
    Route("POST", "/v1/offers/{offer_id}/codes", "requestOfferCode",
          "Text the applicant a code bound to exactly the offer's terms and payout account",
          "offers", lambda bank, call: bank.request_offer_code(call.params["offer_id"]),
          m.CodeChallenge),
    Route("POST", "/v1/offers/{offer_id}/acceptance", "acceptOffer",
          "Accept the offer with the code: the loan is booked and paid out", "offers",
          lambda bank, call: bank.accept_offer(call.params["offer_id"], call.body),
          om.Offer, body=om.OfferAcceptance),
    Route("GET", "/v1/leads/{lead_id}/decline", "getDecline",
          "The committee's decline as the merchant may be told it", "offers",
          lambda bank, call: bank.get_decline(call.params["lead_id"]), om.Decline),
    Route("GET", "/v1/leads/{lead_id}/timeline", "listLeadTimeline",
          "Everything that happened to the lead, oldest first", "offers",
          lambda bank, call: bank.list_lead_timeline(call.params["lead_id"]),
          list[om.TimelineEntry]),
)  # fmt: skip
