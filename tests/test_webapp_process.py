"""`python -m bot run` (long polling) serves the Mini App on its web server's address, and with
BOT_WEBAPP_URL set points the chat's menu button and /calc at it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo.driver import ChatUser
from tests.support.bot_api import TOKEN, StandInBotApi
from tests.support.bot_process import bot_process
from tests.support.mini_app import authorization
from tests.support.redis_process import RedisProcess

MINI_APP_URL = "https://bot.example.com/app/"
BOB = ChatUser("bob", 7, "Bob", "en", "+8613900000012")


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def telegram() -> AsyncIterator[StandInBotApi]:
    async with StandInBotApi() as api:
        yield api
        await api.feed(_text_update(0, BOB, "/help"))  # wakes the stopped bot's long poll


async def test_polling_mode_serves_the_mini_app_and_offers_it(
    redis_server: RedisProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    async with bot_process(
        telegram, redis_server.url(), tmp_path, webhook=False, BOT_WEBAPP_URL=MINI_APP_URL
    ) as bot:
        [menu] = telegram.calls_of("setChatMenuButton")
        assert menu.params["menu_button"]["web_app"] == {"url": MINI_APP_URL}

        async with bot.http.get(bot.base_url + "/app/") as page:
            assert page.status == 200
            assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        headers = authorization(BOB, datetime.now(UTC), token=TOKEN)
        async with bot.http.get(bot.base_url + "/app/api/bounds", headers=headers) as bounds:
            assert bounds.status == 200
            assert (await bounds.json())["labels"]["amount"] == "Amount"
        async with bot.http.get(bot.base_url + "/app/api/bounds") as refused:
            assert refused.status == 401

        await telegram.feed(_text_update(1, BOB, "/calc"))
        await telegram.wait_for(lambda: telegram.calls_of("sendMessage"))
        [sent] = telegram.calls_of("sendMessage")
        markup = sent.params["reply_markup"]
        assert json.dumps(markup).count(MINI_APP_URL) == 1


def _text_update(update_id: int, user: ChatUser, text: str) -> dict[str, object]:
    sender = {"id": user.user_id, "is_bot": False, "first_name": user.first_name}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id + 1,
            "date": 1_790_000_000,
            "chat": {"id": user.user_id, "type": "private", "first_name": user.first_name},
            "from": {**sender, "language_code": user.language_code},
            "text": text,
        },
    }
