"""A supervisor's view of the team: per officer, from the leads' status history."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from statistics import median

CLOSED = frozenset({"approved", "declined", "withdrawn", "disbursed"})
WON = frozenset({"approved", "disbursed"})


@dataclass(frozen=True)
class Transition:
    lead_id: str
    officer_id: str | None
    status: str
    at: datetime


@dataclass(frozen=True)
class OfficerStats:
    open_leads: int
    median_to_claim: timedelta | None
    median_to_contact: timedelta | None
    approved_share: Decimal | None  # approved of those decided; None before any decision


def officer_stats(
    transitions: Iterable[Transition], officer_id: str, since: datetime
) -> OfficerStats:
    """Leads routed to the officer since `since`: how many are open, the median time from
    routing to the claim and to the first contact, and the share approved of those decided."""
    history: dict[str, list[Transition]] = {}
    for transition in sorted(transitions, key=lambda t: t.at):
        history.setdefault(transition.lead_id, []).append(transition)
    to_claim, to_contact, open_leads, decided, won = [], [], 0, 0, 0
    for steps in history.values():
        routed = _first(steps, "routed", officer_id)
        if routed is None or routed.at < since:
            continue
        claimed = _first(steps, "claimed", officer_id)
        contacted = _first(steps, "contacted", officer_id)
        if claimed is not None:
            to_claim.append(claimed.at - routed.at)
        if contacted is not None:
            to_contact.append(contacted.at - routed.at)
        last = steps[-1].status
        if last in CLOSED:
            decided += 1
            won += last in WON
        else:
            open_leads += 1
    share = (Decimal(won) / Decimal(decided)).quantize(Decimal("0.01")) if decided else None
    return OfficerStats(open_leads, _median(to_claim), _median(to_contact), share)


def _median(durations: list[timedelta]) -> timedelta | None:
    if not durations:
        return None
    return timedelta(seconds=median(d.total_seconds() for d in durations))


def _first(steps: list[Transition], status: str, officer_id: str) -> Transition | None:
    return next((s for s in steps if s.status == status and s.officer_id == officer_id), None)
