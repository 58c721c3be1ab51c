"""The worksheet's operations of the BankAdapter: the presenting officer saves versions, the
co-investigator reviews the latest one once checked in at the business."""

from typing import Protocol

from integrations.bank.worksheet_models import (
    WorksheetReview,
    WorksheetReviewRequest,
    WorksheetSave,
    WorksheetVersion,
)


class WorksheetOperations(Protocol):
    async def save_worksheet(self, lead_id: str, save: WorksheetSave) -> WorksheetVersion:
        """A new version by the lead's officer (Forbidden for anyone else, InvalidState
        before the claim or once the lead is closed)."""
        ...

    async def latest_worksheet(self, lead_id: str) -> WorksheetVersion:
        """NotFound("worksheet") while none was saved."""
        ...

    async def list_worksheets(self, lead_id: str) -> list[WorksheetVersion]:
        """Every version, oldest first, each with its reviews."""
        ...

    async def review_worksheet(
        self, lead_id: str, review: WorksheetReviewRequest
    ) -> WorksheetReview:
        """Only the lead's co_officer_id (Forbidden otherwise), only on the latest version
        (InvalidState "stale_version"), only after their check-in within the distance or
        with a reason (CheckInRequired). A second review of a version replaces the first."""
        ...
