"""A lead's timeline as officers read it: one line per thing that happened, a page at a
time, newest page last."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _

from bot.i18n import moment, money
from bot.services.timeline import TimelinePage
from bot.views.application import months_text
from bot.views.officers import status_label
from bot.views.timeline_button import TimelineButton
from integrations.bank.models import LeadStatus
from integrations.bank.offer_models import TimelineEntry, TimelineKind


def timeline_text(shown: TimelinePage, zone: ZoneInfo, currency: str, locale: str) -> str:
    title = _("Timeline of lead {reference}, page {page} of {pages}").format(
        reference=shown.lead_id, page=shown.page + 1, pages=shown.pages
    )
    if not shown.entries:
        return "\n".join([title, _("Nothing has happened yet.")])
    lines = [
        _("{moment} · {who}: {what}").format(
            moment=moment(entry.at.astimezone(zone), locale),
            who=_who(entry, shown.names),
            what=_what(entry, currency, locale),
        )
        for entry in shown.entries
    ]
    return "\n".join([title, *lines])


def timeline_keyboard(shown: TimelinePage) -> InlineKeyboardMarkup | None:
    row = []
    if shown.page > 0:
        data = TimelineButton(lead=shown.lead_id, page=shown.page - 1, edit=True).pack()
        row.append(InlineKeyboardButton(text=_("◀ Earlier"), callback_data=data))
    if shown.page + 1 < shown.pages:
        data = TimelineButton(lead=shown.lead_id, page=shown.page + 1, edit=True).pack()
        row.append(InlineKeyboardButton(text=_("Later ▶"), callback_data=data))
    return InlineKeyboardMarkup(inline_keyboard=[row]) if row else None


def timeline_usage() -> str:
    return _("Send /timeline and the lead's reference, e.g. /timeline LD000001.")


def not_on_lead() -> str:
    return _("Only the officers on this lead and their supervisor can read its timeline.")


def _who(entry: TimelineEntry, names: dict[str, str]) -> str:
    if entry.kind is TimelineKind.ACCEPTANCE:
        return _("the merchant")
    if entry.actor_id is None:
        return _("the bank")
    return names.get(entry.actor_id, entry.actor_id)


def _what(entry: TimelineEntry, currency: str, locale: str) -> str:
    terms = ""
    if entry.amount is not None and entry.term_months is not None:
        terms = _("{amount} over {term}").format(
            amount=money(entry.amount, currency, locale), term=months_text(entry.term_months)
        )
    texts = {
        TimelineKind.LEAD_EVENT: lambda: _lead_event(entry),
        TimelineKind.DOCUMENT: lambda: _("evidence added: {kind}").format(kind=entry.detail),
        TimelineKind.WORKSHEET: lambda: _("worksheet version {version} saved").format(
            version=entry.version
        ),
        TimelineKind.VOTE: lambda: _vote(entry, terms),
        TimelineKind.OFFER: lambda: _("offer made: {terms} ({status})").format(
            terms=terms, status=_offer_status(entry.status)
        ),
        TimelineKind.ACCEPTANCE: lambda: _("offer accepted with the SMS code: {terms}").format(
            terms=terms
        ),
    }
    return texts[entry.kind]()


def _lead_event(entry: TimelineEntry) -> str:
    status = (
        status_label(LeadStatus(entry.status)) if entry.status in set(LeadStatus) else entry.status
    )
    texts = {
        "submitted": _("application received"),
        "routed": _("offered to an officer"),
        "claimed": _("claimed the lead"),
        "passed": _("passed the lead on"),
        "reassigned": _("reassigned the lead"),
        "status_changed": _("status: {status}"),
        "note": _("note: {note}"),
        "visit_booked": _("booked a visit"),
        "disbursed": _("loan paid out"),
    }
    text = texts.get(entry.detail, _("{event} (status: {status})"))
    return text.format(status=status, note=entry.note, event=entry.detail.replace("_", " "))


def _vote(entry: TimelineEntry, terms: str) -> str:
    texts = {
        "approve": _("voted to approve"),
        "approve_changed": _("voted to approve with changes: {terms}"),
        "decline": _("voted to decline"),
        "more_info": _("asked the officer for more"),
    }
    return texts.get(entry.detail, entry.detail).format(terms=terms)


def _offer_status(status: str) -> str:
    texts = {
        "open": _("open"),
        "accepted": _("accepted"),
        "expired": _("expired"),
        "withdrawn": _("withdrawn"),
    }
    return texts.get(status, status)
