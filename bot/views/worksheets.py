"""What officers see of the worksheet: its questions, the review before saving, the figures,
ratios and cross-checks (both figures), and the co-investigator's Confirm / Dissent."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from aiogram.utils.i18n import ngettext
from babel.numbers import format_decimal, format_percent
from pydantic import AfterValidator, Field

from bot.domain.amounts import AmountError
from bot.domain.cross_checks import CheckCode, CrossCheck
from bot.domain.forms.definition import Filled, Invalid
from bot.domain.plans import PLANS_BY_ID
from bot.domain.worksheet import Seasonality, Worksheet
from bot.domain.worksheet_form import WORKSHEET, WORKSHEET_FORM, WorksheetAnswers
from bot.i18n import listing, money
from bot.views.calculator import amount_error, plan_name
from bot.views.forms import Asked, button, heading, question_keyboard
from bot.views.text import labelled
from integrations.bank.models import Lead
from integrations.bank.worksheet_models import ReviewVerdict, WorksheetVersion

if TYPE_CHECKING:  # the service's module reaches the officers' views, which import this one
    from bot.services.worksheets import Assessment

WORKSHEET_PREFIXES = ("wf", "wk", "wv")
BankId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]
Cash = Callable[[Decimal], str]
WorksheetAction = Literal["pick", "back", "cancel", "edit", "save"]


def _question_key(key: str) -> str:
    if key and key not in WORKSHEET_FORM.question_keys:
        raise ValueError("unknown question")
    return key


class WorksheetStep(CallbackData, prefix="wf"):
    """A button of the worksheet's form (the lead is the one the officer is filling in)."""

    action: WorksheetAction
    key: Annotated[str, AfterValidator(_question_key)] = ""
    value: Annotated[str, Field(pattern=r"^[a-z_]{0,20}$")] = ""


class OpenVerb(StrEnum):
    FILL = "fill"
    REVIEW = "review"


class WorksheetOpen(CallbackData, prefix="wk"):
    """The lead card's Worksheet (the officer) or Review worksheet (the co-investigator)."""

    action: OpenVerb
    lead: BankId


class WorksheetVerdict(CallbackData, prefix="wv"):
    lead: BankId
    version: Annotated[int, Field(ge=1, le=10_000)]
    verdict: ReviewVerdict


SECTION_TITLES = {
    "sales": __("Sales"),
    "margin": __("Margins"),
    "costs": __("Operating costs"),
    "household": __("Household"),
    "balance": __("Balance sheet"),
}


def card_row(lead: Lead, officer_id: str) -> list[InlineKeyboardButton]:
    """The worksheet's button on a claimed lead's card, for whichever officer this is."""
    if officer_id == lead.officer_id:
        data = WorksheetOpen(action=OpenVerb.FILL, lead=lead.id)
        return [button(_("📋 Worksheet"), data)]
    if officer_id == lead.co_officer_id:
        data = WorksheetOpen(action=OpenVerb.REVIEW, lead=lead.id)
        return [button(_("🔎 Review worksheet"), data)]
    return []


# --- the form ---------------------------------------------------------------------------


def prompt(key: str) -> str:
    prompts = {
        "good_day": _("Sales on a good day?"),
        "ordinary_day": _("Sales on an ordinary day?"),
        "bad_day": _("Sales on a bad day?"),
        "days_worked": _("Days worked in a month?"),
        "good_days": _("How many of them are good days?"),
        "bad_days": _("And how many are bad days?"),
        "seasonality": _("This month against the rest of the year?"),
        "product_lines": _(
            "The main product lines, one a line: name, share of the sales, gross margin. "
            "For example:\nvegetables 60% 20%\nfruit 40% 30%"
        ),
        "rent": _("Rent a month?"),
        "wages": _("Wages a month?"),
        "utilities": _("Utilities a month?"),
        "transport": _("Transport a month?"),
        "taxes": _("Taxes and fees a month?"),
        "other_costs": _("Other business costs a month?"),
        "household_spending": _("Household spending a month?"),
        "other_income": _("Other household income a month (0 if none)?"),
        "cash_and_bank": _("Cash and bank balances?"),
        "receivables": _("Receivables (owed to the business)?"),
        "stock": _("Stock at cost, as counted?"),
        "equipment": _("Equipment and vehicles, at today's value?"),
        "other_business_assets": _("Other business assets?"),
        "household_assets": _("Household assets (home, car)?"),
        "payables": _("Payables (owed to suppliers)?"),
        "loans": _("Loans: what is owed and the monthly payment, as 10000/1000 (0/0 if none)."),
        "other_liabilities": _("Other liabilities?"),
    }
    return prompts[key]


def season_label(value: str) -> str:
    labels = {
        Seasonality.STEADY: _("Steady all year"),
        Seasonality.PEAK_NOW: _("Peak season now"),
        Seasonality.LOW_NOW: _("Low season now"),
    }
    return labels[Seasonality(value)]


def question_text(filled: Filled[WorksheetAnswers], lead_id: str) -> str:
    question = WORKSHEET.current(filled)
    title = _("Worksheet of lead {lead}").format(lead=lead_id)
    position = WORKSHEET.position(filled.at)
    section = str(SECTION_TITLES[question.section])
    return "\n".join([title, heading(position, WORKSHEET.total, section), prompt(question.key)])


def question_markup(filled: Filled[WorksheetAnswers], locale: str) -> InlineKeyboardMarkup:
    question = WORKSHEET.current(filled)
    options = tuple((value, season_label(value)) for value in WORKSHEET.options(filled, None))
    asked = Asked(question.key, options, False, WORKSHEET.can_go_back(filled.at), False, width=1)
    return question_keyboard(asked, locale, WorksheetStep)


def error_text(invalid: Invalid) -> str:
    if isinstance(invalid.cause, AmountError):
        return amount_error(invalid.cause)
    errors = {
        "amount": _("Send an amount, for example 1500 or 1.5k."),
        "days": _("Send a number of days from 0 to 31."),
        "days_add_up": _("Good and bad days come to more than the days worked. Send it again."),
        "product_lines": _(
            "Send each line as name, share and margin, for example: vegetables 60% 20%."
        ),
        "loans": _("Send what is owed and the monthly payment as 10000/1000."),
    }
    return errors.get(invalid.code, _("Choose one of the buttons."))


# --- the review before saving -------------------------------------------------------------


def review_text(assessment: Assessment, currency: str, locale: str) -> str:
    title = _("Worksheet of lead {lead}: check it, then save a version.").format(
        lead=assessment.lead.id
    )
    return "\n".join([title, "", *assessment_lines(assessment, currency, locale)])


def review_keyboard() -> InlineKeyboardMarkup:
    edits = [
        button(_("✏️ {section}").format(section=str(title)), WorksheetStep(action="edit", value=key))
        for key, title in SECTION_TITLES.items()
    ]
    rows = [edits[start : start + 2] for start in range(0, len(edits), 2)]
    rows.append(
        [
            button(_("💾 Save version"), WorksheetStep(action="save")),
            button(_("✖ Cancel"), WorksheetStep(action="cancel")),
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def saved_text(version: WorksheetVersion) -> str:
    return _("Worksheet version {version} saved for lead {lead}.").format(
        version=version.version, lead=version.lead_id
    )


def left_text() -> str:
    return _("Worksheet put aside. The Worksheet button on the lead's card goes on from here.")


# --- the figures -------------------------------------------------------------------------


def assessment_lines(assessment: Assessment, currency: str, locale: str) -> list[str]:
    result = assessment.figures

    def cash(value: Decimal) -> str:
        return money(value.quantize(Decimal("0.01")), currency, locale)

    lines = [
        labelled(_("Monthly sales"), cash(result.monthly_sales)),
        labelled(_("Gross margin"), _percent(result.gross_margin, locale)),
        labelled(_("Net business income a month"), cash(result.net_business_income)),
        labelled(_("Household disposable income a month"),
                 cash(result.household_disposable_income)),
        labelled(_("Installment capacity"), cash(result.installment_capacity)),
        labelled(_("Equity"), cash(result.equity)),
        labelled(_("Debt to equity"), _ratio(result.debt_to_equity, locale)),
        labelled(_("Current ratio"), _ratio(result.current_ratio, locale)),
        labelled(_("Loan to equity"), _ratio(result.loan_to_equity, locale)),
    ]  # fmt: skip
    lines.extend(_proposal_lines(assessment, cash))
    lines.append("")
    lines.extend(_check_lines(assessment, cash, locale))
    return lines


def _proposal_lines(assessment: Assessment, cash: Cash) -> list[str]:
    lead, result = assessment.lead, assessment.figures
    plan = PLANS_BY_ID.get(lead.method.value)
    loan = ngettext(
        "{amount} for {months} month, {method}", "{amount} for {months} months, {method}",
        lead.term_months,
    ).format(amount=cash(lead.amount), months=lead.term_months,
             method=plan_name(plan) if plan else lead.method.value)  # fmt: skip
    lines = [labelled(_("Proposed loan"), loan)]
    if result.proposed_installment is not None:
        verdict = _("fits") if result.proposal_fits else _("above the capacity")
        installment = f"{cash(result.proposed_installment)} ({verdict})"
        lines.append(labelled(_("Its largest installment"), installment))
    affordable = result.affordable_amount
    lines.append(
        labelled(
            _("Largest affordable amount for this term and method"),
            cash(affordable) if affordable is not None else _("none"),
        )
    )
    return lines


def check_label(code: CheckCode) -> str:
    labels = {
        CheckCode.SALES: _("Monthly sales"),
        CheckCode.DAILY_SALES: _("Sales on an ordinary day"),
        CheckCode.DAYS_ROUTE: _("An ordinary day × days worked, against the monthly sales"),
        CheckCode.COSTS: _("Operating costs"),
        CheckCode.HOUSEHOLD: _("Household spending"),
        CheckCode.DEBT_PAYMENTS: _("Loan payments a month"),
    }
    return labels[code]


def asset_label(kind: str) -> str:
    labels = {"home": _("home"), "vehicle": _("vehicle"), "stock": _("stock")}
    return labels.get(kind, kind)


def _check_lines(assessment: Assessment, cash: Cash, locale: str) -> list[str]:
    checks = assessment.checks
    if checks.clean:
        return [_("✅ Cross-checks: the figures agree with the application.")]
    lines = [_("🚩 Cross-checks against the application:")]
    lines.extend(_flag_line(check, cash, locale) for check in checks.flagged)
    if checks.missing_assets:
        kinds = listing([asset_label(kind) for kind in checks.missing_assets], locale)
        lines.append(_("• Declared but not seen: {kinds}").format(kinds=kinds))
    return lines


def _flag_line(check: CrossCheck, cash: Cash, locale: str) -> str:
    larger = max(check.declared, check.seen)
    gap = abs(check.declared - check.seen) / larger if larger else Decimal(0)
    return _("• {what}: declared {declared}, worksheet {seen} ({gap} apart)").format(
        what=check_label(check.code),
        declared=cash(check.declared),
        seen=cash(check.seen),
        gap=_percent(gap, locale),
    )


def _percent(value: Decimal, locale: str) -> str:
    return format_percent(value, format="#,##0%", locale=locale)


def _ratio(value: Decimal | None, locale: str) -> str:
    return format_decimal(value, format="#,##0.00", locale=locale) if value is not None else "—"


def recorded_lines(worksheet: Worksheet, currency: str, locale: str) -> list[str]:
    """What the officer recorded at the business, section by section (the committee's pack)."""

    def cash(value: Decimal) -> str:
        return money(value, currency, locale)

    sales, costs, home, sheet = (
        worksheet.sales,
        worksheet.costs,
        worksheet.household,
        worksheet.balance,
    )
    days = _("good {good}, ordinary {ordinary}, bad {bad}").format(
        good=cash(sales.good_day), ordinary=cash(sales.ordinary_day), bad=cash(sales.bad_day)
    )
    worked = _("{worked} worked: {good} good, {bad} bad").format(
        worked=sales.days_worked, good=sales.good_days, bad=sales.bad_days
    )
    lines = [
        str(SECTION_TITLES["sales"]),
        labelled(_("Sales a day"), days),
        labelled(_("Days a month"), worked),
        labelled(_("Season"), season_label(sales.seasonality)),
        str(SECTION_TITLES["margin"]),
    ]
    for line in worksheet.product_lines:
        share = _("{share} of the sales, margin {margin}").format(
            share=_percent(line.share, locale), margin=_percent(line.margin, locale)
        )
        lines.append(labelled(line.name, share))
    sections = {
        "costs": (
            (_("Rent"), costs.rent), (_("Wages"), costs.wages),
            (_("Utilities"), costs.utilities), (_("Transport"), costs.transport),
            (_("Taxes and fees"), costs.taxes), (_("Other business costs"), costs.other),
        ),
        "household": (
            (_("Household spending"), home.spending),
            (_("Other household income"), home.other_income),
        ),
        "balance": (
            (_("Cash and bank"), sheet.cash_and_bank), (_("Receivables"), sheet.receivables),
            (_("Stock at cost"), sheet.stock), (_("Equipment and vehicles"), sheet.equipment),
            (_("Other business assets"), sheet.other_business_assets),
            (_("Household assets"), sheet.household_assets), (_("Payables"), sheet.payables),
            (_("Loans owed"), sheet.loans.balance),
            (_("Loan payments a month"), sheet.loans.monthly_payment),
            (_("Other liabilities"), sheet.other_liabilities),
        ),
    }  # fmt: skip
    for section, figures in sections.items():
        lines.append(str(SECTION_TITLES[section]))
        lines += [labelled(label, cash(value)) for label, value in figures]
    return lines


# --- the co-investigator's review -----------------------------------------------------------


def co_review_text(assessment: Assessment, presenter: str, currency: str, locale: str) -> str:
    version = assessment.version
    assert version is not None
    title = _("Worksheet version {version} of lead {lead}, by {officer}").format(
        version=version.version, lead=assessment.lead.id, officer=presenter
    )
    lines = [title, "", *assessment_lines(assessment, currency, locale)]
    for review in version.reviews:
        lines.append("")
        lines.append(labelled(_("Review"), verdict_label(review.verdict, review.note)))
    return "\n".join(lines)


def verdict_label(verdict: ReviewVerdict, note: str) -> str:
    if verdict is ReviewVerdict.CONFIRMED:
        return _("confirmed") + (f" · {note}" if note else "")
    return _("dissent: {note}").format(note=note)


def co_review_keyboard(lead_id: str, version: int) -> InlineKeyboardMarkup:
    def verdict(text: str, choice: ReviewVerdict) -> InlineKeyboardButton:
        return button(text, WorksheetVerdict(lead=lead_id, version=version, verdict=choice))

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                verdict(_("✅ Confirm"), ReviewVerdict.CONFIRMED),
                verdict(_("✋ Dissent"), ReviewVerdict.DISSENT),
            ]
        ]
    )


def co_saved_notice(version: WorksheetVersion, presenter: str) -> tuple[str, InlineKeyboardMarkup]:
    """What the co-investigator hears when the presenter saves a version, with its button."""
    text = _(
        "📋 {officer} saved worksheet version {version} of lead {lead}. "
        "Review it: confirm it, or record your dissent for the committee."
    ).format(officer=presenter, version=version.version, lead=version.lead_id)
    data = WorksheetOpen(action=OpenVerb.REVIEW, lead=version.lead_id)
    return text, InlineKeyboardMarkup(inline_keyboard=[[button(_("🔎 Review worksheet"), data)]])


def no_worksheet_text(lead_id: str) -> str:
    return _("No worksheet has been saved for lead {lead} yet.").format(lead=lead_id)


def dissent_prompt() -> str:
    return _("What do you disagree with? Send a note for the committee.")


def reviewed_text(verdict: ReviewVerdict, version: int, lead_id: str) -> str:
    if verdict is ReviewVerdict.CONFIRMED:
        text = _("You confirmed worksheet version {version} of lead {lead}.")
    else:
        text = _("Your dissent on worksheet version {version} of lead {lead} is recorded.")
    return text.format(version=version, lead=lead_id)


def refusal_text(code: str) -> str:
    texts = {
        "forbidden": _("Only the lead's co-investigator (双人调查) can review its worksheet."),
        "check_in_required": _(
            "Check in at the business first: the bank takes your review only after your check-in."
        ),
        "stale_version": _("A newer version of the worksheet was saved: review that one."),
        "invalid_state": _("Not possible at this stage of the lead."),
    }
    return texts.get(code, _("The bank cannot be reached right now. Try again in a minute."))
