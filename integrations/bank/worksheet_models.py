"""The officer's worksheet at the bank: versions of its body (a JSON object the bot's domain
defines) and the co-investigator's review of the latest one (双人调查)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, model_validator

from integrations.bank.models import Identifier, Model, Request, Text, UtcDatetime

MAX_BODY_CHARS = 20_000  # of the body's JSON


class ReviewVerdict(StrEnum):
    CONFIRMED = "confirmed"
    DISSENT = "dissent"


class WorksheetSave(Request):
    officer_id: Identifier
    body: dict[str, Any]


class WorksheetReviewRequest(Request):
    """The co-investigator's verdict on the version they saw; a dissent says why."""

    officer_id: Identifier
    version: Annotated[int, Field(ge=1)]
    verdict: ReviewVerdict
    note: Text = ""

    @model_validator(mode="after")
    def _dissent_says_why(self) -> WorksheetReviewRequest:
        if self.verdict is ReviewVerdict.DISSENT and not self.note.strip():
            raise ValueError("a dissent needs a note")
        return self


class WorksheetReview(Model):
    lead_id: str
    version: int
    officer_id: str
    verdict: ReviewVerdict
    note: str
    at: UtcDatetime


class WorksheetVersion(Model):
    lead_id: str
    version: int
    officer_id: str
    saved_at: UtcDatetime
    body: dict[str, Any]
    reviews: list[WorksheetReview]
