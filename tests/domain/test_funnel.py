"""The supervisor's funnel from the leads' status history: stages, SLA breaches, districts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.funnel import Stage, TrackedLead, funnel
from bot.domain.team import Transition
from bot.domain.working_hours import SlaPolicy

START = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai, the day opens
POLICY = SlaPolicy()  # remind after 30 working minutes, escalate 2 hours after that
CLAIM_BY = 150  # minutes after routing at START: 11:30, the escalation
NORTH = frozenset({"CD-N"})


def lead(
    lead_id: str,
    *steps: tuple[str, int] | tuple[str, int, str],
    territory: str = "CD-N",
    district: str = "JINNIU",
) -> TrackedLead:
    transitions = tuple(
        Transition(
            lead_id,
            step[2] if len(step) == 3 else "O1",
            step[0],
            START + timedelta(minutes=step[1]),
        )
        for step in steps
    )
    return TrackedLead(lead_id, territory, district, transitions)


def test_each_lead_counts_at_every_stage_it_got_to() -> None:
    leads = [
        lead("L1", ("routed", 0), ("claimed", 10), ("contacted", 60), ("visit_booked", 70)),
        lead("L2", ("routed", 0), ("claimed", 10), ("visited", 200), ("committee", 300)),
        lead("L3", ("routed", 0), ("claimed", 5), ("visited", 90), ("committee", 100),
             ("approved", 400), ("disbursed", 500), district="CHENGHUA"),
        lead("L4", ("unassigned", 0), district="CHENGHUA"),
        lead("L5", ("routed", 0), ("claimed", 10), ("declined", 100)),
    ]  # fmt: skip
    counted = funnel(leads, NORTH, START, START + timedelta(minutes=600), POLICY)
    assert counted.reached == (5, 4, 2, 2, 1, 1)
    assert counted.reached[Stage.PAID_OUT] == 1
    assert counted.by_district == {"JINNIU": 3, "CHENGHUA": 2}


def test_other_territories_and_leads_new_before_the_window_do_not_count() -> None:
    leads = [
        lead("L1", ("routed", 0), ("claimed", 10), territory="CD-S"),
        lead("L2", ("routed", -60 * 24), ("routed", 10, "O2"), ("claimed", 20, "O2")),
        lead("L3", ("routed", 0), ("claimed", 10)),
        TrackedLead("L4", None, None, lead("L4", ("routed", 0)).transitions),  # place unknown
    ]
    counted = funnel(leads, NORTH, START, START + timedelta(minutes=60), POLICY)
    assert counted.reached == (1, 1, 0, 0, 0, 0)
    assert counted.by_district == {"JINNIU": 1}


def test_a_claim_after_the_escalation_is_a_breach_and_one_before_it_is_not() -> None:
    now = START + timedelta(days=3)
    on_time = lead("L1", ("routed", 0), ("claimed", CLAIM_BY), ("contacted", CLAIM_BY + 5))
    late = lead("L2", ("routed", 0), ("claimed", CLAIM_BY + 1), ("contacted", CLAIM_BY + 5))
    never = lead("L3", ("routed", 0))
    assert funnel([on_time], NORTH, START, now, POLICY).breaches == 0
    assert funnel([late], NORTH, START, now, POLICY).late_claims == 1
    assert funnel([never], NORTH, START, START + timedelta(minutes=CLAIM_BY), POLICY).breaches == 0
    assert funnel([never], NORTH, START, now, POLICY).late_claims == 1


def test_each_officers_turn_has_its_own_claim_clock() -> None:
    passed_on = lead(
        "L1", ("routed", 0), ("routed", CLAIM_BY + 10, "O2"), ("claimed", CLAIM_BY + 20, "O2"),
        ("contacted", CLAIM_BY + 30, "O2"),
    )  # fmt: skip
    counted = funnel([passed_on], NORTH, START, START + timedelta(days=3), POLICY)
    assert (counted.late_claims, counted.late_contacts) == (1, 0)  # O1's turn ran out, not O2's
    same_officer = lead("L2", ("routed", 0), ("routed", 100), ("claimed", CLAIM_BY + 1))
    late_again = funnel([same_officer], NORTH, START, START + timedelta(minutes=200), POLICY)
    assert late_again.late_claims == 1  # routed again to the same officer: the clock runs on


def test_no_contact_within_a_working_day_of_the_claim_is_a_breach() -> None:
    day = 8 * 60 + 30  # the working day, 09:00 to 17:30
    contacted = lead("L1", ("routed", 0), ("claimed", 0), ("contacted", day))
    visited_late = lead("L2", ("routed", 0), ("claimed", 0), ("visited", 24 * 60 + 1))
    waiting = lead("L3", ("routed", 0), ("claimed", 0))
    now = START + timedelta(days=1, minutes=1)
    assert funnel([contacted], NORTH, START, now, POLICY).late_contacts == 0
    assert funnel([visited_late], NORTH, START, now, POLICY).late_contacts == 1
    assert funnel([waiting], NORTH, START, START + timedelta(minutes=day), POLICY).breaches == 0
    counted = funnel([waiting, visited_late], NORTH, START, now, POLICY)
    assert (counted.late_contacts, counted.breaches) == (2, 2)
