"""The credit committee's part of the bank contract (贷审会)."""

from typing import Protocol

from integrations.bank.committee_models import (
    CaseAnswer,
    CasePack,
    Committee,
    CommitteeCase,
    CommitteeReadiness,
    CommitteeSubmission,
    VoteRequest,
)


class CommitteeOperations(Protocol):
    async def list_committees(self) -> list[Committee]:
        """The committees with their members, smallest authority first."""

    async def committee_readiness(self, lead_id: str) -> CommitteeReadiness:
        """What the bank would refuse a send for, now; for the lead's officers."""

    async def send_to_committee(
        self, lead_id: str, submission: CommitteeSubmission
    ) -> CommitteeCase:
        """Only the claiming officer, only a ready case: NotReady names what is missing
        (checklist items, the worksheet, the co-investigator's check-in and review). The
        bank picks the committee whose authority covers the amount."""

    async def get_committee_case(self, case_id: str) -> CommitteeCase: ...

    async def latest_committee_case(self, lead_id: str) -> CommitteeCase:
        """The lead's newest case; NotFound when it never went to committee."""

    async def get_case_pack(self, case_id: str, viewer_id: str) -> CasePack:
        """For the committee's members and the lead's officers; Forbidden for others."""

    async def cast_vote(self, case_id: str, request: VoteRequest) -> CommitteeCase:
        """Forbidden for the presenter, the co-investigator and non-members; InvalidState
        once the case is decided or waits for the officer's answer."""

    async def answer_committee(self, case_id: str, answer: CaseAnswer) -> CommitteeCase:
        """The presenter answers "ask for more": the new case that goes to the vote."""
