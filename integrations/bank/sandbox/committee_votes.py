"""The committee's votes and its decision.

Only members of the case's committee vote, never the presenting officer or the lead's
co-investigator. A member's vote can change until the decision (the old row stays, no
longer current). "Ask for more" sends the case back to the presenter at once. Once the
quorum of current votes is reached the case is decided, finally: approved with enough
approvals and no decline by a chair who has the veto, else declined. The decided terms are
the chair's changed terms when the chair approved with changes, else the most careful
(smallest amount) changed terms when approvals with changes alone reach the majority, else
the proposed ones. Approval opens the merchant's offer in the same transaction.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from integrations.bank.committee_models import CaseStatus, CommitteeCase, VoteKind, VoteRequest
from integrations.bank.errors import Forbidden, InvalidRequest, InvalidState
from integrations.bank.models import LeadEventKind, LeadStatus
from integrations.bank.money import to_fen
from integrations.bank.sandbox.committee import case_row, get_case
from integrations.bank.sandbox.context import Context
from integrations.bank.sandbox.db import fetch_one
from integrations.bank.sandbox.leads import lead_row, record
from integrations.bank.sandbox.offers import open_offer

APPROVING = (VoteKind.APPROVE, VoteKind.APPROVE_CHANGED)


def cast_vote(
    connection: sqlite3.Connection, context: Context, case_id: str, request: VoteRequest
) -> CommitteeCase:
    case = case_row(connection, case_id)
    lead = lead_row(connection, case["lead_id"])
    member = request.member_id
    if member in (case["presented_by"], lead["officer_id"], lead["co_officer_id"]):
        raise Forbidden("the presenting officer and the co-investigator do not vote")
    committee = fetch_one(
        connection, "SELECT * FROM committees WHERE code = ?", (case["committee_code"],)
    )
    assert committee is not None  # committee_cases.committee_code references committees
    if not _is_member(connection, committee["code"], member):
        raise Forbidden("not a member of this case's committee")
    if case["status"] != CaseStatus.VOTING:
        raise InvalidState(f"the case is {case['status']}")
    _require_within_authority(committee, request)
    _store(connection, context, case_id, request)
    record(
        connection, context, lead["id"], LeadEventKind.COMMITTEE_VOTE, member,
        _vote_note(case_id, request),
    )  # fmt: skip
    if request.vote is VoteKind.MORE_INFO:
        connection.execute(
            "UPDATE committee_cases SET status = ?, question = ? WHERE id = ?",
            (CaseStatus.MORE_INFO, request.note.strip(), case_id),
        )
        record(
            connection, context, lead["id"], LeadEventKind.COMMITTEE_QUESTION, member,
            f"{case_id}: {request.note.strip()}",
        )  # fmt: skip
    else:
        _decide_if_quorate(connection, context, case, committee)
    return get_case(connection, case_id)


def _is_member(connection: sqlite3.Connection, committee_code: str, officer_id: str) -> bool:
    row = fetch_one(
        connection,
        "SELECT 1 FROM committee_members WHERE committee_code = ? AND officer_id = ?",
        (committee_code, officer_id),
    )
    return row is not None


def _require_within_authority(committee: sqlite3.Row, request: VoteRequest) -> None:
    ceiling = committee["max_amount_fen"]
    if request.amount is not None and ceiling is not None and to_fen(request.amount) > ceiling:
        raise InvalidRequest("the changed amount is above this committee's authority")


def _store(
    connection: sqlite3.Connection, context: Context, case_id: str, request: VoteRequest
) -> None:
    connection.execute(
        "UPDATE committee_votes SET current = 0 WHERE case_id = ? AND member_id = ?",
        (case_id, request.member_id),
    )
    connection.execute(
        "INSERT INTO committee_votes (case_id, member_id, vote, amount_fen, term_months, method,"
        " reason, note, at, current) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
        (
            case_id, request.member_id, request.vote,
            to_fen(request.amount) if request.amount is not None else None,
            request.term_months, request.method, request.reason, request.note, context.stamp,
        ),
    )  # fmt: skip


def _vote_note(case_id: str, request: VoteRequest) -> str:
    parts = [case_id, request.vote.value]
    if request.vote is VoteKind.APPROVE_CHANGED:
        parts.append(f"{request.amount}/{request.term_months}/{request.method}")
    if request.reason is not None:
        parts.append(request.reason.value)
    note = " ".join(parts)
    return f"{note}: {request.note}" if request.note else note


@dataclass(frozen=True)
class _Ballot:
    member_id: str
    chair: bool
    vote: VoteKind
    amount_fen: int | None
    term_months: int | None
    method: str | None
    reason: str | None
    note: str
    at: str


def _ballots(connection: sqlite3.Connection, case: sqlite3.Row) -> list[_Ballot]:
    rows = connection.execute(
        "SELECT v.*, m.chair FROM committee_votes v JOIN committee_members m"
        " ON m.officer_id = v.member_id AND m.committee_code = ?"
        " WHERE v.case_id = ? AND v.current = 1 ORDER BY v.id",
        (case["committee_code"], case["id"]),
    ).fetchall()
    return [
        _Ballot(
            row["member_id"], bool(row["chair"]), VoteKind(row["vote"]), row["amount_fen"],
            row["term_months"], row["method"], row["reason"], row["note"], row["at"],
        )
        for row in rows
    ]  # fmt: skip


def _decide_if_quorate(
    connection: sqlite3.Connection, context: Context, case: sqlite3.Row, committee: sqlite3.Row
) -> None:
    ballots = _ballots(connection, case)
    if len(ballots) < committee["members_needed"]:
        return
    approvals = [ballot for ballot in ballots if ballot.vote in APPROVING]
    vetoes = [
        ballot
        for ballot in ballots
        if ballot.vote is VoteKind.DECLINE and ballot.chair and committee["chair_veto"]
    ]
    if len(approvals) >= committee["approvals_needed"] and not vetoes:
        _approve(connection, context, case, approvals, committee["approvals_needed"])
    else:
        declines = [ballot for ballot in ballots if ballot.vote is VoteKind.DECLINE]
        # the reason and note a decliner gave go to the merchant; an approver's never do
        declining = vetoes or declines
        _decline(connection, context, case, declining[0] if declining else None)
    summary = "; ".join(f"{b.member_id} {b.vote.value} {b.at}" for b in ballots)
    record(
        connection, context, case["lead_id"], LeadEventKind.COMMITTEE_DECISION, None,
        f"{case['id']}: {summary}", status_changed=True,
    )  # fmt: skip


def _approve(
    connection: sqlite3.Connection,
    context: Context,
    case: sqlite3.Row,
    approvals: list[_Ballot],
    approvals_needed: int,
) -> None:
    changed = [ballot for ballot in approvals if ballot.vote is VoteKind.APPROVE_CHANGED]
    chair = [ballot for ballot in changed if ballot.chair]
    terms = (case["amount_fen"], case["term_months"], case["method"])
    if chair or len(changed) >= approvals_needed:
        chosen = chair[0] if chair else min(changed, key=lambda b: b.amount_fen or 0)
        terms = (chosen.amount_fen, chosen.term_months, chosen.method)
    connection.execute(
        "UPDATE committee_cases SET status = ?, decided_at = ?, decided_amount_fen = ?,"
        " decided_term_months = ?, decided_method = ? WHERE id = ?",
        (CaseStatus.APPROVED, context.stamp, *terms, case["id"]),
    )
    connection.execute(
        "UPDATE leads SET status = ? WHERE id = ?", (LeadStatus.APPROVED, case["lead_id"])
    )
    open_offer(connection, context, case["id"])


def _decline(
    connection: sqlite3.Connection, context: Context, case: sqlite3.Row, decisive: _Ballot | None
) -> None:
    reason, note = (None, None) if decisive is None else (decisive.reason, decisive.note)
    connection.execute(
        "UPDATE committee_cases SET status = ?, decided_at = ?, decline_reason = ?,"
        " shared_note = ? WHERE id = ?",
        (CaseStatus.DECLINED, context.stamp, reason, note, case["id"]),
    )
    connection.execute(
        "UPDATE leads SET status = ? WHERE id = ?", (LeadStatus.DECLINED, case["lead_id"])
    )
