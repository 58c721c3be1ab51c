"""How the officers' and supervisors' dashboard Mini App words things: the chat's own lines
where the chat has them (queue lines, /team lines, classifications), labels for the rest."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.funnel import Stage
from bot.i18n import money
from bot.services.officers.lead_actions import NotReassignable
from bot.services.officers.team import TeamFunnel
from bot.views import officers as views
from integrations.bank.models import Lead

DUE_SOON = timedelta(hours=2)
# days overdue: 1-30, 31-60, 61-90, then over 90 (the upper end None)
BUCKETS: tuple[tuple[int, int | None], ...] = ((1, 30), (31, 60), (61, 90), (91, None))


def not_staff() -> str:
    return _("This is for the bank's loan officers. Officers link their account with /officer.")


def supervisors_only() -> str:
    return _("These figures are for supervisors.")


def not_in_queue() -> str:
    return _("This lead is no longer in your queue.")


def not_reassignable(reason: NotReassignable) -> str:
    """Why a supervisor's reassignment was refused (the chat's alert and the page's)."""
    texts = {
        NotReassignable.NO_LEAD: _("There is no such lead."),
        NotReassignable.OUTSIDE_TERRITORY: _("This lead is outside your team's territory."),
        NotReassignable.NOT_OPEN: _(
            "Only a lead nobody has claimed, or claimed and not yet contacted, can be reassigned."
        ),
        NotReassignable.NOT_IN_TEAM: _("This officer is not in your team."),
        NotReassignable.SAME_OFFICER: _("The lead is already with this officer."),
    }
    return texts[reason]


def card_sent() -> str:
    return _("The card is at the bottom of the chat.")


def sla_state(deadline: datetime | None, now: datetime) -> str:
    if deadline is None:
        return "none"
    if deadline <= now:
        return "late"
    return "soon" if deadline - now <= DUE_SOON else "ok"


def sla_name(state: str) -> str:
    names = {
        "none": _("no deadline"),
        "late": _("late"),
        "soon": _("due soon"),
        "ok": _("on time"),
    }
    return names[state]


def queue_item(
    item: views.QueueItem, now: datetime, currency: str, timezone: str, locale: str
) -> dict[str, object]:
    state = sla_state(item.deadline, now)
    return {
        "lead": item.lead.id if item.lead is not None else None,
        "task": item.task.id if item.task is not None else None,
        "deadline": item.deadline.isoformat() if item.deadline else None,
        "text": views.queue_line(item, currency, timezone, locale),
        "sla": state,
        "sla_text": sla_name(state),
    }


def overdue_case(case: views.OverdueCase) -> dict[str, object]:
    loan = case.loan
    return {
        "loan": loan.id,
        "days": loan.days_overdue,
        "classification": loan.classification.value,
        "text": ngettext(
            "Loan {loan}: {days} day overdue, {classification}",
            "Loan {loan}: {days} days overdue, {classification}",
            loan.days_overdue,
        ).format(
            loan=loan.id,
            days=loan.days_overdue,
            classification=views.classification_name(loan.classification),
        ),
    }


def bucket_of(days: int) -> tuple[int, int | None]:
    return next(b for b in BUCKETS if b[1] is None or days <= b[1])


def bucket_name(bucket: tuple[int, int | None]) -> str:
    low, high = bucket
    if high is None:
        return ngettext("over {days} day", "over {days} days", low - 1).format(days=low - 1)
    return ngettext("{low}–{high} day", "{low}–{high} days", high).format(low=low, high=high)


def stage_name(stage: Stage) -> str:
    names = {
        Stage.NEW: _("new leads"),
        Stage.CLAIMED: _("claimed"),
        Stage.VISITED: _("visited"),
        Stage.COMMITTEE: _("at committee"),
        Stage.APPROVED: _("approved"),
        Stage.PAID_OUT: _("offer accepted, paid out"),
    }
    return names[stage]


def funnel_document(team: TeamFunnel, locale: str) -> dict[str, object]:
    """The funnel, the SLA breaches and the districts, this week and this month."""
    week, month = team.week, team.month
    names = {district.code: district.name_in(locale) for district in team.districts}
    codes = list(names) + sorted((set(week.by_district) | set(month.by_district)) - set(names))
    return {
        "stages": [
            {
                "stage": stage.name.lower(),
                "label": stage_name(stage),
                "week": week.reached[stage],
                "month": month.reached[stage],
            }
            for stage in Stage
        ],
        "breaches": [
            _count_row(_("SLA breaches"), week.breaches, month.breaches),
            _count_row(_("not claimed in time"), week.late_claims, month.late_claims),
            _count_row(_("not contacted in time"), week.late_contacts, month.late_contacts),
        ],
        "districts": [
            _count_row(
                names.get(code) or code or _("district not known"),
                week.by_district.get(code, 0),
                month.by_district.get(code, 0),
            )
            for code in codes
        ],
    }


def _count_row(label: str, week: int, month: int) -> dict[str, object]:
    return {"label": label, "week": week, "month": month}


def reassign_line(lead: Lead, holder: str | None, currency: str, locale: str) -> str:
    """A lead the supervisor may move: no applicant's name, only what the choice needs."""
    amount = money(lead.amount, currency, locale)
    status = views.status_label(lead.status)
    if holder is None:
        return _("Lead {lead}, {amount}, {status}").format(
            lead=lead.id, amount=amount, status=status
        )
    return _("Lead {lead}, {amount}, {status}: {officer}").format(
        lead=lead.id, amount=amount, status=status, officer=holder
    )


def reassigned(name: str) -> str:
    return _("Reassigned to {name}.").format(name=name)


def reassign_unreadable() -> str:
    return _("Choose a lead and an officer.")


def labels(supervisor: bool) -> dict[str, str]:
    return {
        "title": _("Supervisor's dashboard") if supervisor else _("Officer's dashboard"),
        "queue": _("Unclaimed leads") if supervisor else _("My queue, nearest deadline first"),
        "empty_queue": _("Nothing waits in this queue."),
        "open": _("Open in the chat"),
        "week": _("My figures: this week / this month"),
        "team": _("The team: this week / this month"),
        "overdue": _("Overdue loans by days overdue"),
        "classification": _("Overdue loans by classification"),
        "no_overdue": _("No overdue loans."),
        "funnel": _("From new lead to payout"),
        "this_week": _("this week"),
        "this_month": _("this month"),
        "breaches": _("SLA breaches"),
        "districts": _("Leads by district"),
        "reassign_title": _("Reassign a lead"),
        "nothing_to_reassign": _("No lead waits for a claim or a first contact."),
        "reassign": _("Reassign"),
        "confirm_question": _("Give lead {lead} to {name}?"),
        "confirm": _("Yes, reassign"),
        "cancel": _("Cancel"),
    }
