"""The credit committee in the chat: the case a member votes on, the vote's buttons, the
preview of changed terms, the decision, the question back to the presenter, reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from pydantic import Field

from bot.domain.committee import Affordability
from bot.domain.plans import PLANS_BY_ID
from bot.i18n import local_moment, money
from bot.views.calculator import plan_name
from bot.views.text import labelled
from bot.views.visits import item_label
from integrations.bank.committee_models import (
    CaseStatus,
    CommitteeCase,
    VoteKind,
)
from integrations.bank.models import DeclineReason, Lead, LeadStatus, RepaymentMethod

COMMITTEE_PREFIXES = ("kc", "kv")
BankId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
BEFORE_COMMITTEE = (
    LeadStatus.CLAIMED,
    LeadStatus.CONTACTED,
    LeadStatus.VISIT_BOOKED,
    LeadStatus.VISITED,
)
METHODS = tuple(RepaymentMethod)


class CaseVerb(StrEnum):
    SEND = "send"  # ref: the lead
    ANSWER = "answer"  # ref: the case


class CaseAction(CallbackData, prefix="kc"):
    verb: CaseVerb
    ref: BankId


class VoteVerb(StrEnum):
    APPROVE = "ok"
    CHANGE = "chg"
    DECLINE = "no"
    MORE = "ask"
    REASON = "why"  # arg: the decline reason
    METHOD = "how"  # arg: the changed method
    CONFIRM = "yes"  # the changed terms shown, as kept with the member's form
    PACK = "pack"


class VoteAction(CallbackData, prefix="kv"):
    verb: VoteVerb
    case: BankId
    arg: str = ""


@dataclass(frozen=True)
class CaseSummary:
    case: CommitteeCase
    lead: Lead
    committee_name: str
    presenter_name: str
    monthly_payment: Decimal | None
    currency: str


def method_name(method: RepaymentMethod) -> str:
    return plan_name(PLANS_BY_ID[method.value])


def reason_label(reason: DeclineReason) -> str:
    labels = {
        DeclineReason.REPAYMENT_CAPACITY: _("Cannot carry the installment"),
        DeclineReason.UNVERIFIED_INFORMATION: _("Information not verified"),
        DeclineReason.DEBT_TOO_HIGH: _("Debts too high"),
        DeclineReason.CREDIT_HISTORY: _("Credit history"),
        DeclineReason.BUSINESS_TOO_YOUNG: _("Business too young"),
        DeclineReason.OTHER: _("Other reason"),
    }
    return labels[reason]


def vote_label(vote: VoteKind) -> str:
    labels = {
        VoteKind.APPROVE: _("approve"),
        VoteKind.APPROVE_CHANGED: _("approve with changes"),
        VoteKind.DECLINE: _("decline"),
        VoteKind.MORE_INFO: _("ask for more"),
    }
    return labels[vote]


def terms_text(
    amount: Decimal, months: int, method: RepaymentMethod, currency: str, locale: str
) -> str:
    return ngettext(
        "{amount}, {months} month, {method}", "{amount}, {months} months, {method}", months
    ).format(amount=money(amount, currency, locale), months=months, method=method_name(method))


def case_text(summary: CaseSummary, locale: str) -> str:
    case, lead = summary.case, summary.lead
    lines = [
        _("🗂 {committee}: case {case} (lead {lead})").format(
            committee=summary.committee_name, case=case.id, lead=lead.id
        ),
        labelled(_("Applicant"), lead.applicant_name),
        labelled(
            _("Proposed"),
            terms_text(case.amount, case.term_months, case.method, summary.currency, locale),
        ),
    ]
    if summary.monthly_payment is not None:
        payment = money(summary.monthly_payment, summary.currency, locale)
        lines.append(labelled(_("Monthly payment"), payment))
    lines += [
        labelled(_("Presented by"), summary.presenter_name),
        labelled(_("Recommendation"), case.recommendation),
        _("The full case pack is under 📄. Your vote can change until the committee decides."),
    ]
    return "\n".join(lines)


def vote_keyboard(case_id: str) -> InlineKeyboardMarkup:
    def button(text: str, verb: VoteVerb) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=VoteAction(verb=verb, case=case_id).pack()
        )

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("✅ Approve"), VoteVerb.APPROVE),
                button(_("✏️ Approve with changes"), VoteVerb.CHANGE),
            ],
            [
                button(_("❌ Decline"), VoteVerb.DECLINE),
                button(_("❓ Ask for more"), VoteVerb.MORE),
            ],
            [button(_("📄 Case pack"), VoteVerb.PACK)],
        ]
    )


def reason_keyboard(case_id: str) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=reason_label(reason),
                callback_data=VoteAction(
                    verb=VoteVerb.REASON, case=case_id, arg=reason.value
                ).pack(),
            )
        ]
        for reason in DeclineReason
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def method_keyboard(case_id: str) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=method_name(method),
                callback_data=VoteAction(
                    verb=VoteVerb.METHOD, case=case_id, arg=method.value
                ).pack(),
            )
        ]
        for method in METHODS
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def confirm_keyboard(case_id: str) -> InlineKeyboardMarkup:
    data = VoteAction(verb=VoteVerb.CONFIRM, case=case_id).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("✅ Vote for these terms"), callback_data=data)]
        ]
    )


def preview_text(
    before: Affordability, after: Affordability, terms: str, currency: str, locale: str
) -> str:
    lines = [
        labelled(_("Changed terms"), terms),
        labelled(
            _("Monthly payment"),
            _("{new} (proposed: {old})").format(
                new=money(after.first_payment, currency, locale),
                old=money(before.first_payment, currency, locale),
            ),
        ),
        labelled(_("Largest installment"), money(after.largest_payment, currency, locale)),
        labelled(_("Total interest"), money(after.total_interest, currency, locale)),
    ]
    if after.budget is None:
        lines.append(_("The merchant's cash flow is not known: affordability cannot be checked."))
    else:
        budget = money(after.budget, currency, locale)
        verdict = (
            _("Affordable: within the repayment budget of {budget} a month.")
            if after.fits
            else _("Not affordable: above the repayment budget of {budget} a month.")
        )
        lines.append(verdict.format(budget=budget))
        if after.largest_amount is not None:
            largest = money(after.largest_amount, currency, locale)
            lines.append(labelled(_("Largest affordable amount for this term"), largest))
    return "\n".join(lines)


def vote_recorded(vote: VoteKind, case: CommitteeCase) -> str:
    if case.status is CaseStatus.VOTING:
        return _(
            "Your vote on case {case}: {vote}. You can change it until the committee decides."
        ).format(case=case.id, vote=vote_label(vote))
    return _("Your vote on case {case}: {vote}.").format(case=case.id, vote=vote_label(vote))


def decision_text(case: CommitteeCase, currency: str, zone: str, locale: str) -> str:
    if case.status is CaseStatus.APPROVED:
        assert case.decided_amount and case.decided_term_months and case.decided_method
        terms = terms_text(
            case.decided_amount, case.decided_term_months, case.decided_method, currency, locale
        )
        head = _("✅ The committee approved case {case} (lead {lead}): {terms}.").format(
            case=case.id, lead=case.lead_id, terms=terms
        )
    else:
        reason = reason_label(case.decline_reason) if case.decline_reason else _("Other reason")
        head = _("❌ The committee declined case {case} (lead {lead}): {reason}.").format(
            case=case.id, lead=case.lead_id, reason=reason
        )
    votes = [
        _("{name}: {vote}, {when}").format(
            name=vote.member_name,
            vote=vote_label(vote.vote),
            when=local_moment(vote.at, zone, locale),
        )
        for vote in case.votes
        if vote.current
    ]
    return "\n".join([head, *votes])


def question_text(case: CommitteeCase, asked_by: str) -> str:
    return _("❓ {name} asks about case {case} (lead {lead}): {question}").format(
        name=asked_by, case=case.id, lead=case.lead_id, question=case.question or ""
    )


def answer_keyboard(case_id: str) -> InlineKeyboardMarkup:
    data = CaseAction(verb=CaseVerb.ANSWER, ref=case_id).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("✍️ Answer and resubmit"), callback_data=data)]
        ]
    )


def reminder_text(
    case: CommitteeCase, waiting: int, chair: bool, since: datetime, zone: str, locale: str
) -> str:
    if chair:
        return ngettext(
            "⏰ Case {case} (lead {lead}), presented {since}, is past the committee's time: "
            "{count} vote is missing. As chair, please bring it to a decision.",
            "⏰ Case {case} (lead {lead}), presented {since}, is past the committee's time: "
            "{count} votes are missing. As chair, please bring it to a decision.",
            waiting,
        ).format(
            case=case.id, lead=case.lead_id, count=waiting, since=local_moment(since, zone, locale)
        )
    return _("⏰ Case {case} (lead {lead}) waits for your vote since {since}.").format(
        case=case.id, lead=case.lead_id, since=local_moment(since, zone, locale)
    )


def missing_label(item: str) -> str:
    kind, _sep, code = item.partition(":")
    labels = {
        "worksheet": _("the worksheet"),
        "co_check_in": _("the co-investigator's check-in at the business"),
        "co_review": _("the co-investigator's review of the latest worksheet"),
    }
    if kind == "checklist":
        return _("checklist item {item}").format(item=item_label(code))
    return labels.get(kind, item)


def not_ready_text(missing: list[str]) -> str:
    lines = [_("Not ready for the committee yet. Still missing:")]
    lines += [f"• {missing_label(item)}" for item in missing]
    return "\n".join(lines)


def send_button(lead: Lead, officer_id: str) -> list[InlineKeyboardButton]:
    """The card's row for the presenting officer of a lead that can still go to committee."""
    if lead.officer_id != officer_id or lead.status not in BEFORE_COMMITTEE:
        return []
    data = CaseAction(verb=CaseVerb.SEND, ref=lead.id).pack()
    return [InlineKeyboardButton(text=_("🗂 Send to committee"), callback_data=data)]
