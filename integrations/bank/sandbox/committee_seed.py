"""The credit committees of a fresh sandbox: the branch committee decides up to its
authority, the head-office committee above (seed 001:196, 003:402), three members each, one
of them the chair. Members are staff of the head office, where no lead is routed."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from integrations.bank.money import to_fen
from integrations.bank.sandbox import admin
from integrations.bank.sandbox.context import SandboxConfig

BRANCH_COMMITTEE, HEAD_COMMITTEE = "BRANCH", "HEAD"


@dataclass(frozen=True)
class SeatSeed:
    staff_code: str
    name: str
    phone: str
    chair: bool = False


BRANCH_SEATS = (
    SeatSeed("C101", "陈主任", "+8613800000201", chair=True),
    SeatSeed("C102", "刘审批", "+8613800000202"),
    SeatSeed("C103", "周审批", "+8613800000203"),
)
HEAD_SEATS = (
    SeatSeed("C201", "孙总", "+8613800000211", chair=True),
    SeatSeed("C202", "吴审批", "+8613800000212"),
    SeatSeed("C203", "郑审批", "+8613800000213"),
)


def seed_committees(
    connection: sqlite3.Connection, config: SandboxConfig, territory_code: str, team_code: str
) -> None:
    rules = config.committee
    for code, name, ceiling, seats in (
        (BRANCH_COMMITTEE, "支行贷审会", to_fen(rules.branch_authority), BRANCH_SEATS),
        (HEAD_COMMITTEE, "总行贷审会", to_fen(rules.head_authority), HEAD_SEATS),
    ):
        connection.execute(
            "INSERT INTO committees (code, name, max_amount_fen, members_needed,"
            " approvals_needed, sla_hours, chair_veto) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                code, name, ceiling, rules.members_needed, rules.approvals_needed,
                rules.sla_hours, rules.chair_veto,
            ),
        )  # fmt: skip
        for seat in seats:
            officer_id = admin.add_officer(
                connection,
                staff_code=seat.staff_code,
                name=seat.name,
                phone=seat.phone,
                territory_code=territory_code,
                team_code=team_code,
            )
            connection.execute(
                "INSERT INTO committee_members (committee_code, officer_id, chair)"
                " VALUES (?, ?, ?)",
                (code, officer_id, seat.chair),
            )
