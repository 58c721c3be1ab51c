"""The officer's visit from the chat: check in at the business, send evidence, tick the
checklist. The bank decides and records; this checks first that the officer is on the
claimed lead, turns the bank's refusals into typed answers, and tells the other leads'
officers when a file is the same as one of theirs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from aiogram.utils.i18n import I18n

from bot.services.officers.lead_actions import LeadActions
from bot.services.officers.staff import DeskError, StaffDirectory, StaffMember, refusal
from bot.services.outbound import Outbox, OutgoingMessage, Priority
from integrations.bank.errors import BankError, DocumentRefused, TooFarToCheckIn
from integrations.bank.fieldwork_models import (
    CheckIn,
    CheckInRequest,
    Checklist,
    ChecklistTickRequest,
    Document,
    DocumentKind,
    DocumentUpload,
)
from integrations.bank.models import Lead
from integrations.bank.protocol import BankAdapter

T = TypeVar("T")

SameFileAlert = Callable[[Document, str], str]  # (the new document, the other lead) -> text


class TooFar(Exception):
    def __init__(self, distance_m: int, limit_m: int) -> None:
        super().__init__(f"{distance_m} m, limit {limit_m} m")
        self.distance_m = distance_m
        self.limit_m = limit_m


class FileRefused(Exception):
    """The document store does not take the file: `reason` empty, too_large or type."""

    def __init__(self, reason: str, limit_bytes: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit_bytes = limit_bytes


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    live: bool


class VisitDesk:
    def __init__(
        self,
        bank: BankAdapter,
        actions: LeadActions,
        directory: StaffDirectory,
        outbox: Outbox,
        i18n: I18n,
        same_file_alert: SameFileAlert,
    ) -> None:
        self.bank = bank
        self.actions = actions
        self.directory = directory
        self.outbox = outbox
        self.i18n = i18n
        self.same_file_alert = same_file_alert

    async def lead(self, member: StaffMember, lead_id: str, action: str) -> Lead:
        """The claimed lead, if this officer is on it; Refused otherwise."""
        return await self.actions.claimed_lead_for(member, lead_id, action)

    async def check_in(
        self, member: StaffMember, lead_id: str, place: Place, reason: str = ""
    ) -> CheckIn:
        await self.lead(member, lead_id, "check_in")
        request = CheckInRequest(
            officer_id=member.officer_id,
            latitude=place.latitude,
            longitude=place.longitude,
            live=place.live,
            reason=reason[:500],
        )
        return await self._asked(member, lead_id, "check_in", self.bank.check_in(lead_id, request))

    async def add_evidence(
        self,
        member: StaffMember,
        lead_id: str,
        kind: DocumentKind,
        content: bytes,
        file_name: str,
    ) -> Document:
        await self.lead(member, lead_id, "evidence")
        upload = DocumentUpload(
            officer_id=member.officer_id, kind=kind, file_name=file_name[:120], content=content
        )
        document = await self._asked(
            member, lead_id, "evidence", self.bank.upload_document(lead_id, upload)
        )
        await self._tell_other_officers(document)
        return document

    async def documents(self, member: StaffMember, lead_id: str) -> list[Document]:
        await self.lead(member, lead_id, "evidence")
        return await self._asked(member, lead_id, "evidence", self.bank.list_documents(lead_id))

    async def checklist(self, member: StaffMember, lead_id: str) -> Checklist:
        await self.lead(member, lead_id, "checklist")
        return await self._asked(member, lead_id, "checklist", self.bank.get_checklist(lead_id))

    async def tick(
        self, member: StaffMember, lead_id: str, item_code: str, done: bool, note: str = ""
    ) -> Checklist:
        await self.lead(member, lead_id, "checklist")
        tick = ChecklistTickRequest(
            officer_id=member.officer_id, item_code=item_code, done=done, note=note[:500]
        )
        call = self.bank.tick_checklist(lead_id, tick)
        return await self._asked(member, lead_id, "checklist", call)

    async def _tell_other_officers(self, document: Document) -> None:
        """Each officer of another lead holding the same file hears of it once."""
        for other in document.same_file:
            for officer_id in {other.officer_id, other.co_officer_id} - {None}:
                member = await self.directory.by_officer(officer_id)
                if member is None:
                    continue
                with self.i18n.use_locale(await self.directory.locale_of(member)):
                    text = self.same_file_alert(document, other.lead_id)
                await self.outbox.enqueue(
                    OutgoingMessage(
                        key=f"samefile:{document.id}:{other.document_id}:{officer_id}",
                        chat_id=member.chat_id,
                        text=text,
                        priority=Priority.URGENT,
                    )
                )

    async def _asked(self, member: StaffMember, lead_id: str, action: str, call: Awaitable[T]) -> T:
        try:
            return await call
        except TooFarToCheckIn as error:
            raise TooFar(error.distance_m, error.limit_m) from None
        except DocumentRefused as error:
            raise FileRefused(error.reason, error.limit_bytes) from None
        except BankError as error:
            if error.code in ("forbidden", "not_found"):
                raise refusal(member, lead_id, action) from None
            raise DeskError.from_bank(error) from None
