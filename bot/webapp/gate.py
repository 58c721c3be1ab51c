"""Every Mini App API call: `Authorization: tma <initData>` checked, then run in the user's
language. Refusals are RFC 9457 problems (`application/problem+json`)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.exceptions import RedisError

from bot.container import Services
from bot.i18n import choose_locale
from bot.services.reference_data import BankNotAnswering
from bot.webapp.init_data import InitDataRejected, WebAppUser, verify
from integrations.bank.errors import BankError

AUTH_SCHEME = "tma "
Endpoint = Callable[[web.Request, WebAppUser, str], Awaitable[web.Response]]
Route = Callable[[web.Request], Awaitable[web.Response]]


def problem(status: int, title: str, detail: str) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/problem+json",
    )


class Gate:
    def __init__(self, services: Services, bot_token: str) -> None:
        self.services = services
        self.bot_token = bot_token

    def signed(self, endpoint: Endpoint) -> Route:
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
            try:
                stored = await self.services.preferences.chosen(user.user_id)
            except (RedisError, OSError):  # a busy Redis: the page in Telegram's language
                stored = None
            locale = choose_locale(stored, user.language_code, settings.default_locale)
            i18n = self.services.i18n
            with i18n.context(), i18n.use_locale(locale):
                try:
                    return await endpoint(request, user, locale)
                except BankNotAnswering:
                    return problem(503, "Service Unavailable", "the bank is not answering")
                except BankError:
                    return problem(502, "Bad Gateway", "the bank could not answer")

        return checked
