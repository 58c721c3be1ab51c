"""The visit's operations, the same on both adapters: check-ins under the distance rule,
the document store with EXIF verdicts and the same file on two leads, the checklist."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.domain.fieldwork import CHECKLIST, ExifVerdict, Point
from bot.local_session import compressed_photo
from integrations.bank.errors import (
    DocumentRefused,
    Forbidden,
    InvalidRequest,
    InvalidState,
    NotFound,
    TooFarToCheckIn,
)
from integrations.bank.fieldwork_models import (
    CheckInRequest,
    ChecklistTickRequest,
    DocumentKind,
    DocumentUpload,
)
from integrations.bank.models import (
    Lead,
    LeadEventKind,
    LeadStatus,
    LeadSubmission,
    RepaymentMethod,
    VisitBooking,
)
from integrations.bank.sandbox.fieldwork import MICRO_REQUIRED_ITEMS
from integrations.bank.sandbox.seed import NEWCOMER_PHONE
from tests.support.photos import photo

from .support import BankWorld
from .test_conformance import add_officer, new_key

JINNIU = Point(30.6913, 104.0516)  # the district's centre in the seed
SHOP = Point(30.7000, 104.0600)  # where a merchant shared the shop, about 1.2 km from it


async def visit_booked(
    bank: BankWorld, details: dict[str, object] | None = None, amount: str = "50000"
) -> Lead:
    submission = LeadSubmission(
        applicant_name="孙新", phone=NEWCOMER_PHONE, district_code="JINNIU",
        industry_code="retail", amount=Decimal(amount), term_months=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT, details=details or {},
    )  # fmt: skip
    lead = await bank.adapter.submit_lead(submission, idempotency_key=new_key())
    assert lead.officer_id is not None
    await bank.adapter.claim_lead(lead.id, lead.officer_id)
    booking = VisitBooking(officer_id=lead.officer_id, at=bank.clock.now + timedelta(hours=1))
    return await bank.adapter.book_visit(lead.id, booking)


def at(lead: Lead, point: Point, reason: str = "", live: bool = False) -> CheckInRequest:
    assert lead.officer_id is not None
    return CheckInRequest(
        officer_id=lead.officer_id,
        latitude=point.latitude,
        longitude=point.longitude,
        reason=reason,
        live=live,
    )


def shifted(point: Point, metres_north: float) -> Point:
    return Point(point.latitude + metres_north / 111_195, point.longitude)


# --- check-ins -------------------------------------------------------------------------------


async def test_a_check_in_near_the_district_centre_marks_the_lead_visited(bank: BankWorld) -> None:
    lead = await visit_booked(bank)

    check_in = await bank.adapter.check_in(lead.id, at(lead, shifted(JINNIU, 120), live=True))

    assert (check_in.distance_m, check_in.measured_from) == (120, "district")
    assert check_in.within_limit and check_in.live and check_in.reason == ""
    assert (await bank.adapter.get_lead(lead.id)).status is LeadStatus.VISITED
    assert await bank.adapter.list_check_ins(lead.id) == [check_in]
    kinds = [event.kind for event in await bank.adapter.list_lead_events(lead.id)]
    assert kinds[-1] is LeadEventKind.CHECKED_IN


async def test_a_check_in_too_far_is_refused_until_a_reason_is_given(bank: BankWorld) -> None:
    lead = await visit_booked(bank)
    far = shifted(JINNIU, 1500)

    with pytest.raises(TooFarToCheckIn) as refused:
        await bank.adapter.check_in(lead.id, at(lead, far))
    assert (refused.value.distance_m, refused.value.limit_m) == (1500, 500)
    assert await bank.adapter.list_check_ins(lead.id) == []
    assert (await bank.adapter.get_lead(lead.id)).status is LeadStatus.VISIT_BOOKED

    check_in = await bank.adapter.check_in(lead.id, at(lead, far, reason="店在市场后门"))
    assert not check_in.within_limit and check_in.reason == "店在市场后门"
    assert check_in.distance_m == 1500


async def test_the_merchants_shared_location_comes_before_the_district(bank: BankWorld) -> None:
    shared = {"location": {"latitude": SHOP.latitude, "longitude": SHOP.longitude}}
    lead = await visit_booked(bank, details=shared)

    with pytest.raises(TooFarToCheckIn):
        await bank.adapter.check_in(lead.id, at(lead, JINNIU))
    check_in = await bank.adapter.check_in(lead.id, at(lead, shifted(SHOP, -40)))

    assert (check_in.measured_from, check_in.distance_m) == ("merchant", 40)


async def test_only_the_leads_officers_check_in_and_only_after_booking(bank: BankWorld) -> None:
    lead = await visit_booked(bank)
    stranger = (
        bank.seeded.officer2_id
        if lead.officer_id != bank.seeded.officer2_id
        else (bank.seeded.officer_id)
    )
    request = at(lead, JINNIU).model_copy(update={"officer_id": stranger})
    with pytest.raises(Forbidden):
        await bank.adapter.check_in(lead.id, request)
    with pytest.raises(NotFound):
        await bank.adapter.check_in("LD999999", at(lead, JINNIU))

    unbooked = await bank.adapter.submit_lead(
        LeadSubmission(
            applicant_name="钱多", phone=NEWCOMER_PHONE, district_code="JINNIU",
            industry_code="retail", amount=Decimal("30000"), term_months=6,
            method=RepaymentMethod.EQUAL_INSTALLMENT,
        ),
        idempotency_key=new_key(),
    )  # fmt: skip
    assert unbooked.officer_id is not None
    await bank.adapter.claim_lead(unbooked.id, unbooked.officer_id)
    with pytest.raises(InvalidState):
        await bank.adapter.check_in(unbooked.id, at(unbooked, JINNIU))


# --- documents -------------------------------------------------------------------------------


def upload(
    lead: Lead, content: bytes, kind: DocumentKind = DocumentKind.PREMISES
) -> DocumentUpload:
    assert lead.officer_id is not None
    return DocumentUpload(officer_id=lead.officer_id, kind=kind, file_name="a.jpg", content=content)


async def test_a_photo_keeps_its_exif_and_comes_back_byte_for_byte(bank: BankWorld) -> None:
    lead = await visit_booked(bank)
    await bank.adapter.check_in(lead.id, at(lead, JINNIU))
    taken = bank.clock.now - timedelta(minutes=5)
    content = photo(taken_at=taken.astimezone(bank.sandbox.config.zone), place=shifted(JINNIU, 80))

    document = await bank.adapter.upload_document(lead.id, upload(lead, content))

    assert document.exif_verdict is ExifVerdict.OK
    assert document.taken_at == taken.replace(microsecond=0)
    assert document.distance_m == 80
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert (document.size, document.content_type) == (len(content), "image/jpeg")
    assert document.same_file == []
    assert await bank.adapter.read_document(document.id) == content
    assert await bank.adapter.list_documents(lead.id) == [document]
    stored = bank.sandbox.data_dir.joinpath("documents", lead.id).glob("*.jpg")
    assert [path.read_bytes() for path in stored] == [content]


async def test_exif_verdicts_no_exif_far_and_stale(bank: BankWorld) -> None:
    lead = await visit_booked(bank)
    await bank.adapter.check_in(lead.id, at(lead, JINNIU))
    zone = bank.sandbox.config.zone
    now = bank.clock.now.astimezone(zone)
    cases = {
        ExifVerdict.NO_EXIF: compressed_photo(photo(taken_at=now, place=JINNIU, shade=1)),
        ExifVerdict.FAR: photo(taken_at=now, place=shifted(JINNIU, 3000), shade=2),
        ExifVerdict.STALE: photo(taken_at=now - timedelta(days=40), place=JINNIU, shade=3),
    }
    for verdict, content in cases.items():
        document = await bank.adapter.upload_document(lead.id, upload(lead, content))
        assert document.exif_verdict is verdict
    pdf = await bank.adapter.upload_document(
        lead.id, upload(lead, b"%PDF-1.4\n%%EOF\n", DocumentKind.LICENCE)
    )
    assert (pdf.content_type, pdf.exif_verdict) == ("application/pdf", ExifVerdict.NO_EXIF)


async def test_the_store_refuses_empty_too_large_and_unknown_files(bank: BankWorld) -> None:
    lead = await visit_booked(bank)
    limit = bank.sandbox.config.document_max_bytes
    for content, reason in (
        (b"", "empty"),
        (b"\xff\xd8\xff" + bytes(limit), "too_large"),
        (b"MZ\x90\x00 not a photo", "type"),
    ):
        with pytest.raises(DocumentRefused) as refused:
            await bank.adapter.upload_document(lead.id, upload(lead, content))
        assert (refused.value.reason, refused.value.limit_bytes) == (reason, limit)
    assert await bank.adapter.list_documents(lead.id) == []
    with pytest.raises(NotFound):
        await bank.adapter.read_document("DC999999")


async def test_the_same_photo_on_two_leads_is_flagged_on_both(bank: BankWorld) -> None:
    first, second = await visit_booked(bank), await visit_booked(bank)
    content = photo(shade=7)

    original = await bank.adapter.upload_document(first.id, upload(first, content))
    copy = await bank.adapter.upload_document(second.id, upload(second, content))

    assert original.same_file == []
    assert [(s.lead_id, s.document_id, s.officer_id) for s in copy.same_file] == [
        (first.id, original.id, first.officer_id)
    ]
    [seen_on_first] = await bank.adapter.list_documents(first.id)
    assert [s.document_id for s in seen_on_first.same_file] == [copy.id]
    for lead in (first, second):
        kinds = [event.kind for event in await bank.adapter.list_lead_events(lead.id)]
        assert LeadEventKind.SAME_FILE in kinds


async def test_a_stranger_cannot_upload(bank: BankWorld) -> None:
    lead = await visit_booked(bank)
    request = upload(lead, photo()).model_copy(update={"officer_id": "OF999999"})
    with pytest.raises((Forbidden, NotFound)):
        await bank.adapter.upload_document(lead.id, request)


# --- the checklist ---------------------------------------------------------------------------


async def test_the_checklist_ticked_with_notes_and_taken_back(bank: BankWorld) -> None:
    lead = await visit_booked(bank)
    assert lead.officer_id is not None
    checklist = await bank.adapter.get_checklist(lead.id)
    assert [item.code for item in checklist.items] == [item.code for item in CHECKLIST]
    assert {item.code for item in checklist.missing} == set(MICRO_REQUIRED_ITEMS)

    tick = ChecklistTickRequest(officer_id=lead.officer_id, item_code="tax", note="近6个月完税")
    ticked = await bank.adapter.tick_checklist(lead.id, tick)
    [tax] = [item for item in ticked.items if item.code == "tax"]
    assert tax.ticked and tax.note == "近6个月完税" and tax.officer_id == lead.officer_id
    assert "tax" not in {item.code for item in ticked.missing}

    back = await bank.adapter.tick_checklist(lead.id, tick.model_copy(update={"done": False}))
    assert "tax" in {item.code for item in back.missing}

    with pytest.raises(InvalidRequest):
        await bank.adapter.tick_checklist(lead.id, tick.model_copy(update={"item_code": "x"}))
    with pytest.raises((Forbidden, NotFound)):
        await bank.adapter.tick_checklist(
            lead.id, tick.model_copy(update={"officer_id": "OF999999"})
        )


async def test_the_co_investigator_checks_in_the_same_way(bank: BankWorld) -> None:
    await add_officer(bank, "K009", "CD-N", "RETAIL")
    lead = await visit_booked(bank, amount="150000")  # above the joint threshold
    assert lead.co_officer_id is not None and lead.co_officer_id != lead.officer_id
    request = at(lead, shifted(JINNIU, 30)).model_copy(update={"officer_id": lead.co_officer_id})

    second = await bank.adapter.check_in(lead.id, request)

    assert second.officer_id == lead.co_officer_id and second.within_limit
    assert (await bank.adapter.get_lead(lead.id)).status is LeadStatus.VISITED
