"""Flood control on replies: a 429 pauses every process's sends, and the reply is tried once
more after `retry_after`.

Only the Bots that answer users carry this middleware. The Sender's Bot has none: a 429 on
an unprompted message reschedules its job instead of waiting in-process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

from bot.services.sender import SendRateLimiter

log = logging.getLogger(__name__)


class SharedFloodControl(BaseRequestMiddleware):
    def __init__(
        self,
        limiter: SendRateLimiter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limiter = limiter
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        try:
            return await make_request(bot, method)
        except TelegramRetryAfter as error:
            log.warning(
                "flood control on %s: every process waits %ss, then one more try",
                type(method).__name__,
                error.retry_after,
            )
            await self.limiter.pause_everyone(error.retry_after)
            await self.sleep(error.retry_after)
        return await make_request(bot, method)
