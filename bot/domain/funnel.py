"""A supervisor's funnel: how far the leads that came in since a moment got, and how often
the SLA was missed on the way. Pure counting over the leads' status history."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from bot.domain.team import Transition
from bot.domain.working_hours import SlaPolicy


class Stage(IntEnum):
    """The funnel's steps, in order: a lead at a later step has passed the earlier ones."""

    NEW = 0
    CLAIMED = 1
    VISITED = 2
    COMMITTEE = 3
    APPROVED = 4
    PAID_OUT = 5  # the offer accepted: the bank pays the loan out on acceptance


# the bank's lead statuses by the step they show; declined and withdrawn show none
STAGE_OF: dict[str, Stage] = {
    "routed": Stage.NEW,
    "unassigned": Stage.NEW,
    "claimed": Stage.CLAIMED,
    "contacted": Stage.CLAIMED,
    "visit_booked": Stage.CLAIMED,
    "visited": Stage.VISITED,
    "committee": Stage.COMMITTEE,
    "approved": Stage.APPROVED,
    "disbursed": Stage.PAID_OUT,
}

# the order of a lead's life, for changes recorded at the same moment
LIFE = (
    "routed", "unassigned", "claimed", "contacted", "visit_booked", "visited", "committee",
    "approved", "declined", "withdrawn", "disbursed",
)  # fmt: skip


@dataclass(frozen=True)
class TrackedLead:
    """A lead's status history and where it is (None: not known yet)."""

    lead_id: str
    territory_code: str | None
    district_code: str | None
    transitions: tuple[Transition, ...]


@dataclass(frozen=True)
class Funnel:
    reached: tuple[int, ...]  # by Stage: how many of the new leads got that far
    late_claims: int  # routed to an officer who did not claim before the escalation
    late_contacts: int  # claimed and not contacted within the contact time
    by_district: dict[str, int]  # new leads by district code

    @property
    def breaches(self) -> int:
        return self.late_claims + self.late_contacts


def funnel(
    leads: Iterable[TrackedLead],
    territories: frozenset[str],
    since: datetime,
    now: datetime,
    policy: SlaPolicy,
) -> Funnel:
    """The leads of the territories that were new at `since` or later, counted."""
    reached = [0] * len(Stage)
    late_claims = late_contacts = 0
    districts: Counter[str] = Counter()
    for lead in leads:
        steps = sorted(lead.transitions, key=_in_order)
        if lead.territory_code not in territories or not steps or steps[0].at < since:
            continue
        known = [STAGE_OF[step.status] for step in steps if step.status in STAGE_OF]
        for stage in range(max(known, default=Stage.NEW) + 1):
            reached[stage] += 1
        late_claims += _late_claims(steps, now, policy)
        late_contacts += _late_contacts(steps, now, policy)
        districts[lead.district_code or ""] += 1
    return Funnel(tuple(reached), late_claims, late_contacts, dict(districts))


def _in_order(step: Transition) -> tuple[datetime, int]:
    return step.at, LIFE.index(step.status) if step.status in LIFE else len(LIFE)


def _late_claims(steps: list[Transition], now: datetime, policy: SlaPolicy) -> int:
    """Each officer's turn at an unclaimed lead that outlasted the reminder and escalation
    (a lead routed again to the same officer keeps its clock, as the SLA timer does)."""
    late, deadline, officer = 0, None, None
    for step in steps:
        if deadline is not None and (step.status != "routed" or step.officer_id != officer):
            late += step.at > deadline
            deadline = None
        if step.status == "routed" and deadline is None and step.officer_id is not None:
            deadline = policy.claim_escalation_due(policy.claim_reminder_due(step.at))
            officer = step.officer_id
    return late + (deadline is not None and now > deadline)


def _late_contacts(steps: list[Transition], now: datetime, policy: SlaPolicy) -> int:
    """Each claim that was not followed by contact (or any later step) in time."""
    late, deadline = 0, None
    for step in steps:
        if deadline is not None and step.status != "claimed":
            late += step.at > deadline
            deadline = None
        if step.status == "claimed" and deadline is None:
            deadline = policy.contact_due(step.at)
    return late + (deadline is not None and now > deadline)
