"""The Mini App's web application, mounted at /app/ on the bot's web server.

Pages are static files of this package; the JSON API under /app/api/ answers only requests
whose `Authorization: tma <initData>` Telegram signed for this bot (bot.webapp.init_data).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.container import Services
from bot.webapp.api import MiniAppApi
from bot.webapp.desk import DeskApi
from bot.webapp.gate import Gate

MOUNT = "/app"
STATIC_DIR = Path(__file__).resolve().parent / "static"
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
# Telegram's web clients show a Mini App in a frame; the phone and desktop apps do not frame it
TELEGRAM_WEB_CLIENTS = (
    "https://web.telegram.org",
    "https://webk.telegram.org",
    "https://webz.telegram.org",
)
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"script-src 'self' {TELEGRAM_SCRIPT}",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self' " + " ".join(TELEGRAM_WEB_CLIENTS),
    ]
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_mini_app(services: Services, bot_token: str) -> web.Application:
    """The sub-application to mount: `web_app.add_subapp(MOUNT, build_mini_app(...))`."""
    app = web.Application(middlewares=[_security_headers])
    gate = Gate(services, bot_token)
    app.add_routes(MiniAppApi(services, gate).routes())
    app.add_routes(DeskApi(services, gate).routes())
    app.router.add_get("/", _page("calculator.html"))
    app.router.add_get("/desk", _page("desk.html"))
    app.router.add_static("/static/", STATIC_DIR)
    return app


def _page(name: str) -> Callable[[web.Request], Awaitable[web.FileResponse]]:
    async def page(_request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / name)

    return page


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as error:
        response = error
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    return response
