"""The Mini App's JSON API: the product's bounds, schedules, and the calculator's figures.

`/api/schedule` answers exactly what `python -m bot schedule --json` prints for the same
terms; `/api/quote` adds the figures formatted as the chat formats them, in the user's
language. Refusals are RFC 9457 problems (`application/problem+json`).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiogram.utils.i18n import gettext as _
from aiohttp import web

from bot.container import Services
from bot.domain.loan_terms import ScheduleError
from bot.domain.schedule import Schedule
from bot.i18n import choose_locale, money
from bot.schedule_cli import describe_schedule_error, schedule_document, schedule_json
from bot.services.reference_data import BankNotAnswering
from bot.views import calculator as views
from bot.webapp.init_data import InitDataRejected, WebAppUser, verify
from bot.webapp.terms import TermsRefused, terms_from_query

AUTH_SCHEME = "tma "
Endpoint = Callable[[web.Request, WebAppUser, str], Awaitable[web.Response]]


def problem(status: int, title: str, detail: str) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/problem+json",
    )


class MiniAppApi:
    def __init__(self, services: Services, bot_token: str) -> None:
        self.services = services
        self.bot_token = bot_token

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/api/bounds", self._authorized(self.bounds)),
            web.get("/api/schedule", self._authorized(self.schedule)),
            web.get("/api/quote", self._authorized(self.quote)),
        ]

    def _authorized(self, endpoint: Endpoint) -> Callable[[web.Request], Awaitable[web.Response]]:
        """The endpoint, called with the signed user and their language, in that language."""

        async def checked(request: web.Request) -> web.Response:
            header = request.headers.get("Authorization", "")
            if not header.startswith(AUTH_SCHEME):
                return problem(401, "Unauthorized", "Authorization: tma <initData> is missing")
            settings = self.services.settings
            try:
                user = verify(
                    header.removeprefix(AUTH_SCHEME),
                    self.bot_token,
                    now=self.services.clock.now(),
                    max_age_seconds=settings.webapp_init_data_max_age_seconds,
                )
            except InitDataRejected as error:
                return problem(401, "Unauthorized", str(error))
            stored = await self.services.preferences.chosen(user.user_id)
            locale = choose_locale(stored, user.language_code, settings.default_locale)
            i18n = self.services.i18n
            with i18n.context(), i18n.use_locale(locale):
                try:
                    return await endpoint(request, user, locale)
                except BankNotAnswering:
                    return problem(503, "Service Unavailable", "the bank is not answering")

        return checked

    async def bounds(self, _request: web.Request, _user: WebAppUser, locale: str) -> web.Response:
        bounds = await self.services.calculator.bounds()
        currency = self.services.settings.currency
        return web.json_response(
            {
                "locale": locale,
                "currency": currency,
                "min_amount": str(bounds.min_amount),
                "max_amount": str(bounds.max_amount),
                "min_amount_text": money(bounds.min_amount, currency, locale),
                "max_amount_text": money(bounds.max_amount, currency, locale),
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
        made = await self._schedule(request, locale)
        if isinstance(made, web.Response):
            return made
        return web.Response(text=schedule_json(made), content_type="application/json")

    async def quote(self, request: web.Request, _user: WebAppUser, locale: str) -> web.Response:
        made = await self._schedule(request, locale)
        if isinstance(made, web.Response):
            return made
        return web.json_response(
            {
                "schedule": schedule_document(made),
                "text": _formatted(made, self.services.settings.currency, locale),
            }
        )

    async def _schedule(self, request: web.Request, locale: str) -> Schedule | web.Response:
        calculator = self.services.calculator
        bounds = await calculator.bounds()
        currency = self.services.settings.currency
        try:
            terms = terms_from_query(request.query, bounds, currency, locale)
            return calculator.schedule(
                bounds, terms.amount, terms.months, terms.plan.plan_id, terms.start
            )
        except TermsRefused as error:
            return problem(400, "Bad Request", str(error))
        except ScheduleError as error:
            return problem(400, "Bad Request", describe_schedule_error(error))


def _formatted(schedule: Schedule, currency: str, locale: str) -> dict[str, object]:
    """The figures as the chat shows them (same views, same Babel formatting)."""
    return {
        "payment": views.payment_line(schedule, currency, locale),
        "total_interest": _("Total interest: {amount}").format(
            amount=money(schedule.total_interest, currency, locale)
        ),
        "rate": views.rate_line(schedule, locale),
        "rows": [views.table_row(row, locale) for row in schedule.installments],
    }


def _labels() -> dict[str, object]:
    return {
        "title": _("Loan calculator"),
        "amount": _("Amount"),
        "term": _("Term"),
        "method": _("Repayment"),
        "columns": [_("No."), _("Due"), _("Principal"), _("Interest"), _("Payment"), _("Balance")],
    }
