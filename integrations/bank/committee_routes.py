"""The credit committee's REST routes, joined into `rest_api.ROUTES`."""

from __future__ import annotations

from integrations.bank import committee_models as c
from integrations.bank.rest_routes import Parameter, Route

VIEWER_QUERY = (Parameter("viewer_id", "query"),)

COMMITTEE_ROUTES: tuple[Route, ...] = (
    Route("GET", "/v1/committees", "listCommittees", "The credit committees and members",
          "committee", lambda bank, call: bank.list_committees(), list[c.Committee]),
    Route("GET", "/v1/leads/{lead_id}/committee-readiness", "committeeReadiness",
          "What still stops the lead's case from going to committee", "committee",
          lambda bank, call: bank.committee_readiness(call.params["lead_id"]),
          c.CommitteeReadiness),
    Route("POST", "/v1/leads/{lead_id}/committee", "sendToCommittee",
          "Send a ready case to the committee whose authority covers it", "committee",
          lambda bank, call: bank.send_to_committee(call.params["lead_id"], call.body),
          c.CommitteeCase, body=c.CommitteeSubmission),
    Route("GET", "/v1/leads/{lead_id}/committee", "latestCommitteeCase",
          "The lead's newest committee case", "committee",
          lambda bank, call: bank.latest_committee_case(call.params["lead_id"]),
          c.CommitteeCase),
    Route("GET", "/v1/committee-cases/{case_id}", "getCommitteeCase", "A committee case",
          "committee", lambda bank, call: bank.get_committee_case(call.params["case_id"]),
          c.CommitteeCase),
    Route("GET", "/v1/committee-cases/{case_id}/pack", "getCasePack",
          "What the committee reads about the case", "committee",
          lambda bank, call: bank.get_case_pack(
              call.params["case_id"], call.params["viewer_id"]),
          c.CasePack, query=VIEWER_QUERY),
    Route("POST", "/v1/committee-cases/{case_id}/votes", "castVote",
          "A member's vote, changeable until the decision", "committee",
          lambda bank, call: bank.cast_vote(call.params["case_id"], call.body),
          c.CommitteeCase, body=c.VoteRequest),
    Route("POST", "/v1/committee-cases/{case_id}/answer", "answerCommittee",
          "The presenter's answer to the committee's question", "committee",
          lambda bank, call: bank.answer_committee(call.params["case_id"], call.body),
          c.CommitteeCase, body=c.CaseAnswer),
)  # fmt: skip
