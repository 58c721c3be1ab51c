"""What the officer sees of a visit: the check-in, the evidence and its EXIF verdicts, the
checklist 五查四看一走访十确认, and their buttons."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext
from babel.numbers import format_decimal
from pydantic import Field

from bot.domain.fieldwork import ChecklistGroup, ExifVerdict
from bot.i18n import moment
from bot.views.text import labelled, sentences
from integrations.bank.fieldwork_models import CheckIn, Checklist, ChecklistEntry, Document
from integrations.bank.fieldwork_models import DocumentKind as Kind

VISIT_PREFIXES = ("vc",)
BankId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
CANCEL_LABEL = __("✖️ Cancel")
KINDS = tuple(Kind)


class VisitVerb(StrEnum):
    CHECK_IN = "in"
    EVIDENCE = "ev"
    KIND = "kind"  # arg: "<the file's message number>-<kind>"
    DONE = "done"
    CHECKLIST = "cl"
    ITEM = "item"  # arg: the item's code
    PLAIN = "plain"  # tick the item without a note
    UNTICK = "untick"
    CLOSE = "close"


class VisitAction(CallbackData, prefix="vc"):
    """A visit button; the server re-checks the officer, the lead and the pending file."""

    action: VisitVerb
    lead: BankId
    arg: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{0,40}$")] = ""


def _button(text: str, lead_id: str, verb: VisitVerb, arg: str = "") -> InlineKeyboardButton:
    data = VisitAction(action=verb, lead=lead_id, arg=arg).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def card_row(lead_id: str, visit_booked: bool) -> list[InlineKeyboardButton]:
    """The visit's buttons on a claimed lead's card."""
    check_in = [_button(_("📍 Check in"), lead_id, VisitVerb.CHECK_IN)] if visit_booked else []
    return [
        *check_in,
        _button(_("📷 Evidence"), lead_id, VisitVerb.EVIDENCE),
        _button(_("☑️ Checklist"), lead_id, VisitVerb.CHECKLIST),
    ]


# --- distances -------------------------------------------------------------------------------


def distance(metres: int, locale: str) -> str:
    if metres < 1000:
        return _("{distance} m").format(distance=format_decimal(metres, locale=locale))
    kilometres = format_decimal(round(metres / 1000, 1), format="#,##0.0", locale=locale)
    return _("{distance} km").format(distance=kilometres)


# --- check-in --------------------------------------------------------------------------------


def location_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_("📍 Share my location"), request_location=True)],
            [KeyboardButton(text=str(CANCEL_LABEL))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def check_in_question(lead_id: str) -> str:
    return _(
        "Check in for lead {lead}: share your location with the button below "
        "(a live location works too)."
    ).format(lead=lead_id)


def location_expected() -> str:
    return _("Share your location with the button below, or press Cancel.")


def book_visit_first() -> str:
    return _("Book the visit first; then check in at the business.")


def check_in_cancelled() -> str:
    return _("Check-in cancelled.")


def checked_in(check_in: CheckIn, zone: ZoneInfo, locale: str) -> str:
    where = (
        _("from the location the merchant shared")
        if check_in.measured_from == "merchant"
        else _("from the district's centre")
    )
    text = _("✅ Checked in on lead {lead} at {time}: {distance} {where}.").format(
        lead=check_in.lead_id,
        time=moment(check_in.at.astimezone(zone), locale),
        distance=distance(check_in.distance_m, locale),
        where=where,
    )
    if check_in.reason:
        text += "\n" + _("Farther than the limit; your reason is on record: {reason}").format(
            reason=check_in.reason
        )
    return text


def too_far(distance_m: int, limit_m: int, locale: str) -> str:
    return _(
        "📍 You are {distance} from the business; the bank takes check-ins within {limit}. "
        "Write in one message why you check in from here (the committee will see it), "
        "or press Cancel."
    ).format(distance=distance(distance_m, locale), limit=distance(limit_m, locale))


def reason_expected() -> str:
    return _("Write the reason as text, or press Cancel.")


# --- evidence --------------------------------------------------------------------------------


def kind_label(kind: Kind) -> str:
    labels = {
        Kind.PREMISES: _("Premises"),
        Kind.STOCK: _("Stock"),
        Kind.BOOKS: _("Books or receipts"),
        Kind.LICENCE: _("Licence"),
        Kind.HOUSEHOLD: _("Household"),
        Kind.GUARANTOR: _("Guarantor"),
        Kind.OTHER: _("Other"),
    }
    return labels[kind]


def evidence_intro(lead_id: str, documents: list[Document], locale: str) -> str:
    lines = [
        _(
            "Evidence for lead {lead}: send photos of the premises, stock, books or receipts, "
            "licence, household or guarantor. Send a photo as a file (📎 → File) to keep the "
            "camera time and place; then choose what it shows."
        ).format(lead=lead_id)
    ]
    if documents:
        lines.append(
            ngettext("{count} file so far:", "{count} files so far:", len(documents)).format(
                count=len(documents)
            )
        )
        lines += [f"• {document_line(document, locale)}" for document in documents]
    return "\n".join(lines)


def evidence_keyboard(lead_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(_("✅ Done"), lead_id, VisitVerb.DONE)]])


def document_line(document: Document, locale: str) -> str:
    flags = same_file_text(document) if document.same_file else ""
    return labelled(kind_label(document.kind), sentences(verdict_text(document, locale), flags))


def verdict_text(document: Document, locale: str) -> str:
    if document.exif_verdict is ExifVerdict.NO_EXIF:
        return _("⚠️ no EXIF (sent compressed or scanned): camera time and place unknown.")
    if document.exif_verdict is ExifVerdict.FAR:
        return _("⚠️ taken {distance} from the business.").format(
            distance=distance(document.distance_m or 0, locale)
        )
    if document.exif_verdict is ExifVerdict.STALE:
        return _("⚠️ taken long before the visit.")
    return _("✓ camera time and place fit the visit.")


def same_file_text(document: Document) -> str:
    leads = ", ".join(sorted({other.lead_id for other in document.same_file}))
    return _("🚩 The same file is on lead {leads}.").format(leads=leads)


def kind_question() -> str:
    return _("What does this file show?")


def kind_keyboard(lead_id: str, file_key: str) -> InlineKeyboardMarkup:
    buttons = [
        _button(kind_label(kind), lead_id, VisitVerb.KIND, f"{file_key}-{kind}") for kind in KINDS
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    )


def saved(document: Document, zone: ZoneInfo, locale: str) -> str:
    camera = (
        _("Camera time {time}.").format(time=moment(document.taken_at.astimezone(zone), locale))
        if document.taken_at is not None
        else ""
    )
    text = sentences(
        _("Saved on lead {lead} as {kind}.").format(
            lead=document.lead_id, kind=kind_label(document.kind)
        ),
        camera,
        verdict_text(document, locale),
    )
    if document.same_file:
        text += "\n" + sentences(same_file_text(document), _("Its officers are told."))
    return text


def same_file_alert(document: Document, other_lead_id: str) -> str:
    return _(
        "🚩 A file on your lead {lead} was just sent again as evidence for lead {other}. "
        "The committee will see it on both."
    ).format(lead=other_lead_id, other=document.lead_id)


def file_refused(reason: str, limit_bytes: int, locale: str) -> str:
    if reason == "too_large":
        megabytes = format_decimal(limit_bytes / 1024 / 1024, format="#,##0.#", locale=locale)
        return _("This file is too large: the bank takes files up to {size} MB.").format(
            size=megabytes
        )
    if reason == "type":
        return _("The bank takes photos (JPEG, PNG, WebP) and PDF documents only.")
    return _("This file is empty.")


def file_expired() -> str:
    return _("This file is no longer waiting to be saved. Send it again.")


def not_a_file() -> str:
    return _("Send a photo or a file, or press Done.")


def evidence_done(count: int) -> str:
    return ngettext(
        "Evidence finished: {count} file on the lead.",
        "Evidence finished: {count} files on the lead.",
        count,
    ).format(count=count)


# --- the checklist ---------------------------------------------------------------------------


def group_label(group: ChecklistGroup) -> str:
    labels = {
        ChecklistGroup.CHECK: _("Five checks"),
        ChecklistGroup.LOOK: _("Four looks"),
        ChecklistGroup.VISIT: _("One round of visits"),
        ChecklistGroup.CONFIRM: _("Ten confirmations"),
    }
    return labels[group]


def item_label(code: str) -> str:
    labels = {
        "internet": _("The internet"),
        "tax": _("Tax receipts"),
        "electricity": _("Electricity use and bills"),
        "bank_accounts": _("Bank accounts"),
        "credit_bureau": _("Credit bureau"),
        "papers": _("Business papers"),
        "books_stock": _("Books against stock"),
        "equipment": _("Equipment"),
        "site": _("The premises at work"),
        "round": _("Registry, tax office, power company, peers, neighbours"),
        "product": _("Product legal and competitive"),
        "sales": _("Sales are good"),
        "operation": _("Business runs normally"),
        "cash_flow": _("Cash flow is normal"),
        "credit": _("Credit standing"),
        "licences": _("Licences"),
        "books_true": _("The books are true"),
        "capacity": _("Can produce what it sells"),
        "management": _("Sound management"),
        "owner": _("The owner's standing"),
    }
    return labels.get(code, code)


def checklist_text(checklist: Checklist) -> str:
    lines = [
        _("Checklist for lead {lead} (* required before committee)").format(lead=checklist.lead_id)
    ]
    group: ChecklistGroup | None = None
    for item in checklist.items:
        if item.group is not group:
            group = item.group
            lines.append(f"\n{group_label(group)}")
        mark = "✅" if item.ticked else "⬜"
        line = f"{mark} {item_label(item.code)}{' *' if item.required else ''}"
        lines.append(line + (f" — {item.note}" if item.note else ""))
    missing = len(checklist.missing)
    lines.append("")
    lines.append(
        ngettext(
            "{count} required item still open.", "{count} required items still open.", missing
        ).format(count=missing)
        if missing
        else _("Every required item is ticked.")
    )
    return "\n".join(lines)


def checklist_keyboard(checklist: Checklist) -> InlineKeyboardMarkup:
    lead_id = checklist.lead_id
    buttons = [
        _button(f"{'✅' if item.ticked else '⬜'} {item_label(item.code)}", lead_id,
                VisitVerb.ITEM, item.code)
        for item in checklist.items
    ]  # fmt: skip
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([_button(_("Close"), lead_id, VisitVerb.CLOSE)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def item_question(entry: ChecklistEntry) -> str:
    text = _("{item}: send a note on what you saw or checked, or tick it without a note.").format(
        item=item_label(entry.code)
    )
    if entry.ticked and entry.note:
        text += "\n" + _("Now: {note}").format(note=entry.note)
    return text


def item_keyboard(entry: ChecklistEntry, lead_id: str) -> InlineKeyboardMarkup:
    row = [_button(_("✅ Tick without a note"), lead_id, VisitVerb.PLAIN, entry.code)]
    if entry.ticked:
        row.append(_button(_("↩️ Untick"), lead_id, VisitVerb.UNTICK, entry.code))
    back = [_button(_("« Back"), lead_id, VisitVerb.CHECKLIST)]
    return InlineKeyboardMarkup(inline_keyboard=[row, back])


def note_expected() -> str:
    return _("Write the note as text, or tick without a note.")
