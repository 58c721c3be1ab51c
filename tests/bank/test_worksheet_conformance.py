"""Conformance: worksheet versions and the co-investigator's review (双人调查), the same over
both adapters. The bank, not the bot, refuses a review from the presenter, from anyone but
the co-investigator, on an old version, or before the co-investigator's check-in."""

from __future__ import annotations

import pytest

from integrations.bank.errors import (
    CheckInRequired,
    Forbidden,
    InvalidRequest,
    InvalidState,
    NotFound,
    StaleVersion,
)
from integrations.bank.models import Lead, LeadEventKind
from integrations.bank.sandbox.seed import NORTH, RETAIL_TEAM
from integrations.bank.worksheet_models import (
    ReviewVerdict,
    WorksheetReviewRequest,
    WorksheetSave,
)

from .support import BankWorld
from .test_conformance import add_officer, submit

BODY = {"sales": {"ordinary_day": "1500", "days_worked": 26}, "note": "蔬菜摊"}


async def joint_lead(bank: BankWorld) -> Lead:
    """A claimed lead above the joint threshold: an officer and a co-investigator."""
    await add_officer(bank, "N2", NORTH, RETAIL_TEAM)
    lead = await submit(bank, amount="150000")
    claimed = await bank.adapter.claim_lead(lead.id, str(lead.officer_id))
    assert claimed.co_officer_id is not None
    return claimed


async def check_in(bank: BankWorld, lead: Lead, officer_id: str, within: int, reason: str) -> None:
    """As the visit's part of the bank writes it."""
    await bank.admin(
        lambda connection, context: connection.execute(
            "INSERT INTO check_ins (id, lead_id, officer_id, at, latitude, longitude, live,"
            " distance_m, measured_from, within_limit, reason)"
            " VALUES (?, ?, ?, ?, 30.7, 104.1, 0, ?, 'merchant', ?, ?)",
            (f"CI{officer_id}{within}{len(reason)}", lead.id, officer_id, context.stamp,
             120 if within else 900, within, reason),
        )
    )  # fmt: skip


def review(
    officer_id: str, version: int, verdict: str = "confirmed", note: str = ""
) -> WorksheetReviewRequest:
    return WorksheetReviewRequest(
        officer_id=officer_id, version=version, verdict=ReviewVerdict(verdict), note=note
    )


async def test_each_save_is_a_new_version_kept_in_the_history(bank: BankWorld) -> None:
    lead = await joint_lead(bank)
    officer = str(lead.officer_id)
    with pytest.raises(NotFound):
        await bank.adapter.latest_worksheet(lead.id)

    first = await bank.adapter.save_worksheet(lead.id, WorksheetSave(officer_id=officer, body=BODY))
    second = await bank.adapter.save_worksheet(
        lead.id, WorksheetSave(officer_id=officer, body={**BODY, "note": "v2"})
    )

    assert (first.version, second.version) == (1, 2)
    latest = await bank.adapter.latest_worksheet(lead.id)
    assert latest.body == {**BODY, "note": "v2"} and latest.officer_id == officer
    assert [v.version for v in await bank.adapter.list_worksheets(lead.id)] == [1, 2]
    kinds = [event.kind for event in await bank.adapter.list_lead_events(lead.id)]
    assert kinds.count(LeadEventKind.WORKSHEET_SAVED) == 2


async def test_only_the_leads_officer_saves_and_only_once_claimed(bank: BankWorld) -> None:
    lead = await joint_lead(bank)
    with pytest.raises(Forbidden):
        await bank.adapter.save_worksheet(
            lead.id, WorksheetSave(officer_id=str(lead.co_officer_id), body=BODY)
        )
    unclaimed = await submit(bank, amount="20000")
    with pytest.raises(InvalidState):
        await bank.adapter.save_worksheet(
            unclaimed.id, WorksheetSave(officer_id=str(unclaimed.officer_id), body=BODY)
        )
    with pytest.raises(InvalidRequest):
        huge = {"note": "x" * 25_000}
        await bank.adapter.save_worksheet(
            lead.id, WorksheetSave(officer_id=str(lead.officer_id), body=huge)
        )


async def test_the_co_investigator_confirms_the_latest_version_after_checking_in(
    bank: BankWorld,
) -> None:
    lead = await joint_lead(bank)
    co_officer = str(lead.co_officer_id)
    save = WorksheetSave(officer_id=str(lead.officer_id), body=BODY)
    await bank.adapter.save_worksheet(lead.id, save)

    with pytest.raises(CheckInRequired):
        await bank.adapter.review_worksheet(lead.id, review(co_officer, 1))
    await check_in(bank, lead, co_officer, within=0, reason="")  # too far, no reason
    with pytest.raises(CheckInRequired):
        await bank.adapter.review_worksheet(lead.id, review(co_officer, 1))
    await check_in(bank, lead, co_officer, within=0, reason="市场改道，绕行")

    done = await bank.adapter.review_worksheet(lead.id, review(co_officer, 1))

    assert (done.verdict, done.version, done.officer_id) == ("confirmed", 1, co_officer)
    latest = await bank.adapter.latest_worksheet(lead.id)
    assert [r.verdict for r in latest.reviews] == [ReviewVerdict.CONFIRMED]
    kinds = [event.kind for event in await bank.adapter.list_lead_events(lead.id)]
    assert LeadEventKind.WORKSHEET_REVIEWED in kinds


async def test_the_presenter_and_others_cannot_review(bank: BankWorld) -> None:
    lead = await joint_lead(bank)
    officer = str(lead.officer_id)
    await bank.adapter.save_worksheet(lead.id, WorksheetSave(officer_id=officer, body=BODY))
    await check_in(bank, lead, officer, within=1, reason="")

    with pytest.raises(Forbidden):
        await bank.adapter.review_worksheet(lead.id, review(officer, 1))
    with pytest.raises(Forbidden):
        await bank.adapter.review_worksheet(lead.id, review(bank.seeded.officer2_id, 1))
    assert (await bank.adapter.latest_worksheet(lead.id)).reviews == []


async def test_a_review_of_an_old_version_is_stale_and_a_dissent_needs_a_note(
    bank: BankWorld,
) -> None:
    lead = await joint_lead(bank)
    co_officer = str(lead.co_officer_id)
    for _ in range(2):
        save = WorksheetSave(officer_id=str(lead.officer_id), body=BODY)
        await bank.adapter.save_worksheet(lead.id, save)
    await check_in(bank, lead, co_officer, within=1, reason="")

    with pytest.raises(StaleVersion):
        await bank.adapter.review_worksheet(lead.id, review(co_officer, 1))
    with pytest.raises(ValueError, match="needs a note"):
        review(co_officer, 2, "dissent")
    dissent = await bank.adapter.review_worksheet(
        lead.id, review(co_officer, 2, "dissent", "库存比看到的少一半")
    )
    assert (dissent.verdict, dissent.note) == (ReviewVerdict.DISSENT, "库存比看到的少一半")
    with pytest.raises(NotFound):
        await bank.adapter.review_worksheet("LD999999", review(co_officer, 1))
