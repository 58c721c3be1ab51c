"""The visit's REST routes: check-ins, the document store (upload and download, the file's
raw bytes as the body), the checklist."""

from __future__ import annotations

from integrations.bank import fieldwork_models as f
from integrations.bank.rest_routes import Route

FIELDWORK_ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/leads/{lead_id}/check-ins", "checkIn",
          "Check in at the business (the distance rule; a reason when farther)", "visits",
          lambda bank, call: bank.check_in(call.params["lead_id"], call.body), f.CheckIn,
          body=f.CheckInRequest),
    Route("GET", "/v1/leads/{lead_id}/check-ins", "listCheckIns", "A lead's check-ins",
          "visits", lambda bank, call: bank.list_check_ins(call.params["lead_id"]),
          list[f.CheckIn]),
    Route("POST", "/v1/leads/{lead_id}/documents", "uploadDocument",
          "Store an evidence file with the lead: the body is the file (octet-stream), the "
          "officer and kind are in the query; size and type limits", "visits",
          lambda bank, call: bank.upload_document(call.params["lead_id"], call.body),
          f.Document, body=f.DocumentUpload, file_field="content"),
    Route("GET", "/v1/leads/{lead_id}/documents", "listDocuments",
          "A lead's evidence files with their EXIF verdicts and the same file elsewhere",
          "visits", lambda bank, call: bank.list_documents(call.params["lead_id"]),
          list[f.Document]),
    Route("GET", "/v1/documents/{document_id}/content", "readDocument",
          "An evidence file's bytes as stored (application/octet-stream)", "visits",
          lambda bank, call: bank.read_document(call.params["document_id"]), bytes),
    Route("GET", "/v1/leads/{lead_id}/checklist", "getChecklist",
          "The pre-loan checklist with ticks, notes and the product's required items",
          "visits", lambda bank, call: bank.get_checklist(call.params["lead_id"]),
          f.Checklist),
    Route("POST", "/v1/leads/{lead_id}/checklist", "tickChecklist",
          "Tick a checklist item with a note, or take the tick back", "visits",
          lambda bank, call: bank.tick_checklist(call.params["lead_id"], call.body),
          f.Checklist, body=f.ChecklistTickRequest),
)  # fmt: skip
