"""How the officers' and supervisors' dashboard Mini App words things: the chat's own lines
where the chat has them (queue lines, /team lines, classifications), labels for the rest."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.views import officers as views

DUE_SOON = timedelta(hours=2)
# days overdue: 1-30, 31-60, 61-90, then over 90 (the upper end None)
BUCKETS: tuple[tuple[int, int | None], ...] = ((1, 30), (31, 60), (61, 90), (91, None))


def not_staff() -> str:
    return _("This is for the bank's loan officers. Officers link their account with /officer.")


def supervisors_only() -> str:
    return _("These figures are for supervisors.")


def not_in_queue() -> str:
    return _("This lead is no longer in your queue.")


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
    }
