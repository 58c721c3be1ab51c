"""`HttpFieldwork`: the visit's operations over the REST API (`fieldwork_routes.py`)."""

from __future__ import annotations

from integrations.bank.fieldwork_models import (
    CheckIn,
    CheckInRequest,
    Checklist,
    ChecklistTickRequest,
    Document,
    DocumentUpload,
)
from integrations.bank.http_transport import HttpTransport
from integrations.bank.http_transport import segment as _segment


class HttpFieldwork(HttpTransport):
    async def check_in(self, lead_id: str, request: CheckInRequest) -> CheckIn:
        return await self._post(f"/v1/leads/{_segment(lead_id)}/check-ins", request, CheckIn)

    async def list_check_ins(self, lead_id: str) -> list[CheckIn]:
        return await self._get(f"/v1/leads/{_segment(lead_id)}/check-ins", list[CheckIn])

    async def upload_document(self, lead_id: str, upload: DocumentUpload) -> Document:
        query = upload.model_dump(mode="json", exclude={"content"})
        path = f"/v1/leads/{_segment(lead_id)}/documents"
        return await self._post_file(path, upload.content, query, Document)

    async def list_documents(self, lead_id: str) -> list[Document]:
        return await self._get(f"/v1/leads/{_segment(lead_id)}/documents", list[Document])

    async def read_document(self, document_id: str) -> bytes:
        return await self._get_bytes(f"/v1/documents/{_segment(document_id)}/content")

    async def get_checklist(self, lead_id: str) -> Checklist:
        return await self._get(f"/v1/leads/{_segment(lead_id)}/checklist", Checklist)

    async def tick_checklist(self, lead_id: str, tick: ChecklistTickRequest) -> Checklist:
        return await self._post(f"/v1/leads/{_segment(lead_id)}/checklist", tick, Checklist)
