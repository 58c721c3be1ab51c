"""What the merchant reads about their offer: the terms, the schedule as a table, a chart and
a CSV, the code that signs it, and what happens when it expires or the committee declines."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext
from pydantic import Field

from bot.domain.apr import annual_percentage_rate
from bot.domain.plans import PLANS_BY_ID
from bot.i18n import amount, moment, money
from bot.views.accounts import aligned
from bot.views.application import choice_label, months_text
from bot.views.calculator import plan_name
from bot.views.documents import csv_document
from bot.views.text import labelled, sentences
from integrations.bank.models import CodeChallenge, DeclineReason
from integrations.bank.offer_models import Decline, Offer, OfferStatus

PAGE_ROWS = 12
OfferId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")]


class OfferButton(CallbackData, prefix="of"):
    """A button under an offer; the server checks the presser applied for it."""

    action: Literal["table", "page", "chart", "csv", "accept"]
    offer: OfferId
    page: Annotated[int, Field(ge=0, le=100)] = 0


def monthly_payment(offer: Offer) -> Decimal:
    return offer.schedule[0].total


def total_interest(offer: Offer) -> Decimal:
    return sum((row.interest for row in offer.schedule), Decimal(0))


def apr(offer: Offer) -> Decimal:
    payments = [(row.due_date, row.total) for row in offer.schedule]
    return annual_percentage_rate(offer.amount, offer.schedule_start, payments)


def method_name(offer: Offer) -> str:
    return plan_name(PLANS_BY_ID[offer.method.value])


def payout_account(offer: Offer) -> str:
    return offer.masked_account or _("a new current account the bank opens in your name")


def offer_text(offer: Offer, zone: ZoneInfo, currency: str, locale: str) -> str:
    cash = money(offer.amount, currency, locale)
    lines = [
        _("🎉 The loan committee approved your loan. Here is the bank's offer {reference}:").format(
            reference=offer.id
        ),
        labelled(_("Amount"), cash),
        labelled(_("Term"), months_text(offer.term_months)),
        labelled(_("Repayment"), method_name(offer)),
        labelled(_("Monthly payment"), money(monthly_payment(offer), currency, locale)),
        labelled(_("Annual rate"), f"{amount(offer.annual_rate, locale)}%"),
        labelled(_("APR (all costs, per year)"), f"{amount(apr(offer), locale)}%"),
        labelled(_("Total interest"), money(total_interest(offer), currency, locale)),
        labelled(_("Paid to"), payout_account(offer)),
    ]
    if offer.guarantor is not None:
        total = offer.amount + total_interest(offer)
        lines.append(
            labelled(
                _("Guarantor ({who})").format(who=_guarantor(offer.guarantor)),
                _("answers for the whole repayment, {amount}, if you cannot pay").format(
                    amount=money(total, currency, locale)
                ),
            )
        )
    lines.append(
        sentences(
            _("The offer is valid until {moment}.").format(
                moment=moment(offer.expires_at.astimezone(zone), locale)
            ),
            _("See the full schedule below; «Accept» asks for a code the bank texts you."),
        )
    )
    return "\n".join(lines)


def _guarantor(relation: str) -> str:
    try:
        return choice_label("guarantor", relation)
    except KeyError:
        return relation


def offer_keyboard(offer_id: str) -> InlineKeyboardMarkup:
    def button(
        text: str, action: Literal["table", "chart", "csv", "accept"]
    ) -> InlineKeyboardButton:
        data = OfferButton(action=action, offer=offer_id).pack()
        return InlineKeyboardButton(text=text, callback_data=data)

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button(_("📋 Schedule"), "table"),
                button(_("📈 Chart"), "chart"),
                button(_("CSV"), "csv"),
            ],
            [button(_("✅ Accept the offer"), "accept")],
        ]
    )


def page_keyboard(offer_id: str, moves: list[tuple[str, int]]) -> InlineKeyboardMarkup:
    """Under a page of the schedule: the other pages, the CSV, and Accept."""
    row = [
        InlineKeyboardButton(
            text=label, callback_data=OfferButton(action="page", offer=offer_id, page=page).pack()
        )
        for label, page in moves
    ]
    csv = OfferButton(action="csv", offer=offer_id).pack()
    accept = OfferButton(action="accept", offer=offer_id).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [*row, InlineKeyboardButton(text=_("CSV"), callback_data=csv)],
            [InlineKeyboardButton(text=_("✅ Accept the offer"), callback_data=accept)],
        ]
    )


def pages(offer: Offer) -> int:
    return max(1, (len(offer.schedule) + PAGE_ROWS - 1) // PAGE_ROWS)


def schedule_title(offer: Offer, page: int) -> str:
    return _("Schedule of offer {reference}, page {page} of {pages}").format(
        reference=offer.id, page=page + 1, pages=pages(offer)
    )


def schedule_table(offer: Offer, page: int, locale: str) -> str:
    rows = offer.schedule[page * PAGE_ROWS : (page + 1) * PAGE_ROWS]
    header = (_("No."), _("Due"), _("Principal"), _("Interest"), _("Payment"))
    body = [
        (str(row.number), row.due_date.isoformat(),
         *(amount(value, locale) for value in (row.principal, row.interest, row.total)))
        for row in rows
    ]  # fmt: skip
    return aligned([header, *body])


def schedule_csv(offer: Offer) -> bytes:
    header = (_("No."), _("Due"), _("Principal"), _("Interest"), _("Payment"))
    rows = (
        (row.number, row.due_date.isoformat(), row.principal, row.interest, row.total)
        for row in offer.schedule
    )
    return csv_document(header, rows)


def chart_labels() -> tuple[str, str, str]:
    return _("Principal"), _("Interest"), _("Each payment: principal and interest")


def code_sent(
    offer: Offer, challenge: CodeChallenge, now: datetime, currency: str, locale: str
) -> str:
    minutes = max(1, round((challenge.expires_at - now).total_seconds() / 60))
    return sentences(
        _("The bank has texted a 6-digit code to {phone} for exactly this offer: {amount}, "
          "{term}, {rate}% a year, paid to {account}.").format(
            phone=challenge.masked_phone, amount=money(offer.amount, currency, locale),
            term=months_text(offer.term_months), rate=amount(offer.annual_rate, locale),
            account=payout_account(offer),
        ),
        ngettext("Type it here to accept; it is valid for {minutes} minute.",
                 "Type it here to accept; it is valid for {minutes} minutes.",
                 minutes).format(minutes=minutes),
    )  # fmt: skip


def code_format() -> str:
    return _("The code is 6 digits. Type it as it is in the SMS, or send /cancel.")


def wrong_code(attempts_left: int) -> str:
    return ngettext(
        "That code is not right. {count} attempt left.",
        "That code is not right. {count} attempts left.",
        attempts_left,
    ).format(count=attempts_left)


def blocked(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return ngettext(
        "Too many wrong codes. Please try again in {minutes} minute.",
        "Too many wrong codes. Please try again in {minutes} minutes.",
        minutes,
    ).format(minutes=minutes)


def stale_code() -> str:
    return _("That code has expired. Press «Accept the offer» again for a new one.")


def accepted(offer: Offer, currency: str, locale: str) -> str:
    return _(
        "✅ You accepted offer {reference}: {amount} over {term}. The bank is paying it to "
        "{account} now; the payout notice follows."
    ).format(
        reference=offer.id, amount=money(offer.amount, currency, locale),
        term=months_text(offer.term_months), account=payout_account(offer),
    )  # fmt: skip


def closed(offer: Offer, zone: ZoneInfo, locale: str) -> str:
    if offer.status is OfferStatus.ACCEPTED:
        return _("You have already accepted offer {reference}.").format(reference=offer.id)
    if offer.status is OfferStatus.EXPIRED:
        return expired(offer, zone, locale)
    return _("Offer {reference} was withdrawn by the bank. Your loan officer will explain.").format(
        reference=offer.id
    )


def expired(offer: Offer, zone: ZoneInfo, locale: str) -> str:
    return _(
        "⌛ The bank's offer {reference} expired on {moment} and can no longer be accepted. "
        "If you still need the loan, ask your loan officer about a new offer."
    ).format(reference=offer.id, moment=moment(offer.expires_at.astimezone(zone), locale))


def not_their_offer() -> str:
    return _("This offer is not yours, or no longer there.")


def bank_unavailable() -> str:
    return _("The bank is not answering just now. Nothing has changed; please try again shortly.")


def declined(lead_id: str, decline: Decline | None) -> str:
    parts = [
        _("We are sorry: the loan committee could not approve your application {reference} "
          "this time.").format(reference=lead_id),
    ]  # fmt: skip
    if decline is not None:
        reason, advice = _decline_reason(decline.reason)
        parts.append(labelled(_("The main reason"), reason))
        if decline.shared_note:
            parts.append(labelled(_("The committee's note for you"), decline.shared_note))
        parts.append(advice)
    parts.append(_("Thank you for your trust; you are welcome to apply again."))
    return "\n".join(parts)


def _decline_reason(reason: DeclineReason) -> tuple[str, str]:
    texts = {
        DeclineReason.REPAYMENT_CAPACITY: (
            _("the monthly payment would be too large for what your business earns now."),
            _("What could work: a smaller amount or a longer term."),
        ),
        DeclineReason.DEBT_TOO_HIGH: (
            _("your existing debts are already high."),
            _("What could work: applying again once some of them are repaid."),
        ),
        DeclineReason.CREDIT_HISTORY: (
            _("your credit record shows payments that were late."),
            _("What could work: a few months of payments on time, then a new application."),
        ),
        DeclineReason.BUSINESS_TOO_YOUNG: (
            _("the business has not been running long enough yet."),
            _("What could work: applying again after a few more months of trading."),
        ),
        DeclineReason.UNVERIFIED_INFORMATION: (
            _("we could not confirm some of the information in the application."),
            _("What could work: your loan officer can tell you which records would help."),
        ),
        DeclineReason.OTHER: (
            _("the committee did not find the loan right for your business at this time."),
            _("What could work: your loan officer can talk it through with you."),
        ),
    }
    return texts[reason]
