"""The stand-in Bot API behaves as Telegram does for the calls and faults the tests use."""

from __future__ import annotations

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)

from tests.support.bot_api import TOKEN, StandInBotApi


def _bot(telegram: StandInBotApi) -> Bot:
    return Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url)))


async def test_messages_edits_and_scripted_faults() -> None:
    async with StandInBotApi() as telegram:
        bot = _bot(telegram)
        try:
            sent = await bot.send_message(7, "123")
            await bot.edit_message_text("edited", chat_id=7, message_id=sent.message_id)
            assert telegram.texts_to(7) == ["123", "edited"]
            telegram.faults.blocked.add(8)
            with pytest.raises(TelegramForbiddenError):
                await bot.send_message(8, "hello")
            telegram.faults.retry_after[7] = [3]
            with pytest.raises(TelegramRetryAfter) as flood:
                await bot.send_message(7, "again")
            assert flood.value.retry_after == 3
            telegram.faults.gone.add(sent.message_id)
            with pytest.raises(TelegramBadRequest, match="not found"):
                await bot.edit_message_text("late", chat_id=7, message_id=sent.message_id)
            assert telegram.texts_to(7) == ["123", "edited"]
            assert [call.refused for call in telegram.calls if call.refused] == [403, 429, 400]
        finally:
            await bot.session.close()


async def test_get_updates_keeps_what_the_offset_has_not_confirmed() -> None:
    async with StandInBotApi() as telegram:
        bot = _bot(telegram)
        try:
            chat = {"id": 5, "type": "private"}
            sender = {"id": 5, "is_bot": False, "first_name": "A"}
            for update_id in (10, 11):
                message = {"message_id": update_id, "date": 0, "chat": chat, "from": sender}
                await telegram.feed({"update_id": update_id, "message": {**message, "text": "hi"}})
            first = await bot.get_updates(timeout=0)
            assert [u.update_id for u in first] == [10, 11]
            assert telegram.unconfirmed() == [10, 11]
            assert await bot.get_updates(offset=12, timeout=0) == []
            assert telegram.unconfirmed() == []
        finally:
            await bot.session.close()
