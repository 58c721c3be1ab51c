"""Team statistics from the leads' status history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.team import Transition, officer_stats

START = datetime(2026, 11, 16, 1, 0, tzinfo=UTC)


def lead(lead_id: str, *steps: tuple[str, int], officer: str = "O1") -> list[Transition]:
    return [
        Transition(lead_id, officer, status, START + timedelta(minutes=m)) for status, m in steps
    ]


def test_medians_open_leads_and_conversion() -> None:
    history = [
        *lead("L1", ("routed", 0), ("claimed", 10), ("contacted", 60), ("approved", 600)),
        *lead("L2", ("routed", 0), ("claimed", 30), ("contacted", 90), ("declined", 700)),
        *lead("L3", ("routed", 0), ("claimed", 50)),
        *lead("L4", ("routed", 0), officer="O2"),
    ]
    stats = officer_stats(history, "O1", START - timedelta(days=1))
    assert stats.open_leads == 1
    assert stats.median_to_claim == timedelta(minutes=30)
    assert stats.median_to_contact == timedelta(minutes=75)
    assert stats.approved_share == Decimal("0.50")


def test_leads_before_the_period_do_not_count() -> None:
    history = lead("L1", ("routed", 0), ("claimed", 10))
    stats = officer_stats(history, "O1", START + timedelta(days=1))
    assert (stats.open_leads, stats.median_to_claim, stats.approved_share) == (0, None, None)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["claimed", "contacted", "approved", "declined"]),
            st.integers(min_value=1, max_value=10_000),
        ),
        max_size=30,
    )
)
def test_the_share_is_a_fraction_and_times_are_never_negative(steps: list[tuple[str, int]]) -> None:
    history = lead("L1", ("routed", 0), *steps)
    stats = officer_stats(history, "O1", START)
    assert stats.approved_share is None or Decimal(0) <= stats.approved_share <= Decimal(1)
    assert stats.median_to_claim is None or stats.median_to_claim >= timedelta(0)
    assert stats.open_leads in (0, 1)
