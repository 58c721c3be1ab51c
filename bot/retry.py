"""Outgoing requests: honour Telegram's flood control with a bounded number of retries."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, max_retries: int = 3, sleep: Any = asyncio.sleep) -> None:
        self.max_retries = max_retries
        self.sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        for attempt in range(self.max_retries + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt == self.max_retries:
                    raise
                log.warning(
                    "flood control on %s: waiting %ss (retry %d/%d)",
                    type(method).__name__,
                    error.retry_after,
                    attempt + 1,
                    self.max_retries,
                )
                await self.sleep(error.retry_after)
        raise AssertionError("unreachable")
