"""What Telegram does for a Mini App, for tests: init data signed with the bot's token, and
the page's address with it in the fragment (as Telegram opens it); the bot's web server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import quote

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.demo.driver import ChatUser
from bot.factory import App
from bot.update_queue import UpdateQueue
from bot.webapp.init_data import sign
from bot.webapp.server import build_mini_app
from bot.webhook import build_web_app

BOT_TOKEN = "42:TEST"


def init_data(user: ChatUser, now: datetime, *, token: str = BOT_TOKEN) -> str:
    telegram_user = {
        "id": user.user_id,
        "first_name": user.first_name,
        "language_code": user.language_code,
    }
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(telegram_user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(now.timestamp())),
    }
    return sign(fields, token)


def authorization(user: ChatUser, now: datetime, *, token: str = BOT_TOKEN) -> dict[str, str]:
    return {"Authorization": "tma " + init_data(user, now, token=token)}


def page_url(
    server: TestServer,
    user: ChatUser,
    now: datetime,
    *,
    path: str = "/app/",
    theme: dict[str, str] | None = None,
) -> str:
    fragment = "tgWebAppData=" + quote(init_data(user, now), safe="") + "&tgWebAppVersion=8.0"
    if theme is not None:
        fragment += "&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
    return str(server.make_url(path)) + "#" + fragment


@pytest.fixture
async def server(app: App, redis: Redis) -> AsyncIterator[TestServer]:
    """The bot's web server with the Mini App mounted, on a loopback port."""
    web_app = build_web_app(
        queue=UpdateQueue(redis, consumer="test-1"),
        redis=redis,
        metrics=app.metrics,
        path="/webhook",
        secret="s3cret",
        mini_app=build_mini_app(app.services, BOT_TOKEN),
    )
    async with TestServer(web_app, host="127.0.0.1") as test_server:
        yield test_server
