"""The case pack: one PDF (and a PNG of its first page for the chat's preview) in the
reader's language, drawn with matplotlib in the charts' fonts so Chinese renders.

`pack_lines` and `pack_photos` write it in the current language (gettext): the bank sends
the facts with their codes (checklist items, document kinds, flags, the worksheet's JSON)
and the chat's own views name them, as the officers saw them; `committee_pdf.render_pack`
only draws it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from bot.domain.fieldwork import ExifVerdict
from bot.domain.schedule import Schedule
from bot.i18n import local_moment, money
from bot.views.committee import method_name
from bot.views.committee_pdf import PackLine, PackPhoto
from bot.views.officers import flag_label
from bot.views.text import labelled
from bot.views.visits import item_label, kind_label
from bot.views.worksheets import assessment_lines, recorded_lines
from integrations.bank.committee_models import CasePack
from integrations.bank.fieldwork_models import DocumentKind
from integrations.bank.models import Named

if TYPE_CHECKING:  # a type only: the views import no service
    from bot.services.committee.desk import PackFacts

Namer = Callable[[str | None], str]


def pack_lines(facts: PackFacts, currency: str, zone: str, locale: str) -> list[PackLine]:
    """The pack's text in the reader's language: every code named as the chat names it."""
    pack = facts.pack

    def name(officer_id: str | None) -> str:
        return facts.names.get(officer_id or "", officer_id or "—")

    case, lead = pack.case, pack.lead
    lines = [
        PackLine(
            _("{committee}: case pack {case}").format(committee=pack.committee.name, case=case.id),
            heading=True,
        ),
        PackLine(
            labelled(
                _("Presented"),
                _comma(local_moment(case.presented_at, zone, locale), name(case.presented_by)),
            )
        ),
        PackLine(_("Applicant and business"), heading=True),
        PackLine(labelled(_("Applicant"), _comma(lead.applicant_name, lead.masked_phone))),
        PackLine(labelled(_("District"), _named(facts.district, lead.district_code, locale))),
        PackLine(labelled(_("Industry"), _named(facts.industry, lead.industry_code, locale))),
        PackLine(labelled(_("Purpose"), lead.purpose or "—")),
        PackLine(labelled(_("Score"), str(lead.score) if lead.score is not None else "—")),
        *_loan(pack, facts.schedule, currency, locale),
        PackLine(_("Recommendation"), heading=True),
        PackLine(case.recommendation),
        *_checklist(pack, name),
        *_check_ins(pack, name, zone, locale),
        *_documents(pack, name, zone, locale),
        *_worksheet(facts, name, Reader(currency, zone, locale)),
        *_flags(pack),
    ]
    return lines


def _comma(head: str, tail: str) -> str:
    return _("{head}, {tail}").format(head=head, tail=tail)


def _semicolons(parts: list[str]) -> str:
    text = parts[0]
    for part in parts[1:]:
        text = _("{head}; {tail}").format(head=text, tail=part)
    return text


def _named(item: Named | None, code: str, locale: str) -> str:
    return item.name_in(locale) if item is not None else code


def _loan(pack: CasePack, schedule: Schedule | None, currency: str, locale: str) -> list[PackLine]:
    case = pack.case
    lines = [
        PackLine(_("Proposed loan"), heading=True),
        PackLine(labelled(_("Amount"), money(case.amount, currency, locale))),
        PackLine(
            labelled(
                _("Term"),
                ngettext("{months} month", "{months} months", case.term_months).format(
                    months=case.term_months
                ),
            )
        ),
        PackLine(labelled(_("Repayment method"), method_name(case.method))),
        PackLine(labelled(_("Annual rate"), f"{pack.annual_rate}%")),
    ]
    if schedule is not None:
        lines += [
            PackLine(
                labelled(_("Monthly payment"), money(schedule.first_payment, currency, locale))
            ),
            PackLine(
                labelled(
                    _("Largest installment"), money(schedule.largest_payment, currency, locale)
                )
            ),
            PackLine(labelled(_("APR"), f"{schedule.apr:.2f}%")),
            PackLine(
                labelled(_("Total interest"), money(schedule.total_interest, currency, locale))
            ),
            PackLine(labelled(_("Total to repay"), money(schedule.total, currency, locale))),
        ]
    return lines


def _checklist(pack: CasePack, name: Namer) -> list[PackLine]:
    lines = [PackLine(_("Checklist"), heading=True)]
    if not pack.checklist:
        return [*lines, PackLine(_("Nothing recorded."))]
    for item in pack.checklist:
        mark = "✓" if item.ticked else "✗"
        required = _(" (required)") if item.required else ""
        detail = f" — {_comma(item.note, name(item.officer_id))}" if item.ticked else ""
        lines.append(PackLine(f"{mark} {item_label(item.item_code)}{required}{detail}"))
    return lines


def _check_ins(pack: CasePack, name: Namer, zone: str, locale: str) -> list[PackLine]:
    lines = [PackLine(_("Check-ins at the business"), heading=True)]
    if not pack.check_ins:
        return [*lines, PackLine(_("Nothing recorded."))]
    for visit in pack.check_ins:
        where = (
            _("{distance} m from the merchant's location")
            if visit.measured_from == "merchant"
            else _("{distance} m from the district's centre")
        )
        verdict = (
            _("within the limit")
            if visit.within_limit
            else _("beyond the limit: {reason}").format(reason=visit.reason or "—")
        )
        lines.append(
            PackLine(
                labelled(
                    _comma(name(visit.officer_id), local_moment(visit.at, zone, locale)),
                    _comma(where.format(distance=visit.distance_m), verdict),
                )
            )
        )
    return lines


def _documents(pack: CasePack, name: Namer, zone: str, locale: str) -> list[PackLine]:
    lines = [PackLine(_("Documents and photos"), heading=True)]
    if not pack.documents:
        return [*lines, PackLine(_("Nothing recorded."))]
    for document in pack.documents:
        parts = [
            f"{_kind(document.kind)} {document.id}",
            _comma(name(document.uploaded_by), local_moment(document.uploaded_at, zone, locale)),
            _verdict(document.exif_verdict),
        ]
        if document.taken_at is not None:
            parts.append(labelled(_("camera time"), local_moment(document.taken_at, zone, locale)))
        if document.seen_on_other_lead:
            parts.append(_("⚠ the same file is on another lead"))
        lines.append(PackLine(_semicolons(parts)))
    return lines


def _kind(code: str) -> str:
    try:
        return kind_label(DocumentKind(code))
    except ValueError:  # a kind this bot does not know yet
        return code


def _verdict(code: str) -> str:
    verdicts: dict[str, str] = {
        ExifVerdict.OK: _("EXIF: taken at the business, at the visit"),
        ExifVerdict.NO_EXIF: _("no EXIF (compressed photo)"),
        ExifVerdict.FAR: _("EXIF: taken far from the business"),
        ExifVerdict.STALE: _("EXIF: taken long before the visit"),
    }
    return verdicts.get(code, code)  # a StrEnum key matches its value


@dataclass(frozen=True)
class Reader:
    currency: str
    zone: str
    locale: str


def _worksheet(facts: PackFacts, name: Namer, reader: Reader) -> list[PackLine]:
    pack, sheet, assessment = facts.pack, facts.pack.worksheet, facts.assessment
    lines = [PackLine(_("The officer's worksheet"), heading=True)]
    if sheet is None:
        return [*lines, PackLine(_("Nothing recorded."))]
    lines.append(
        PackLine(
            _("Version {version}, {officer}, {when}").format(
                version=sheet.version,
                officer=name(sheet.officer_id),
                when=local_moment(sheet.saved_at, reader.zone, reader.locale),
            )
        )
    )
    if assessment is None:
        lines.append(PackLine(_("This version does not read as a worksheet of this bot.")))
    else:
        recorded = recorded_lines(assessment.worksheet, reader.currency, reader.locale)
        rebuilt = assessment_lines(assessment, reader.currency, reader.locale)
        lines += [PackLine(text) for text in (*recorded, "", *rebuilt)]
    review = pack.review
    if pack.lead.co_officer_id is not None:
        if review is None:
            lines.append(PackLine(_("Second officer: no review of this version.")))
        else:
            verdict = _("confirmed") if review.verdict == "confirmed" else _("dissent")
            lines.append(
                PackLine(
                    labelled(
                        _("Second officer"),
                        labelled(_comma(name(review.officer_id), verdict), review.note),
                    )
                )
            )
    return lines


def _flags(pack: CasePack) -> list[PackLine]:
    flags = [flag_label(flag) for flag in pack.lead.flags]
    flags += [_("check-in beyond the limit") for visit in pack.check_ins if not visit.within_limit]
    flags += [
        _("photo {document}: {verdict}").format(document=d.id, verdict=_verdict(d.exif_verdict))
        for d in pack.documents
        if d.exif_verdict in ("far", "stale")
    ]
    flags += [
        _("photo {document} is on another lead").format(document=d.id)
        for d in pack.documents
        if d.seen_on_other_lead
    ]
    if pack.review is not None and pack.review.verdict == "dissent":
        flags.append(_("the second officer dissents"))
    lines = [PackLine(_("Flags"), heading=True)]
    return lines + ([PackLine(f"⚠ {flag}") for flag in flags] or [PackLine(_("None."))])


def pack_photos(facts: PackFacts) -> list[PackPhoto]:
    """The lead's files the bank gave back, captioned in the reader's language."""
    photos = []
    for document in facts.pack.documents:
        content = facts.files.get(document.id)
        if content is not None:
            caption = _semicolons(
                [f"{_kind(document.kind)} {document.id}", _verdict(document.exif_verdict)]
            )
            photos.append(PackPhoto(caption, content))
    return photos
