"""A handler that fails: the merchant gets the apology with a reference; the log gets the
reference, the error's type and where it happened, never the error's message."""

from __future__ import annotations

import logging

import pytest
from aiogram import F, Router
from aiogram.types import Message
from redis.asyncio import Redis

from bot.clock import SimulatedClock
from bot.config import Settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import Outside, build_bot, build_dispatcher, build_storage
from bot.local_session import LocalSession
from integrations.bank.protocol import BankAdapter

PHONE = "+86139" + "00000042"


def _failing_router() -> Router:
    router = Router()

    @router.message(F.text == "boom")
    async def fail(_message: Message) -> None:
        raise ValueError(f"customer {PHONE} not found")

    return router


@pytest.mark.parametrize(
    ("language", "apology"),
    [
        ("zh-hans", "抱歉，我们这边出了点问题"),
        ("en", "Sorry, something went wrong on our side"),
        ("ru", "Извините, у нас что-то пошло не так"),
    ],
)
async def test_a_failure_is_apologised_for_and_logged_without_personal_data(
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    clock: SimulatedClock,
    session: LocalSession,
    caplog: pytest.LogCaptureFixture,
    language: str,
    apology: str,
) -> None:
    storage = build_storage(redis, settings)
    app = build_dispatcher(
        settings, redis, storage, Outside(bank, clock), extra_routers=(_failing_router(),)
    )
    bot = build_bot("42:TEST", settings, app.storage, session=session)
    driver = ChatDriver(app.dispatcher, bot, session)
    user = ChatUser("li", 5301, "李", language, PHONE)
    with caplog.at_level(logging.ERROR):
        await driver.send(user, "boom")
    await bot.session.close()
    shown = driver.last(user).text
    assert apology in shown
    reference = shown[-8:]
    assert f"ref={reference}" in caplog.text
    assert "error=ValueError" in caplog.text
    assert PHONE not in caplog.text
