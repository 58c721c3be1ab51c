"""The visit's data at the bank: check-ins, evidence documents and the checklist.

A document's content travels over REST as raw bytes (application/octet-stream) both ways:
the upload's body, the other fields of `DocumentUpload` in its query, and `read_document`'s
response.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field

from bot.domain.fieldwork import ChecklistGroup, ExifVerdict
from integrations.bank.models import Identifier, Model, Request, Text

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # what any request may carry; the bank's limit is lower


class CheckInRequest(Request):
    officer_id: Identifier
    latitude: Latitude
    longitude: Longitude
    live: bool = False  # a live location (Telegram's "share live location")
    reason: Text = ""  # why, when farther than the bank's limit


class CheckIn(Model):
    id: str
    lead_id: str
    officer_id: str
    at: AwareDatetime
    latitude: float
    longitude: float
    live: bool
    distance_m: int
    measured_from: Literal["merchant", "district"]
    within_limit: bool
    reason: str


class DocumentKind(StrEnum):
    PREMISES = "premises"
    STOCK = "stock"
    BOOKS = "books"  # books or receipts
    LICENCE = "licence"
    HOUSEHOLD = "household"
    GUARANTOR = "guarantor"
    OTHER = "other"


class DocumentUpload(Request):
    """Over REST the request's body is `content`, raw; the other fields are its query."""

    officer_id: Identifier
    kind: DocumentKind
    file_name: Annotated[str, Field(max_length=120)] = ""
    content: Annotated[bytes, Field(max_length=MAX_UPLOAD_BYTES)] = Field(repr=False)


class SameFile(Model):
    """The same file (same sha256) on another lead: a red flag for both."""

    lead_id: str
    document_id: str
    officer_id: str | None  # the other lead's officer
    co_officer_id: str | None


class Document(Model):
    id: str
    lead_id: str
    kind: DocumentKind
    file_name: str
    sha256: str
    size: int
    content_type: str
    uploaded_by: str
    uploaded_at: AwareDatetime
    taken_at: AwareDatetime | None
    latitude: float | None
    longitude: float | None
    distance_m: int | None  # from the photo's GPS to the business
    exif_verdict: ExifVerdict
    same_file: list[SameFile]


class ChecklistTickRequest(Request):
    officer_id: Identifier
    item_code: Annotated[str, Field(min_length=1, max_length=40)]
    done: bool = True  # False takes the tick back
    note: Text = ""


class ChecklistEntry(Model):
    code: str
    group: ChecklistGroup
    required: bool
    ticked: bool
    note: str
    officer_id: str | None
    at: AwareDatetime | None


class Checklist(Model):
    lead_id: str
    product_code: str
    items: list[ChecklistEntry]

    @property
    def missing(self) -> list[ChecklistEntry]:
        """Required items not ticked yet."""
        return [item for item in self.items if item.required and not item.ticked]
