"""Lead routing rules, pure: territory first, then the industry team, then the lightest load."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class OfficerLoad:
    officer_id: str
    territory_code: str
    industry_team_code: str
    on_duty: bool
    open_leads: int


def choose_officer(
    officers: Iterable[OfficerLoad],
    territory_code: str,
    team_code: str,
    exclude: Collection[str] = (),
) -> str | None:
    """The on-duty officer of the territory, preferring the lead's industry team, then the
    fewest open leads (ties broken by id so routing is reproducible); None if nobody."""
    candidates = [
        officer
        for officer in officers
        if officer.on_duty
        and officer.territory_code == territory_code
        and officer.officer_id not in exclude
    ]
    if not candidates:
        return None
    best = min(
        candidates,
        key=lambda officer: (
            officer.industry_team_code != team_code,
            officer.open_leads,
            officer.officer_id,
        ),
    )
    return best.officer_id
