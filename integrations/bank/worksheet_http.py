"""The worksheet's part of the REST bank adapter."""

from __future__ import annotations

from integrations.bank.http_transport import HttpTransport, segment
from integrations.bank.worksheet_models import (
    WorksheetReview,
    WorksheetReviewRequest,
    WorksheetSave,
    WorksheetVersion,
)


class HttpWorksheets(HttpTransport):
    async def save_worksheet(self, lead_id: str, save: WorksheetSave) -> WorksheetVersion:
        path = f"/v1/leads/{segment(lead_id)}/worksheets"
        return await self._post(path, save, WorksheetVersion)

    async def latest_worksheet(self, lead_id: str) -> WorksheetVersion:
        path = f"/v1/leads/{segment(lead_id)}/worksheets/latest"
        return await self._get(path, WorksheetVersion)

    async def list_worksheets(self, lead_id: str) -> list[WorksheetVersion]:
        return await self._get(f"/v1/leads/{segment(lead_id)}/worksheets", list[WorksheetVersion])

    async def review_worksheet(
        self, lead_id: str, review: WorksheetReviewRequest
    ) -> WorksheetReview:
        path = f"/v1/leads/{segment(lead_id)}/worksheet-reviews"
        return await self._post(path, review, WorksheetReview)
