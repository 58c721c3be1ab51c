"""What the bank does for an officer's visit: check-ins under the distance rule, evidence
documents with their EXIF verdicts, and the pre-loan checklist."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from integrations.bank.fieldwork_models import (
    CheckIn,
    CheckInRequest,
    Checklist,
    ChecklistTickRequest,
    Document,
    DocumentUpload,
)


@runtime_checkable
class FieldworkOperations(Protocol):
    async def check_in(self, lead_id: str, request: CheckInRequest) -> CheckIn:
        """Record the officer (or co-investigator) at the business of a claimed lead with a
        booked visit. Farther than the bank's limit from the merchant's shared location
        (else the district's centre) without a reason: TooFarToCheckIn, nothing recorded."""

    async def list_check_ins(self, lead_id: str) -> list[CheckIn]:
        """Oldest first."""

    async def upload_document(self, lead_id: str, upload: DocumentUpload) -> Document:
        """Store the file with the lead; DocumentRefused for an empty, too large or
        unsupported file. The answer names other leads holding the same file."""

    async def list_documents(self, lead_id: str) -> list[Document]:
        """Oldest first, each with the other leads holding the same file."""

    async def read_document(self, document_id: str) -> bytes:
        """The file's bytes as stored (its metadata: `list_documents`); NotFound else."""

    async def get_checklist(self, lead_id: str) -> Checklist:
        """Every item in the checklist's order, required ones as the lead's product says."""

    async def tick_checklist(self, lead_id: str, tick: ChecklistTickRequest) -> Checklist:
        """Tick an item with a note (or take the tick back); officers on the lead only."""
