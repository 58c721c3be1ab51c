"""The worksheet's REST routes, concatenated into `rest_api.ROUTES`."""

from __future__ import annotations

from integrations.bank.rest_routes import Route
from integrations.bank.worksheet_models import (
    WorksheetReview,
    WorksheetReviewRequest,
    WorksheetSave,
    WorksheetVersion,
)

WORKSHEET_ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/leads/{lead_id}/worksheets", "saveWorksheet",
          "Save a new version of the lead's worksheet (its officer)", "worksheets",
          lambda bank, call: bank.save_worksheet(call.params["lead_id"], call.body),
          WorksheetVersion, body=WorksheetSave),
    Route("GET", "/v1/leads/{lead_id}/worksheets/latest", "getLatestWorksheet",
          "The latest version of the lead's worksheet, with its reviews", "worksheets",
          lambda bank, call: bank.latest_worksheet(call.params["lead_id"]), WorksheetVersion),
    Route("GET", "/v1/leads/{lead_id}/worksheets", "listWorksheets",
          "Every version of the lead's worksheet, oldest first", "worksheets",
          lambda bank, call: bank.list_worksheets(call.params["lead_id"]),
          list[WorksheetVersion]),
    Route("POST", "/v1/leads/{lead_id}/worksheet-reviews", "reviewWorksheet",
          "The co-investigator confirms the latest version or dissents (after checking in)",
          "worksheets",
          lambda bank, call: bank.review_worksheet(call.params["lead_id"], call.body),
          WorksheetReview, body=WorksheetReviewRequest),
)  # fmt: skip
