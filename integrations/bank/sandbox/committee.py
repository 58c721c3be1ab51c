"""The credit committee (贷审会): sending a ready case to the committee whose authority
covers the amount, the committee's question answered and the case sent again, and reading
cases and committees. Votes and the decision are in `committee_votes`.

A case is ready when every checklist item the product requires is ticked, a worksheet
exists, and, on a lead with a co-investigator (双人调查), that officer has checked in within
the distance limit (or said why not) and reviewed the latest worksheet version. The bank
refuses the transition otherwise, naming what is missing.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal

from integrations.bank.committee_models import (
    CaseAnswer,
    CaseStatus,
    Committee,
    CommitteeCase,
    CommitteeMember,
    CommitteeReadiness,
    CommitteeSubmission,
    CommitteeVote,
    VoteKind,
)
from integrations.bank.errors import Forbidden, InvalidState, NotFound, NotReady
from integrations.bank.models import (
    DeclineReason,
    LeadEventKind,
    LeadStatus,
    RepaymentMethod,
)
from integrations.bank.money import from_fen, to_fen
from integrations.bank.sandbox.context import Context, parse_time
from integrations.bank.sandbox.db import fetch_one, next_id
from integrations.bank.sandbox.leads import CLOSED, lead_row, record
from integrations.bank.sandbox.worksheets import checked_in

OPEN_CASE = (CaseStatus.VOTING, CaseStatus.MORE_INFO)
BEFORE_COMMITTEE = (
    LeadStatus.CLAIMED,
    LeadStatus.CONTACTED,
    LeadStatus.VISIT_BOOKED,
    LeadStatus.VISITED,
)


# --- readiness ------------------------------------------------------------------------------


def missing_for_committee(
    connection: sqlite3.Connection, context: Context, lead: sqlite3.Row
) -> list[str]:
    """What still stops the case: `checklist:<item>`, `worksheet`, `co_check_in`,
    `co_review` (empty when ready)."""
    missing = [
        f"checklist:{row['item_code']}"
        for row in connection.execute(
            "SELECT r.item_code FROM checklist_requirements r WHERE r.product_code = ?"
            " AND NOT EXISTS (SELECT 1 FROM checklist_ticks t WHERE t.lead_id = ?"
            " AND t.item_code = r.item_code) ORDER BY r.item_code",
            (context.config.product_code, lead["id"]),
        )
    ]
    version = latest_worksheet_version(connection, lead["id"])
    if version is None:
        missing.append("worksheet")
    co_officer = lead["co_officer_id"]
    if co_officer is not None:
        if not checked_in(connection, lead["id"], co_officer):
            missing.append("co_check_in")
        if version is None or not _reviewed(connection, lead["id"], co_officer, version):
            missing.append("co_review")
    return missing


def readiness(connection: sqlite3.Connection, context: Context, lead_id: str) -> CommitteeReadiness:
    lead = lead_row(connection, lead_id)
    try:
        committee_code: str | None = committee_for_amount(connection, lead["amount_fen"])["code"]
    except InvalidState:
        committee_code = None
    return CommitteeReadiness(
        lead_id=lead_id,
        missing=missing_for_committee(connection, context, lead),
        committee_code=committee_code,
    )


def latest_worksheet_version(connection: sqlite3.Connection, lead_id: str) -> int | None:
    row = fetch_one(
        connection, "SELECT MAX(version) AS version FROM worksheets WHERE lead_id = ?", (lead_id,)
    )
    return None if row is None or row["version"] is None else int(row["version"])


def _reviewed(connection: sqlite3.Connection, lead_id: str, officer_id: str, version: int) -> bool:
    return (
        fetch_one(
            connection,
            "SELECT 1 FROM worksheet_reviews WHERE lead_id = ? AND officer_id = ? AND version = ?",
            (lead_id, officer_id, version),
        )
        is not None
    )


# --- sending ------------------------------------------------------------------------------------


def send_to_committee(
    connection: sqlite3.Connection, context: Context, lead_id: str, submission: CommitteeSubmission
) -> CommitteeCase:
    lead = lead_row(connection, lead_id)
    if lead["officer_id"] != submission.officer_id or lead["claimed_at"] is None:
        raise Forbidden("only the officer who claimed the lead presents it")
    if lead["status"] not in BEFORE_COMMITTEE:
        raise InvalidState(f"the lead is {lead['status']}")
    return _open_case(
        connection,
        context,
        lead,
        recommendation=submission.recommendation,
        amount_fen=to_fen(submission.amount) if submission.amount else lead["amount_fen"],
        term_months=submission.term_months or lead["term_months"],
        method=submission.method or RepaymentMethod(lead["method"]),
    )


def _open_case(
    connection: sqlite3.Connection,
    context: Context,
    lead: sqlite3.Row,
    *,
    recommendation: str,
    amount_fen: int,
    term_months: int,
    method: RepaymentMethod,
) -> CommitteeCase:
    missing = missing_for_committee(connection, context, lead)
    if missing:
        raise NotReady(missing)
    committee = committee_for_amount(connection, amount_fen)
    version = latest_worksheet_version(connection, lead["id"])
    case_id = next_id(connection, "CC")
    connection.execute(
        "INSERT INTO committee_cases (id, lead_id, committee_code, presented_by, presented_at,"
        " worksheet_version, amount_fen, term_months, method, recommendation, status)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            case_id, lead["id"], committee["code"], lead["officer_id"], context.stamp,
            version, amount_fen, term_months, method, recommendation, CaseStatus.VOTING,
        ),
    )  # fmt: skip
    connection.execute(
        "UPDATE leads SET status = ? WHERE id = ?", (LeadStatus.COMMITTEE, lead["id"])
    )
    record(
        connection, context, lead["id"], LeadEventKind.COMMITTEE_SENT, lead["officer_id"],
        f"{case_id} {committee['code']}", status_changed=True,
    )  # fmt: skip
    return get_case(connection, case_id)


def committee_for_amount(connection: sqlite3.Connection, amount_fen: int) -> sqlite3.Row:
    """The committee with the smallest authority that covers the amount."""
    row = fetch_one(
        connection,
        "SELECT * FROM committees WHERE max_amount_fen IS NULL OR max_amount_fen >= ?"
        " ORDER BY max_amount_fen IS NULL, max_amount_fen LIMIT 1",
        (amount_fen,),
    )
    if row is None:
        raise InvalidState("no committee has the authority for this amount")
    return row


def answer_committee(
    connection: sqlite3.Connection, context: Context, case_id: str, answer: CaseAnswer
) -> CommitteeCase:
    """The presenter's answer to "ask for more": a new case with the answer, voted afresh."""
    case = case_row(connection, case_id)
    if case["presented_by"] != answer.officer_id:
        raise Forbidden("only the presenting officer answers the committee")
    if case["status"] != CaseStatus.MORE_INFO or _superseded(connection, case):
        raise InvalidState("the committee asked no question on this case")
    lead = lead_row(connection, case["lead_id"])
    if lead["status"] in CLOSED:
        raise InvalidState(f"the lead is {lead['status']}")
    record(
        connection, context, lead["id"], LeadEventKind.COMMITTEE_ANSWER, answer.officer_id,
        f"{case_id}: {answer.answer}",
    )  # fmt: skip
    return _open_case(
        connection,
        context,
        lead,
        recommendation=f"{case['recommendation']}\n\n{answer.answer}",
        amount_fen=case["amount_fen"],
        term_months=case["term_months"],
        method=RepaymentMethod(case["method"]),
    )


def _superseded(connection: sqlite3.Connection, case: sqlite3.Row) -> bool:
    later = fetch_one(
        connection,
        "SELECT 1 FROM committee_cases WHERE lead_id = ? AND id > ?",  # ids grow in order
        (case["lead_id"], case["id"]),
    )
    return later is not None


# --- reading ------------------------------------------------------------------------------------


def case_row(connection: sqlite3.Connection, case_id: str) -> sqlite3.Row:
    row = fetch_one(connection, "SELECT * FROM committee_cases WHERE id = ?", (case_id,))
    if row is None:
        raise NotFound("case")
    return row


def get_case(connection: sqlite3.Connection, case_id: str) -> CommitteeCase:
    row = case_row(connection, case_id)
    offer = fetch_one(connection, "SELECT id FROM offers WHERE case_id = ?", (case_id,))
    return CommitteeCase(
        id=row["id"],
        lead_id=row["lead_id"],
        committee_code=row["committee_code"],
        presented_by=row["presented_by"],
        presented_at=parse_time(row["presented_at"]),
        worksheet_version=row["worksheet_version"],
        amount=from_fen(row["amount_fen"]),
        term_months=row["term_months"],
        method=RepaymentMethod(row["method"]),
        recommendation=row["recommendation"],
        status=CaseStatus(row["status"]),
        decided_at=parse_time(row["decided_at"]) if row["decided_at"] else None,
        decided_amount=_money(row["decided_amount_fen"]),
        decided_term_months=row["decided_term_months"],
        decided_method=_method(row["decided_method"]),
        decline_reason=DeclineReason(row["decline_reason"]) if row["decline_reason"] else None,
        shared_note=row["shared_note"],
        question=row["question"],
        offer_id=offer["id"] if offer else None,
        votes=_votes(connection, case_id),
    )


def latest_case(connection: sqlite3.Connection, lead_id: str) -> CommitteeCase:
    lead_row(connection, lead_id)
    row = fetch_one(
        connection,
        "SELECT id FROM committee_cases WHERE lead_id = ? ORDER BY id DESC LIMIT 1",
        (lead_id,),
    )
    if row is None:
        raise NotFound("case")
    return get_case(connection, row["id"])


def _votes(connection: sqlite3.Connection, case_id: str) -> list[CommitteeVote]:
    rows = connection.execute(
        "SELECT v.*, o.name FROM committee_votes v JOIN officers o ON o.id = v.member_id"
        " WHERE v.case_id = ? ORDER BY v.id",
        (case_id,),
    ).fetchall()
    return [
        CommitteeVote(
            member_id=row["member_id"],
            member_name=row["name"],
            vote=VoteKind(row["vote"]),
            amount=_money(row["amount_fen"]),
            term_months=row["term_months"],
            method=_method(row["method"]),
            reason=DeclineReason(row["reason"]) if row["reason"] else None,
            note=row["note"],
            at=parse_time(row["at"]),
            current=bool(row["current"]),
        )
        for row in rows
    ]


def _money(fen: int | None) -> Decimal | None:
    return None if fen is None else from_fen(fen)


def _method(value: str | None) -> RepaymentMethod | None:
    return None if value is None else RepaymentMethod(value)


def list_committees(connection: sqlite3.Connection) -> list[Committee]:
    rows = connection.execute(
        "SELECT * FROM committees ORDER BY max_amount_fen IS NULL, max_amount_fen"
    ).fetchall()
    return [committee_model(connection, row) for row in rows]


def committee_model(connection: sqlite3.Connection, row: sqlite3.Row) -> Committee:
    members = connection.execute(
        "SELECT m.officer_id, m.chair, o.name FROM committee_members m"
        " JOIN officers o ON o.id = m.officer_id WHERE m.committee_code = ?"
        " ORDER BY m.chair DESC, m.officer_id",
        (row["code"],),
    ).fetchall()
    return Committee(
        code=row["code"],
        name=row["name"],
        max_amount=_money(row["max_amount_fen"]),
        members_needed=row["members_needed"],
        approvals_needed=row["approvals_needed"],
        chair_veto=bool(row["chair_veto"]),
        sla_hours=row["sla_hours"],
        members=[
            CommitteeMember(officer_id=m["officer_id"], name=m["name"], chair=bool(m["chair"]))
            for m in members
        ],
    )
