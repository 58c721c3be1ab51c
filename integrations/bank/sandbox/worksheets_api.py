"""The worksheet's part of the sandbox bank: each call one transaction."""

from __future__ import annotations

from functools import partial

from integrations.bank.sandbox import worksheets
from integrations.bank.sandbox.base import SandboxCore
from integrations.bank.worksheet_models import (
    WorksheetReview,
    WorksheetReviewRequest,
    WorksheetSave,
    WorksheetVersion,
)


class SandboxWorksheets(SandboxCore):
    async def save_worksheet(self, lead_id: str, save: WorksheetSave) -> WorksheetVersion:
        return await self.run(partial(worksheets.save_worksheet, lead_id=lead_id, save=save))

    async def latest_worksheet(self, lead_id: str) -> WorksheetVersion:
        return await self._run_plain(partial(worksheets.latest_worksheet, lead_id=lead_id))

    async def list_worksheets(self, lead_id: str) -> list[WorksheetVersion]:
        return await self._run_plain(partial(worksheets.list_worksheets, lead_id=lead_id))

    async def review_worksheet(
        self, lead_id: str, review: WorksheetReviewRequest
    ) -> WorksheetReview:
        return await self.run(partial(worksheets.review_worksheet, lead_id=lead_id, review=review))
