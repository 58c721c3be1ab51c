"""`SandboxCommittee`: the credit committee's operations of the embedded bank."""

from __future__ import annotations

from functools import partial

from integrations.bank.committee_models import (
    CaseAnswer,
    CasePack,
    Committee,
    CommitteeCase,
    CommitteeReadiness,
    CommitteeSubmission,
    VoteRequest,
)
from integrations.bank.sandbox import committee, committee_pack, committee_votes
from integrations.bank.sandbox.base import SandboxCore


class SandboxCommittee(SandboxCore):
    async def list_committees(self) -> list[Committee]:
        return await self._run_plain(committee.list_committees)

    async def committee_readiness(self, lead_id: str) -> CommitteeReadiness:
        return await self.run(partial(committee.readiness, lead_id=lead_id))

    async def send_to_committee(
        self, lead_id: str, submission: CommitteeSubmission
    ) -> CommitteeCase:
        return await self.run(
            partial(committee.send_to_committee, lead_id=lead_id, submission=submission)
        )

    async def get_committee_case(self, case_id: str) -> CommitteeCase:
        return await self._run_plain(partial(committee.get_case, case_id=case_id))

    async def latest_committee_case(self, lead_id: str) -> CommitteeCase:
        return await self._run_plain(partial(committee.latest_case, lead_id=lead_id))

    async def get_case_pack(self, case_id: str, viewer_id: str) -> CasePack:
        return await self.run(
            partial(committee_pack.case_pack, case_id=case_id, viewer_id=viewer_id)
        )

    async def cast_vote(self, case_id: str, request: VoteRequest) -> CommitteeCase:
        return await self.run(partial(committee_votes.cast_vote, case_id=case_id, request=request))

    async def answer_committee(self, case_id: str, answer: CaseAnswer) -> CommitteeCase:
        return await self.run(partial(committee.answer_committee, case_id=case_id, answer=answer))
