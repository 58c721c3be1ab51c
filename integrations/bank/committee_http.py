"""`HttpCommittee`: the credit committee's operations over the REST API."""

from __future__ import annotations

from integrations.bank import committee_models as c
from integrations.bank.http_transport import HttpTransport
from integrations.bank.http_transport import segment as _segment


class HttpCommittee(HttpTransport):
    async def list_committees(self) -> list[c.Committee]:
        return await self._get("/v1/committees", list[c.Committee])

    async def committee_readiness(self, lead_id: str) -> c.CommitteeReadiness:
        path = f"/v1/leads/{_segment(lead_id)}/committee-readiness"
        return await self._get(path, c.CommitteeReadiness)

    async def send_to_committee(
        self, lead_id: str, submission: c.CommitteeSubmission
    ) -> c.CommitteeCase:
        path = f"/v1/leads/{_segment(lead_id)}/committee"
        return await self._post(path, submission, c.CommitteeCase)

    async def get_committee_case(self, case_id: str) -> c.CommitteeCase:
        return await self._get(f"/v1/committee-cases/{_segment(case_id)}", c.CommitteeCase)

    async def latest_committee_case(self, lead_id: str) -> c.CommitteeCase:
        path = f"/v1/leads/{_segment(lead_id)}/committee"
        return await self._get(path, c.CommitteeCase)

    async def get_case_pack(self, case_id: str, viewer_id: str) -> c.CasePack:
        path = f"/v1/committee-cases/{_segment(case_id)}/pack"
        return await self._get(path, c.CasePack, {"viewer_id": viewer_id})

    async def cast_vote(self, case_id: str, request: c.VoteRequest) -> c.CommitteeCase:
        path = f"/v1/committee-cases/{_segment(case_id)}/votes"
        return await self._post(path, request, c.CommitteeCase)

    async def answer_committee(self, case_id: str, answer: c.CaseAnswer) -> c.CommitteeCase:
        path = f"/v1/committee-cases/{_segment(case_id)}/answer"
        return await self._post(path, answer, c.CommitteeCase)
