"""The credit committee's operations behave the same on both adapters: readiness enforced by
the bank, authority by amount, who may vote, changed votes, ask for more, the final decision
with its audit trail and the offer opened with it."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from committee_support import (
    check_in_row,
    member_ids,
    ready_rows,
    requirement_rows,
    review_row,
    tick_row,
)

from integrations.bank.committee_models import (
    CaseAnswer,
    CaseStatus,
    CommitteeSubmission,
    RepaymentMethod,
    VoteKind,
    VoteRequest,
)
from integrations.bank.errors import Forbidden, InvalidRequest, InvalidState, NotFound, NotReady
from integrations.bank.models import DeclineReason, LeadStatus, LeadSubmission
from integrations.bank.sandbox import admin
from integrations.bank.sandbox.seed import NEWCOMER_PHONE, NORTH, RETAIL_TEAM

from .support import BankWorld


async def claimed_lead(bank: BankWorld, amount: str = "50000") -> str:
    submission = LeadSubmission(
        applicant_name="孙新",
        phone=NEWCOMER_PHONE,
        district_code="JINNIU",
        industry_code="retail",
        amount=Decimal(amount),
        term_months=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
    )
    lead = await bank.adapter.submit_lead(submission, idempotency_key=uuid.uuid4().hex)
    await bank.adapter.claim_lead(lead.id, bank.seeded.officer_id)
    return lead.id


def send(bank: BankWorld, **terms: object) -> CommitteeSubmission:
    officer = bank.seeded.officer_id
    return CommitteeSubmission(officer_id=officer, recommendation="建议批准", **terms)


def vote(member: str, kind: VoteKind = VoteKind.APPROVE, **fields: object) -> VoteRequest:
    return VoteRequest(member_id=member, vote=kind, **fields)


async def ready_case(bank: BankWorld, amount: str = "50000") -> tuple[str, str]:
    lead_id = await claimed_lead(bank, amount)
    await bank.admin(ready_rows(lead_id, bank.seeded.officer_id))
    case = await bank.adapter.send_to_committee(lead_id, send(bank))
    return lead_id, case.id


async def test_two_committees_of_three_with_a_chair_are_seeded(bank: BankWorld) -> None:
    committees = await bank.adapter.list_committees()

    assert [(c.code, c.max_amount) for c in committees] == [
        ("BRANCH", Decimal("200000.00")),
        ("HEAD", Decimal("5000000.00")),
    ]
    for committee in committees:
        assert [member.chair for member in committee.members] == [True, False, False]
        assert (committee.members_needed, committee.approvals_needed) == (3, 2)
        assert committee.chair_veto


async def test_the_bank_refuses_a_case_that_is_not_ready(bank: BankWorld) -> None:
    lead_id = await claimed_lead(bank)
    await bank.admin(requirement_rows("look_premises", "visit_neighbours"))
    await bank.admin(tick_row(lead_id, bank.seeded.officer_id, "look_premises"))

    with pytest.raises(NotReady) as refused:
        await bank.adapter.send_to_committee(lead_id, send(bank))

    assert refused.value.missing == ["checklist:visit_neighbours", "worksheet"]
    readiness = await bank.adapter.committee_readiness(lead_id)
    assert (readiness.missing, readiness.committee_code) == (refused.value.missing, "BRANCH")
    assert (await bank.adapter.get_lead(lead_id)).status == LeadStatus.CLAIMED
    with pytest.raises(NotFound):
        await bank.adapter.latest_committee_case(lead_id)


async def test_a_joint_investigation_needs_the_second_officers_visit_and_review(
    bank: BankWorld,
) -> None:
    co_officer = await bank.admin(
        lambda connection, _context: admin.add_officer(
            connection, staff_code="K077", name="钱经理", phone="+8613900000077",
            territory_code=NORTH, team_code=RETAIL_TEAM, supervisor_id=bank.seeded.supervisor_id,
        )
    )  # fmt: skip
    lead_id = await claimed_lead(bank, "150000")
    assert (await bank.adapter.get_lead(lead_id)).co_officer_id == co_officer
    await bank.admin(ready_rows(lead_id, bank.seeded.officer_id))
    await bank.admin(check_in_row(lead_id, co_officer, within=False))

    with pytest.raises(NotReady) as refused:
        await bank.adapter.send_to_committee(lead_id, send(bank))
    assert refused.value.missing == ["co_check_in", "co_review"]

    await bank.admin(review_row(lead_id, bank.seeded.officer_id))  # the presenter cannot
    with pytest.raises(NotReady) as still:
        await bank.adapter.send_to_committee(lead_id, send(bank))
    assert still.value.missing == ["co_check_in", "co_review"]

    await bank.admin(
        lambda connection, _context: connection.execute(
            "UPDATE check_ins SET reason = '封路绕行' WHERE officer_id = ?", (co_officer,)
        )
    )
    await bank.admin(review_row(lead_id, co_officer))
    case = await bank.adapter.send_to_committee(lead_id, send(bank))
    assert case.status == CaseStatus.VOTING
    with pytest.raises(Forbidden):
        await bank.adapter.cast_vote(case.id, vote(co_officer))


async def test_only_the_claiming_officer_presents(bank: BankWorld) -> None:
    lead_id = await claimed_lead(bank)
    await bank.admin(ready_rows(lead_id, bank.seeded.officer_id))
    with pytest.raises(Forbidden):
        await bank.adapter.send_to_committee(
            lead_id, CommitteeSubmission(officer_id=bank.seeded.officer2_id, recommendation="x")
        )


async def test_the_amount_picks_the_committee(bank: BankWorld) -> None:
    _, small = await ready_case(bank, "200000")
    _, large = await ready_case(bank, "200000.01")

    assert (await bank.adapter.get_committee_case(small)).committee_code == "BRANCH"
    assert (await bank.adapter.get_committee_case(large)).committee_code == "HEAD"
    branch = await member_ids(bank.adapter, "BRANCH")
    with pytest.raises(Forbidden):
        await bank.adapter.cast_vote(large, vote(branch[1]))


async def test_votes_change_until_the_quorum_decides_and_the_offer_opens(bank: BankWorld) -> None:
    lead_id, case_id = await ready_case(bank)
    chair, second, third = await member_ids(bank.adapter)
    decline = vote(second, VoteKind.DECLINE, reason=DeclineReason.DEBT_TOO_HIGH, note="负债偏高")

    await bank.adapter.cast_vote(case_id, decline)
    await bank.adapter.cast_vote(case_id, vote(second))  # changed: one ballot counts
    case = await bank.adapter.cast_vote(case_id, vote(chair))
    assert case.status == CaseStatus.VOTING
    changed = vote(
        third,
        VoteKind.APPROVE_CHANGED,
        amount=Decimal("40000"),
        term_months=18,
        method=RepaymentMethod.EQUAL_PRINCIPAL,
    )
    case = await bank.adapter.cast_vote(case_id, changed)

    assert case.status == CaseStatus.APPROVED
    assert (case.decided_amount, case.decided_term_months) == (Decimal("50000.00"), 12)
    assert case.offer_id is not None
    assert [(v.member_id, v.vote, v.current) for v in case.votes] == [
        (second, VoteKind.DECLINE, False),
        (second, VoteKind.APPROVE, True),
        (chair, VoteKind.APPROVE, True),
        (third, VoteKind.APPROVE_CHANGED, True),
    ]
    assert (await bank.adapter.get_lead(lead_id)).status == LeadStatus.APPROVED
    with pytest.raises(InvalidState):
        await bank.adapter.cast_vote(case_id, vote(chair, VoteKind.DECLINE, reason="other"))
    events = await bank.adapter.list_lead_events(lead_id)
    votes = [(e.actor_id, e.at) for e in events if e.kind == "committee_vote"]
    assert [actor for actor, _ in votes] == [second, second, chair, third]
    [decision] = [e for e in events if e.kind == "committee_decision"]
    assert decision.status == LeadStatus.APPROVED
    assert all(member in decision.note for member in (chair, second, third))


async def test_the_chairs_changed_terms_are_decided(bank: BankWorld) -> None:
    _, case_id = await ready_case(bank)
    chair, second, third = await member_ids(bank.adapter)
    await bank.adapter.cast_vote(
        case_id,
        vote(chair, VoteKind.APPROVE_CHANGED, amount=Decimal("30000"), term_months=24,
             method=RepaymentMethod.EQUAL_PRINCIPAL),
    )  # fmt: skip
    await bank.adapter.cast_vote(case_id, vote(second))
    case = await bank.adapter.cast_vote(
        case_id, vote(third, VoteKind.DECLINE, reason=DeclineReason.OTHER)
    )

    assert case.status == CaseStatus.APPROVED
    assert (case.decided_amount, case.decided_term_months, case.decided_method) == (
        Decimal("30000.00"),
        24,
        RepaymentMethod.EQUAL_PRINCIPAL,
    )


async def test_a_decline_by_the_chair_declines_with_the_reason(bank: BankWorld) -> None:
    lead_id, case_id = await ready_case(bank)
    chair, second, third = await member_ids(bank.adapter)
    await bank.adapter.cast_vote(case_id, vote(second))
    await bank.adapter.cast_vote(case_id, vote(third))
    case = await bank.adapter.cast_vote(
        case_id,
        vote(chair, VoteKind.DECLINE, reason=DeclineReason.REPAYMENT_CAPACITY, note="现金流不足"),
    )

    assert case.status == CaseStatus.DECLINED
    assert case.decline_reason == DeclineReason.REPAYMENT_CAPACITY
    assert case.shared_note == "现金流不足"
    assert case.offer_id is None
    assert (await bank.adapter.get_lead(lead_id)).status == LeadStatus.DECLINED


async def test_presenter_and_outsiders_do_not_vote(bank: BankWorld) -> None:
    _, case_id = await ready_case(bank)
    presenter = bank.seeded.officer_id
    await bank.admin(
        lambda connection, _context: connection.execute(
            "INSERT INTO committee_members VALUES ('BRANCH', ?, 0)", (presenter,)
        )
    )
    with pytest.raises(Forbidden):
        await bank.adapter.cast_vote(case_id, vote(presenter))
    with pytest.raises(Forbidden):
        await bank.adapter.cast_vote(case_id, vote(bank.seeded.officer2_id))
    assert (await bank.adapter.get_committee_case(case_id)).votes == []


async def test_ask_for_more_goes_back_to_the_presenter_who_answers(bank: BankWorld) -> None:
    lead_id, case_id = await ready_case(bank)
    chair, second, _ = await member_ids(bank.adapter)
    await bank.adapter.cast_vote(case_id, vote(chair))
    question = vote(second, VoteKind.MORE_INFO, note="库存多少?")
    asked = await bank.adapter.cast_vote(case_id, question)
    assert (asked.status, asked.question) == (CaseStatus.MORE_INFO, "库存多少?")
    with pytest.raises(InvalidState):
        await bank.adapter.cast_vote(case_id, vote(chair))
    with pytest.raises(Forbidden):
        await bank.adapter.answer_committee(
            case_id, CaseAnswer(officer_id=bank.seeded.officer2_id, answer="x")
        )

    again = await bank.adapter.answer_committee(
        case_id, CaseAnswer(officer_id=bank.seeded.officer_id, answer="库存约八万元")
    )

    assert again.id != case_id and again.status == CaseStatus.VOTING and again.votes == []
    assert again.recommendation.endswith("库存约八万元")
    assert (await bank.adapter.latest_committee_case(lead_id)).id == again.id
    with pytest.raises(InvalidState):
        await bank.adapter.answer_committee(
            case_id, CaseAnswer(officer_id=bank.seeded.officer_id, answer="再答")
        )
    kinds = [e.kind for e in await bank.adapter.list_lead_events(lead_id)]
    assert kinds.count("committee_sent") == 2 and "committee_question" in kinds


async def test_a_changed_amount_above_the_authority_is_refused(bank: BankWorld) -> None:
    _, case_id = await ready_case(bank)
    chair = (await member_ids(bank.adapter))[0]
    with pytest.raises(InvalidRequest):
        await bank.adapter.cast_vote(
            case_id,
            vote(chair, VoteKind.APPROVE_CHANGED, amount=Decimal("200000.01"), term_months=12,
                 method=RepaymentMethod.EQUAL_INSTALLMENT),
        )  # fmt: skip


async def test_the_pack_shows_what_the_officers_recorded_to_members_only(bank: BankWorld) -> None:
    lead_id, case_id = await ready_case(bank)
    await bank.admin(tick_row(lead_id, bank.seeded.officer_id, "look_stock"))
    await bank.admin(check_in_row(lead_id, bank.seeded.officer_id))
    chair = (await member_ids(bank.adapter))[0]

    pack = await bank.adapter.get_case_pack(case_id, chair)

    assert pack.case.id == case_id and pack.lead.id == lead_id
    assert "look_stock" in [line.item_code for line in pack.checklist]  # ticked, not required
    assert pack.check_ins[0].within_limit
    assert pack.worksheet is not None and pack.worksheet.body["sales"]["good_day"] == "3000"
    assert pack.annual_rate > 0
    with pytest.raises(Forbidden):
        await bank.adapter.get_case_pack(case_id, bank.seeded.officer2_id)
