"""What officers see: lead cards, their buttons, pickers, reminders and the queue."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from aiogram.utils.keyboard import InlineKeyboardBuilder
from babel.numbers import format_percent
from pydantic import Field

from bot.domain.collection import BorrowerKind, CollectionStep, ProposedStep
from bot.domain.plans import PLANS_BY_ID
from bot.domain.team import OfficerStats
from bot.i18n import day, local_moment, money
from bot.views import committee as committee_views
from bot.views import worksheets
from bot.views.calculator import plan_name
from bot.views.text import sentences
from bot.views.timeline_button import timeline_button
from bot.views.visits import card_row as visit_buttons
from integrations.bank.models import (
    District,
    Industry,
    Lead,
    LeadStatus,
    Loan,
    LoanClassification,
    Named,
    OfficerTask,
    TaskKind,
)

if TYPE_CHECKING:  # the officers' services draw their cards with these views
    from bot.services.officers.staff import DeskError

QUEUE_PAGE_SIZE = 5
CLOSED = (LeadStatus.DECLINED, LeadStatus.WITHDRAWN, LeadStatus.DISBURSED)
SETTABLE = (LeadStatus.CONTACTED, LeadStatus.VISITED, LeadStatus.WITHDRAWN)
PASS_REASONS = ("too_far", "other_industry", "conflict_of_interest", "too_busy")


OFFICER_PREFIXES = ("ol", "ot", "ok", "oq", "ou", "oo", "od")
BankId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class LeadVerb(StrEnum):
    CLAIM = "claim"
    PASS = "pass"
    PASS_REASON = "why"
    DETAILS = "details"
    BACK = "back"
    CALL = "call"
    STATUS = "status"
    SET_STATUS = "set"
    VISIT = "visit"
    VISIT_DAY = "day"
    VISIT_TIME = "time"
    NOTE = "note"
    REASSIGN = "to"


class LeadAction(CallbackData, prefix="ol"):
    """A button on a lead card; the server re-checks who may press it."""

    action: LeadVerb
    lead: BankId
    arg: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{0,40}$")] = ""


class TaskVerb(StrEnum):
    DONE = "done"
    LATER = "later"


class TaskAction(CallbackData, prefix="ot"):
    action: TaskVerb
    task: BankId
    page: Annotated[int, Field(ge=0, le=10_000)] = 0


class TaskDay(CallbackData, prefix="od"):
    """The day a task is moved to, picked from the working days offered."""

    task: BankId
    day: Annotated[str, Field(pattern=r"^[0-9]{8}$")]
    page: Annotated[int, Field(ge=0, le=10_000)] = 0


@dataclass(frozen=True)
class OverdueCase:
    task: OfficerTask
    loan: Loan
    kind: BorrowerKind | None


@dataclass(frozen=True)
class TeamRow:
    name: str
    week: OfficerStats
    month: OfficerStats
    overdue_loans: int


class KindChoice(CallbackData, prefix="ok"):
    task: BankId
    kind: BorrowerKind


class QueuePage(CallbackData, prefix="oq"):
    page: Annotated[int, Field(ge=0, le=10_000)]


class QueueOpen(CallbackData, prefix="oo"):
    """Open a lead of the queue: its card is sent again, if the lead is still queued."""

    lead: BankId


@dataclass(frozen=True)
class LeadFacts:
    lead: Lead
    district: District | None  # None: a code the bank's reference data no longer has
    industry: Industry | None
    monthly_payment: Decimal | None
    cash_flow_share: Decimal | None
    officer_name: str | None
    co_officer_name: str | None
    deadline: datetime | None
    deadline_left: timedelta | None
    overdue: timedelta | None  # working time since the deadline passed; None before it
    currency: str
    timezone: str

    @property
    def claimed(self) -> bool:
        return self.lead.claimed_at is not None

    @property
    def closed(self) -> bool:
        return self.lead.status in CLOSED


@dataclass(frozen=True)
class Viewer:
    officer_id: str
    supervisor_card: bool
    reason: str | None  # why a supervisor got the card

    def on(self, lead: Lead) -> bool:
        return self.officer_id in (lead.officer_id, lead.co_officer_id)


@dataclass(frozen=True)
class QueueItem:
    deadline: datetime | None
    task: OfficerTask | None
    lead: Lead | None


class UnlinkStep(StrEnum):
    ASK = "ask"
    YES = "yes"
    NO = "no"


class StaffUnlink(CallbackData, prefix="ou"):
    """Unlinking the officer's chat: asked first, then done or not."""

    step: UnlinkStep


def staff_commands(supervisor: bool) -> list[tuple[str, str]]:
    """The chat's command menu, and the commands /help lists, for officers and supervisors."""
    if supervisor:
        first = [("queue", _("Leads nobody has claimed")), ("team", _("Your team's numbers"))]
    else:
        first = [
            ("queue", _("Open leads and tasks by deadline")),
            ("overdue", _("Overdue loans and the next step")),
        ]
    return [
        *first,
        ("officer", _("Your officer account")),
        ("language", _("Change the language")),
        ("cancel", _("Leave the current step")),
        ("help", _("What I can do")),
    ]


def staff_menu(supervisor: bool) -> list[BotCommand]:
    return [BotCommand(command=name, description=text) for name, text in staff_commands(supervisor)]


def staff_help(supervisor: bool) -> str:
    if supervisor:
        lines = [
            _("Leads nobody claims or contacts in time come to you here, with Reassign buttons."),
            "",
        ]
    else:
        lines = [
            _(
                "New leads of your territory come here as cards: Claim, Pass, Details; once "
                "claimed: Call, Book visit, Add note, Status. New post-loan and overdue tasks "
                "come here too, and each working morning the day's tasks."
            ),
            "",
        ]
    lines += [
        _("/{command}: {description}").format(command=command, description=text)
        for command, text in staff_commands(supervisor)
    ]
    return "\n".join(lines)


def with_dashboard(
    markup: InlineKeyboardMarkup | None, mini_app: str | None
) -> InlineKeyboardMarkup | None:
    """/queue's buttons, and the dashboard Mini App's under them when BOT_WEBAPP_URL is set."""
    if mini_app is None:
        return markup
    button = InlineKeyboardButton(
        text=_("📊 Dashboard"), web_app=WebAppInfo(url=mini_app.rstrip("/") + "/desk")
    )
    rows = markup.inline_keyboard if markup is not None else []
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [button]])


def linked_keyboard() -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(
        text=_("Unlink this chat"), callback_data=StaffUnlink(step=UnlinkStep.ASK).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def unlink_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("Yes, unlink"), callback_data=StaffUnlink(step=UnlinkStep.YES).pack()
                ),
                InlineKeyboardButton(
                    text=_("No, keep it"), callback_data=StaffUnlink(step=UnlinkStep.NO).pack()
                ),
            ]
        ]
    )


def not_yours() -> str:
    return _("This lead is not yours to act on.")


def bank_refusal(error: DeskError) -> str:
    """What the bank's no to an officer's action means for the officer."""
    if error.code == "already_claimed":
        return _("{name} has already claimed this lead.").format(name=error.claimed_by_name)
    if error.code == "invalid_state":
        return _("Not possible at this stage of the lead.")
    return _("The bank cannot be reached right now. Try again in a minute.")


def status_label(status: LeadStatus) -> str:
    labels = {
        LeadStatus.ROUTED: _("waiting for a claim"),
        LeadStatus.UNASSIGNED: _("nobody assigned"),
        LeadStatus.CLAIMED: _("claimed"),
        LeadStatus.CONTACTED: _("contacted"),
        LeadStatus.VISIT_BOOKED: _("visit booked"),
        LeadStatus.VISITED: _("visited"),
        LeadStatus.COMMITTEE: _("sent to the credit committee"),
        LeadStatus.APPROVED: _("approved"),
        LeadStatus.DECLINED: _("declined"),
        LeadStatus.WITHDRAWN: _("withdrawn"),
        LeadStatus.DISBURSED: _("paid out"),
    }
    return labels[status]


def pass_reason_label(reason: str) -> str:
    labels = {
        "too_far": _("Too far from my area"),
        "other_industry": _("Not my industry"),
        "conflict_of_interest": _("Conflict of interest"),
        "too_busy": _("Too many open leads"),
    }
    return labels.get(reason, reason)


def flag_label(flag: str) -> str:
    labels = {
        "sales_mismatch": _("sales do not match"),
        "costs_over_sales": _("costs above sales"),
        "card_use_high": _("credit card use high"),
        "phone_elsewhere": _("phone from another city"),
        "loan_over_sales": _("loan large for the sales"),
        "debts_heavy": _("heavy debts"),
    }
    return labels.get(flag, flag)


def factor_label(code: str) -> str:
    """A score factor the judgement recorded, in words."""
    if code.startswith("flag:"):
        return flag_label(code.removeprefix("flag:"))
    labels = {
        "coverage": _("room in the cash flow for the payment"),
        "months_operating": _("months in business"),
        "guarantor": _("a guarantor"),
        "owns_home": _("owns a home"),
    }
    return labels.get(code, code)


def listing(items: Iterable[str]) -> str:
    return _(", ").join(items)


@dataclass(frozen=True)
class StaffArea:
    """Where an officer works, with the bank's reference data to word unknown codes by."""

    territory_code: str
    team_code: str
    districts: tuple[Named, ...]  # the districts in the territory
    industries: tuple[Named, ...]  # the industries the team serves


def territory_name(area: StaffArea, locale: str) -> str:
    names = {
        "CD-N": _("Chengdu North"),
        "CD-S": _("Chengdu South"),
        "HQ": _("head office"),
    }
    known = names.get(area.territory_code)
    described = listing(item.name_in(locale) for item in area.districts)
    return known or described or area.territory_code


def team_name(area: StaffArea, locale: str) -> str:
    names = {"RETAIL": _("retail and wholesale"), "FOOD": _("food and services")}
    known = names.get(area.team_code)
    described = listing(item.name_in(locale) for item in area.industries)
    return known or described or area.team_code


def duration(left: timedelta) -> str:
    minutes = max(int(left.total_seconds() // 60), 0)
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60)


def card_text(facts: LeadFacts, viewer: Viewer, locale: str, detailed: bool = False) -> str:
    lead = facts.lead
    lines = [_header(facts, viewer), ""]
    sees_phone = facts.claimed and viewer.on(lead) and not viewer.supervisor_card
    phone = lead.phone if sees_phone else lead.masked_phone
    lines.append(f"{lead.applicant_name} · {phone}")
    lines.append(
        _("Business: {industry}, {district}").format(
            industry=_name_in(facts.industry, lead.industry_code, locale),
            district=_name_in(facts.district, lead.district_code, locale),
        )
    )
    plan = PLANS_BY_ID.get(lead.method.value)
    lines.append(
        ngettext(
            "Loan: {amount} for {months} month, {method}",
            "Loan: {amount} for {months} months, {method}",
            lead.term_months,
        ).format(
            amount=money(lead.amount, facts.currency, locale),
            months=lead.term_months,
            method=plan_name(plan) if plan else lead.method.value,
        )
    )
    lines.extend(_payment_lines(facts, locale))
    lines.extend(_judgement_lines(lead))
    if facts.deadline is not None and facts.deadline_left is not None and not facts.closed:
        lines.append(_deadline_line(facts, locale))
    if lead.visit_at is not None:
        lines.append(
            _("Visit: {when}").format(when=local_moment(lead.visit_at, facts.timezone, locale))
        )
    if detailed:
        lines.extend(_detail_lines(lead))
    return "\n".join(lines)


def _name_in(item: Named | None, code: str, locale: str) -> str:
    return item.name_in(locale) if item is not None else code


def _header(facts: LeadFacts, viewer: Viewer) -> str:
    lead = facts.lead
    status = status_label(lead.status)
    if viewer.supervisor_card:
        reasons = {
            "unclaimed": _("nobody claimed it in time"),
            "not_contacted": _("not contacted within a working day"),
            "unassigned": _("no officer could take it"),
            "queued": _("not claimed yet"),
        }
        reason = reasons.get(viewer.reason or "", "")
        holder = facts.officer_name or "-"
        return _("⚠️ Lead {lead} escalated: {reason}\nOfficer: {officer} · {status}").format(
            lead=lead.id, reason=reason, officer=holder, status=status
        )
    if facts.closed:
        return _("Lead {lead} · {status}").format(lead=lead.id, status=status)
    if not viewer.on(lead):
        if viewer.officer_id in lead.passed_by:
            return _("You passed lead {lead}.").format(lead=lead.id)
        return _("Lead {lead} is now with {officer}.").format(
            lead=lead.id, officer=facts.officer_name or "-"
        )
    if viewer.officer_id == lead.co_officer_id:
        return _("Lead {lead} · co-investigator (双人调查) with {officer} · {status}").format(
            lead=lead.id, officer=facts.officer_name or "-", status=status
        )
    if facts.claimed:
        return _("Lead {lead} · yours · {status}").format(lead=lead.id, status=status)
    return _("🆕 New lead {lead}").format(lead=lead.id)


def _payment_lines(facts: LeadFacts, locale: str) -> list[str]:
    if facts.monthly_payment is None:
        return []
    line = _("Monthly payment: {payment}").format(
        payment=money(facts.monthly_payment, facts.currency, locale)
    )
    if facts.cash_flow_share is not None:
        share = int((facts.cash_flow_share * 100).to_integral_value())
        line = sentences(line, _("({share} of the monthly cash flow)").format(share=f"{share}%"))
    return [line]


def _judgement_lines(lead: Lead) -> list[str]:
    lines = []
    if lead.score is not None:
        lines.append(_("Score: {score}").format(score=lead.score))
    if lead.flags:
        flags = listing(flag_label(flag) for flag in lead.flags)
        lines.append(_("🚩 Red flags: {flags}").format(flags=flags))
    if lead.referral_code:
        lines.append(_("Referred by: {referral}").format(referral=lead.referral_code))
    return lines


def _deadline_line(facts: LeadFacts, locale: str) -> str:
    assert facts.deadline is not None and facts.deadline_left is not None
    when = local_moment(facts.deadline, facts.timezone, locale)
    if facts.overdue is not None:
        return _overdue_line(facts.claimed, when, facts.overdue)
    left = duration(facts.deadline_left)
    if facts.claimed:
        return _("⏰ Contact by {when} ({left} of working time left)").format(when=when, left=left)
    return _("⏰ Claim by {when} ({left} of working time left)").format(when=when, left=left)


def _overdue_line(claimed: bool, when: str, overdue: timedelta) -> str:
    if overdue < timedelta(minutes=1):  # just escalated, or since closing time
        if claimed:
            return _("⏰ Contact was due by {when}: overdue").format(when=when)
        return _("⏰ Claim was due by {when}: overdue").format(when=when)
    late = duration(overdue)
    if claimed:
        return _("⏰ Contact was due by {when}: {late} of working time overdue").format(
            when=when, late=late
        )
    return _("⏰ Claim was due by {when}: {late} of working time overdue").format(
        when=when, late=late
    )


def _detail_lines(lead: Lead) -> list[str]:
    lines = ["", _("Details")]
    if lead.purpose:
        lines.append(_("Purpose: {purpose}").format(purpose=lead.purpose))
    factors = lead.details.get("score_factors")
    if isinstance(factors, dict) and factors:
        parts = listing(
            f"{factor_label(code)} {points:+}"
            for code, points in factors.items()
            if isinstance(points, int)
        )
        lines.append(_("Score factors: {factors}").format(factors=parts))
    if lead.passed_by:
        count = len(lead.passed_by)
        passed = ngettext(
            "Passed by {count} officer before.", "Passed by {count} officers before.", count
        )
        lines.append(passed.format(count=count))
    return lines


def card_keyboard(
    facts: LeadFacts, viewer: Viewer, team: list[tuple[str, str]], detailed: bool = False
) -> InlineKeyboardMarkup | None:
    """Built directly, not with InlineKeyboardBuilder: cards are drawn for every bank event,
    and the builder's copies were most of the time it took."""
    lead = facts.lead
    if detailed:
        return _with_timeline(lead.id, _card_rows(lead.id, [[(LeadVerb.BACK, _("« Back"))]]))
    if facts.closed:
        return None
    if viewer.supervisor_card:
        not_contacted = viewer.reason == "not_contacted" and lead.status is LeadStatus.CLAIMED
        if not team or not (not facts.claimed or not_contacted):
            return None
        rows = [
            [_button(_("Reassign to {name}").format(name=name), lead.id, LeadVerb.REASSIGN, to)]
            for to, name in team
        ]
        return InlineKeyboardMarkup(inline_keyboard=rows)
    if not viewer.on(lead):
        return None
    if not facts.claimed:
        return _card_rows(
            lead.id,
            [
                [(LeadVerb.CLAIM, _("✅ Claim")), (LeadVerb.PASS, _("↪️ Pass"))],
                [(LeadVerb.DETAILS, _("Details"))],
            ],
        )
    claimed = _card_rows(
        lead.id,
        [
            [(LeadVerb.CALL, _("📞 Call")), (LeadVerb.VISIT, _("📅 Book visit"))],
            [(LeadVerb.NOTE, _("📝 Add note")), (LeadVerb.STATUS, _("Status"))],
            [(LeadVerb.DETAILS, _("Details"))],
        ],
    )
    case_rows = [
        visit_buttons(lead.id, lead.visit_at is not None),
        worksheets.card_row(lead, viewer.officer_id),
        committee_views.send_button(lead, viewer.officer_id),
        [timeline_button(lead.id)],
    ]
    rows = [*claimed.inline_keyboard, *(row for row in case_rows if row)]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _with_timeline(lead_id: str, markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[*markup.inline_keyboard, [timeline_button(lead_id)]]
    )


def _card_rows(lead_id: str, rows: list[list[tuple[LeadVerb, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(text, lead_id, verb) for verb, text in row] for row in rows]
    )


def _button(text: str, lead_id: str, verb: LeadVerb, arg: str = "") -> InlineKeyboardButton:
    data = LeadAction(action=verb, lead=lead_id, arg=arg).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def pass_keyboard(lead_id: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for reason in PASS_REASONS:
        builder.button(
            text=pass_reason_label(reason),
            callback_data=LeadAction(action=LeadVerb.PASS_REASON, lead=lead_id, arg=reason),
        )
    builder.button(text=_("« Back"), callback_data=LeadAction(action=LeadVerb.BACK, lead=lead_id))
    builder.adjust(1)
    return builder.as_markup()


def status_keyboard(lead_id: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for status in SETTABLE:
        builder.button(
            text=status_label(status),
            callback_data=LeadAction(action=LeadVerb.SET_STATUS, lead=lead_id, arg=status.value),
        )
    builder.button(text=_("« Back"), callback_data=LeadAction(action=LeadVerb.BACK, lead=lead_id))
    builder.adjust(2)
    return builder.as_markup()


def days_keyboard(lead_id: str, days: list[date], locale: str) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for option in days:
        builder.button(
            text=day(option, locale),
            callback_data=LeadAction(
                action=LeadVerb.VISIT_DAY, lead=lead_id, arg=option.strftime("%Y%m%d")
            ),
        )
    builder.button(text=_("« Back"), callback_data=LeadAction(action=LeadVerb.BACK, lead=lead_id))
    builder.adjust(2)
    return builder.as_markup()


def task_days_keyboard(
    task_id: str, days: list[date], page: int, locale: str
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for option in days:
        builder.button(
            text=day(option, locale),
            callback_data=TaskDay(task=task_id, day=option.strftime("%Y%m%d"), page=page),
        )
    builder.button(text=_("« Back"), callback_data=QueuePage(page=page))
    builder.adjust(2)
    return builder.as_markup()


def times_keyboard(lead_id: str, slots: list[datetime]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for slot in slots:
        builder.button(
            text=slot.strftime("%H:%M"),
            callback_data=LeadAction(
                action=LeadVerb.VISIT_TIME, lead=lead_id, arg=slot.strftime("%Y%m%d%H%M")
            ),
        )
    builder.button(text=_("« Back"), callback_data=LeadAction(action=LeadVerb.VISIT, lead=lead_id))
    builder.adjust(4)
    return builder.as_markup()


def claim_reminder(lead_id: str, escalation: datetime, timezone: str, locale: str) -> str:
    return _(
        "⏰ Lead {lead} is still waiting for your claim. At {when} it goes to your supervisor."
    ).format(lead=lead_id, when=local_moment(escalation, timezone, locale))


def queue_page(
    items: list[QueueItem], page: int, currency: str, timezone: str, locale: str
) -> tuple[str, InlineKeyboardMarkup | None]:
    if not items:
        return _("Your queue is empty."), None
    pages = (len(items) + QUEUE_PAGE_SIZE - 1) // QUEUE_PAGE_SIZE
    page = min(max(page, 0), pages - 1)
    shown = items[page * QUEUE_PAGE_SIZE : (page + 1) * QUEUE_PAGE_SIZE]
    lines = [
        _("Your queue, nearest deadline first ({page}/{pages}):").format(
            page=page + 1, pages=pages
        ),
        "",
    ]
    for number, item in enumerate(shown, start=page * QUEUE_PAGE_SIZE + 1):
        lines.append(f"{number}. " + queue_line(item, currency, timezone, locale))
    builder = InlineKeyboardBuilder()
    rows: list[int] = []
    for number, item in enumerate(shown, start=page * QUEUE_PAGE_SIZE + 1):
        if item.lead is not None:
            builder.button(
                text=_("📂 {number} open the card").format(number=number),
                callback_data=QueueOpen(lead=item.lead.id),
            )
            rows.append(1)
        if item.task is not None:
            task_id = item.task.id
            builder.button(
                text=_("✅ {number} done").format(number=number),
                callback_data=TaskAction(action=TaskVerb.DONE, task=task_id, page=page),
            )
            builder.button(
                text=_("📅 {number} move to another day").format(number=number),
                callback_data=TaskAction(action=TaskVerb.LATER, task=task_id, page=page),
            )
            rows.append(2)
    paging = [page > 0, page < pages - 1]
    if paging[0]:
        builder.button(text=_("◀ Earlier"), callback_data=QueuePage(page=page - 1))
    if paging[1]:
        builder.button(text=_("Later ▶"), callback_data=QueuePage(page=page + 1))
    builder.adjust(*rows, max(sum(paging), 1))
    has_buttons = bool(rows) or any(paging)
    return "\n".join(lines), builder.as_markup() if has_buttons else None


def queue_line(item: QueueItem, currency: str, timezone: str, locale: str) -> str:
    when = local_moment(item.deadline, timezone, locale) if item.deadline else _("no deadline")
    if item.lead is not None:
        lead = item.lead
        return _("Lead {lead} {name}, {amount}, {status} · {when}").format(
            lead=lead.id,
            name=lead.applicant_name,
            amount=money(lead.amount, currency, locale),
            status=status_label(lead.status),
            when=when,
        )
    assert item.task is not None
    return task_line(item.task, locale)


def task_line(task: OfficerTask, locale: str) -> str:
    kinds = {
        TaskKind.FIRST_VISIT: _("first visit after payout"),
        TaskKind.MONTHLY_MONITORING: _("monthly monitoring visit"),
        TaskKind.OVERDUE_FOLLOW_UP: _("overdue follow-up"),
    }
    return _("Task {task}: {kind}, loan {loan} · due {when}").format(
        task=task.id, kind=kinds[task.kind], loan=task.loan_id, when=day(task.due_on, locale)
    )


def new_task(task: OfficerTask, locale: str) -> str:
    return "\n".join(
        [
            _("📋 A new task for you"),
            task_line(task, locale),
            _("/queue to mark it done or move it."),
        ]
    )


def task_digest(tasks: list[OfficerTask], today: date, locale: str) -> str:
    lines = [_("☀️ Your tasks for today, {day}:").format(day=day(today, locale)), ""]
    lines += [f"{number}. " + task_line(task, locale) for number, task in enumerate(tasks, 1)]
    lines += ["", _("/queue to mark them done or move them.")]
    return "\n".join(lines)


def borrower_kind_name(kind: BorrowerKind) -> str:
    names = {
        BorrowerKind.LATE_FOR_A_REASON: _("able and willing, late for a reason"),
        BorrowerKind.UNWILLING: _("able, not willing"),
        BorrowerKind.UNABLE: _("willing, not able"),
        BorrowerKind.NEITHER: _("neither able nor willing"),
    }
    return names[kind]


def collection_step_name(step: CollectionStep) -> str:
    names = {
        CollectionStep.MESSAGE: _("a message"),
        CollectionStep.PHONE_CALL: _("a phone call"),
        CollectionStep.VISIT: _("a visit"),
        CollectionStep.RESTRUCTURING_OFFER: _("a restructuring offer"),
        CollectionStep.LEGAL: _("hand over for legal action"),
    }
    return names[step]


def classification_name(classification: LoanClassification) -> str:
    names = {
        LoanClassification.NORMAL: _("normal (正常)"),
        LoanClassification.SPECIAL_MENTION: _("special mention (关注)"),
        LoanClassification.SUBSTANDARD: _("substandard (次级)"),
        LoanClassification.DOUBTFUL: _("doubtful (可疑)"),
        LoanClassification.LOSS: _("loss (损失)"),
    }
    return names[classification]


def overdue_page(cases: list[OverdueCase]) -> tuple[str, InlineKeyboardMarkup | None]:
    if not cases:
        return _("No overdue loans among your customers."), None
    lines = [_("Overdue loans: record what kind of borrower it is, I propose the next step."), ""]
    builder = InlineKeyboardBuilder()
    for number, case in enumerate(cases, start=1):
        kind = borrower_kind_name(case.kind) if case.kind else _("kind not recorded")
        lines.append(
            ngettext(
                "{number}. Loan {loan}: {days} day overdue, {classification}; {kind}",
                "{number}. Loan {loan}: {days} days overdue, {classification}; {kind}",
                case.loan.days_overdue,
            ).format(
                number=number,
                loan=case.loan.id,
                days=case.loan.days_overdue,
                classification=classification_name(case.loan.classification),
                kind=kind,
            )
        )
        for choice in BorrowerKind:
            builder.button(
                text=f"{number}: {borrower_kind_name(choice)}",
                callback_data=KindChoice(task=case.task.id, kind=choice),
            )
    builder.adjust(2)
    return "\n".join(lines), builder.as_markup()


def proposed_step(step: ProposedStep | None, timezone: str, locale: str) -> str:
    if step is None:
        return _("Every step of the timetable for this kind has been taken.")
    return _("Next: {step}, by {when}. The follow-up task is moved to that day.").format(
        step=collection_step_name(step.step), when=local_moment(step.at, timezone, locale)
    )


def team_page(rows: list[TeamRow], locale: str) -> str:
    if not rows:
        return _("None of your officers has linked Telegram yet.")
    lines = [_("Your team (officers who use the bot): this week / this month"), ""]
    for row in rows:
        lines += [f"👤 {row.name}", *team_lines(row, locale), ""]
    return "\n".join(lines).rstrip()


def team_lines(row: TeamRow, locale: str) -> list[str]:
    """One officer's figures, this week / this month: /team's lines, and the dashboard's."""
    return [
        _("open leads {week} / {month}").format(
            week=row.week.open_leads, month=row.month.open_leads
        ),
        _("median time to claim {week} / {month}").format(
            week=median_text(row.week.median_to_claim),
            month=median_text(row.month.median_to_claim),
        ),
        _("median time to first contact {week} / {month}").format(
            week=median_text(row.week.median_to_contact),
            month=median_text(row.month.median_to_contact),
        ),
        _("approved of those decided {week} / {month}").format(
            week=share_text(row.week.approved_share, locale),
            month=share_text(row.month.approved_share, locale),
        ),
        _("overdue loans owned: {count}").format(count=row.overdue_loans),
    ]


def median_text(value: timedelta | None) -> str:
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    return _("{hours} h {minutes} min").format(hours=minutes // 60, minutes=minutes % 60)


def share_text(value: Decimal | None, locale: str) -> str:
    return "—" if value is None else format_percent(value, locale=locale)
