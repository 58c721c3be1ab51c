"""The calculator Mini App's JSON API: the product's bounds, schedules, every method side by
side, and "apply with these numbers".

`/api/schedule` answers exactly what `python -m bot schedule --json` prints for the same
terms; `/api/quote` adds the figures formatted as the chat formats them, in the user's
language. "Apply" is a server-side handoff: the numbers go to the user's chat as the chat
calculator's result, whose button starts /apply with them (Telegram's `sendData` works only
from keyboard buttons, not from the menu button or an inline button).
"""

from __future__ import annotations

import hashlib
import json

from aiogram.utils.i18n import gettext as _
from aiohttp import web
from multidict import MultiDict, MultiMapping

from bot.container import Services
from bot.domain.loan_terms import ScheduleError
from bot.domain.plans import RepaymentPlan
from bot.domain.schedule import Schedule
from bot.i18n import amount, day, money
from bot.schedule_cli import describe_schedule_error, schedule_document, schedule_json
from bot.services.calculator import Comparison, ProductBounds
from bot.services.outbound import OutgoingMessage, Priority
from bot.views import calculator as views
from bot.webapp.gate import Gate, problem
from bot.webapp.init_data import WebAppUser
from bot.webapp.terms import QueryTerms, TermsRefused, terms_from_query

APPLY_BODY_LIMIT = 1024


class MiniAppApi:
    def __init__(self, services: Services, gate: Gate) -> None:
        self.services = services
        self.gate = gate

    def routes(self) -> list[web.RouteDef]:
        signed = self.gate.signed
        return [
            web.get("/api/bounds", signed(self.bounds)),
            web.get("/api/schedule", signed(self.schedule)),
            web.get("/api/quote", signed(self.quote)),
            web.get("/api/compare", signed(self.compare)),
            web.post("/api/apply", signed(self.apply)),
        ]

    @property
    def currency(self) -> str:
        return self.services.settings.currency

    async def bounds(self, _request: web.Request, _user: WebAppUser, locale: str) -> web.Response:
        bounds = await self.services.calculator.bounds()
        return web.json_response(
            {
                "locale": locale,
                "currency": self.currency,
                "min_amount": str(bounds.min_amount),
                "max_amount": str(bounds.max_amount),
                "min_amount_text": money(bounds.min_amount, self.currency, locale),
                "max_amount_text": money(bounds.max_amount, self.currency, locale),
                "min_months": bounds.min_months,
                "max_months": bounds.max_months,
                "annual_rate": str(bounds.annual_rate),
                "methods": [
                    {
                        "id": plan.plan_id,
                        "name": views.plan_name(plan),
                        "sentence": views.plan_sentence(plan),
                        "min_months": plan.min_months,
                    }
                    for plan in bounds.plans
                ],
                "labels": _labels(),
            }
        )

    async def schedule(self, request: web.Request, _user: WebAppUser, locale: str) -> web.Response:
        made = await self._schedule(request.query, locale)
        if isinstance(made, web.Response):
            return made
        return web.Response(text=schedule_json(made[1]), content_type="application/json")

    async def quote(self, request: web.Request, _user: WebAppUser, locale: str) -> web.Response:
        made = await self._schedule(request.query, locale)
        if isinstance(made, web.Response):
            return made
        return web.json_response(
            {
                "schedule": schedule_document(made[1]),
                "text": _formatted(made[1], self.currency, locale),
            }
        )

    async def compare(self, request: web.Request, _user: WebAppUser, locale: str) -> web.Response:
        made = await self._terms(request.query, locale)
        if isinstance(made, web.Response):
            return made
        bounds, terms = made
        results = self.services.calculator.compare(bounds, terms.amount, terms.months)
        return web.json_response(
            {"methods": [_compared(result, self.currency, locale) for result in results]}
        )

    async def apply(self, request: web.Request, user: WebAppUser, locale: str) -> web.Response:
        """The numbers to the user's chat, once per signed session and terms."""
        try:
            body = json.loads(await request.content.read(APPLY_BODY_LIMIT))
            fields = MultiDict({key: str(body[key]) for key in ("principal", "months", "method")})
        except (ValueError, TypeError, KeyError):
            return problem(400, "Bad Request", "principal, months and method are needed")
        made = await self._schedule(fields, locale)
        if isinstance(made, web.Response):
            return made
        terms, schedule = made
        session = request.headers["Authorization"] + "\n" + json.dumps(sorted(fields.items()))
        digest = hashlib.sha256(session.encode()).hexdigest()[:24]
        await self.services.outbox.enqueue(
            OutgoingMessage(
                key=f"miniapp-apply:{user.user_id}:{digest}",
                chat_id=user.user_id,
                text=views.summary(schedule, terms.plan, self.currency, locale),
                markup=views.apply_keyboard(terms.amount, terms.months, terms.plan.plan_id),
                priority=Priority.URGENT,
            )
        )
        return web.json_response({"text": handed_over()}, status=202)

    async def _terms(
        self, query: MultiMapping[str], locale: str
    ) -> tuple[ProductBounds, QueryTerms] | web.Response:
        """The product's bounds (read once per request) and the terms checked against them."""
        bounds = await self.services.calculator.bounds()
        try:
            return bounds, terms_from_query(query, bounds, self.currency, locale)
        except TermsRefused as error:
            return problem(400, "Bad Request", str(error))

    async def _schedule(
        self, query: MultiMapping[str], locale: str
    ) -> tuple[QueryTerms, Schedule] | web.Response:
        checked = await self._terms(query, locale)
        if isinstance(checked, web.Response):
            return checked
        bounds, terms = checked
        calculator = self.services.calculator
        try:
            made = calculator.schedule(
                bounds, terms.amount, terms.months, terms.plan.plan_id, terms.start
            )
        except ScheduleError as error:
            return problem(400, "Bad Request", describe_schedule_error(error))
        return terms, made


def handed_over() -> str:
    return _("Your numbers are in the chat: press “Apply with these numbers” there.")


def _formatted(schedule: Schedule, currency: str, locale: str) -> dict[str, object]:
    """The figures as the chat shows them (same views, same Babel formatting)."""
    return {
        "terms": views.terms_line(schedule, currency, locale),
        "payment": views.payment_line(schedule, currency, locale),
        "total_interest": _("Total interest: {amount}").format(
            amount=money(schedule.total_interest, currency, locale)
        ),
        "rate": views.rate_line(schedule, locale),
        "rows": [views.table_row(row, locale) for row in schedule.installments],
    }


def _compared(result: Comparison, currency: str, locale: str) -> dict[str, object]:
    plan: RepaymentPlan = result.plan
    if result.schedule is None:
        return {"id": plan.plan_id, "name": views.plan_name(plan), "unavailable": True}
    schedule = result.schedule
    return {
        "id": plan.plan_id,
        "name": views.plan_name(plan),
        "unavailable": False,
        "payment": views.payment_line(schedule, currency, locale),
        "total_interest": money(schedule.total_interest, currency, locale),
        "apr": amount(schedule.apr, locale) + "%",
        "first_due": day(schedule.installments[0].due_date, locale),
    }


def _labels() -> dict[str, object]:
    return {
        "title": _("Loan calculator"),
        "amount": _("Amount"),
        "term": _("Term"),
        "method": _("Repayment"),
        "columns": [_("No."), _("Due"), _("Principal"), _("Interest"), _("Payment"), _("Balance")],
        "principal": _("Principal"),
        "interest": _("Interest"),
        "compare": _("⚖ Compare methods"),
        "compare_columns": [_("Repayment"), _("Payments"), _("Total interest"), _("APR")],
        "unavailable": _("not available for this term"),
        "apply": _("📝 Apply with these numbers"),
        "chart": _("Principal and interest in each payment"),
    }
