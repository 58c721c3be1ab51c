"""`SandboxFieldwork`: the visit's operations of the embedded bank (check-ins, the document
store, the checklist), each one transaction."""

from __future__ import annotations

from functools import partial

from integrations.bank.fieldwork_models import (
    CheckIn,
    CheckInRequest,
    Checklist,
    ChecklistTickRequest,
    Document,
    DocumentUpload,
)
from integrations.bank.sandbox import documents, fieldwork
from integrations.bank.sandbox.base import SandboxCore


class SandboxFieldwork(SandboxCore):
    async def check_in(self, lead_id: str, request: CheckInRequest) -> CheckIn:
        return await self.run(partial(fieldwork.check_in, lead_id=lead_id, request=request))

    async def list_check_ins(self, lead_id: str) -> list[CheckIn]:
        return await self._run_plain(partial(fieldwork.list_check_ins, lead_id=lead_id))

    async def upload_document(self, lead_id: str, upload: DocumentUpload) -> Document:
        return await self.run(
            partial(
                documents.upload_document, data_dir=self.data_dir, lead_id=lead_id, upload=upload
            )
        )

    async def list_documents(self, lead_id: str) -> list[Document]:
        return await self._run_plain(partial(documents.list_documents, lead_id=lead_id))

    async def read_document(self, document_id: str) -> bytes:
        return await self._run_plain(
            partial(documents.read_document, data_dir=self.data_dir, document_id=document_id)
        )

    async def get_checklist(self, lead_id: str) -> Checklist:
        return await self.run(partial(fieldwork.get_checklist, lead_id=lead_id))

    async def tick_checklist(self, lead_id: str, tick: ChecklistTickRequest) -> Checklist:
        return await self.run(partial(fieldwork.tick_checklist, lead_id=lead_id, tick=tick))
