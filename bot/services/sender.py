"""Outgoing messages that are not replies: reminders and bank notices.

`SendRateLimiter` is one schedule shared by every process through Redis (GCRA: each send
reserves the next free slot of the global rate and of its chat, so there is no burst to
trip Telegram's limits). `Sender` delivers each message at most once per idempotency key,
honours TelegramRetryAfter exactly (and pauses every process for that long), retries a
bounded number of times, and falls back to SMS once when the user blocked the bot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError, TelegramRetryAfter
from aiogram.types import InlineKeyboardMarkup
from redis.asyncio import Redis

from integrations.sms.outbound import SmsSender

log = logging.getLogger(__name__)

RESERVE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local global_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local chat_free = tonumber(redis.call('GET', KEYS[2]) or '0')
local at = math.max(now, global_free)
if chat_free > at then
  -- the chat is busy until later: take no global slot now (that would leave it idle)
  return string.format('-%.3f', chat_free - now)
end
local global_next = at + tonumber(ARGV[1])
local chat_next = at + tonumber(ARGV[2])
redis.call('SET', KEYS[1], string.format('%.3f', global_next),
           'PX', math.ceil(global_next - now) + 1000)
redis.call('SET', KEYS[2], string.format('%.3f', chat_next),
           'PX', math.ceil(chat_next - now) + 1000)
return string.format('%.3f', at - now)
"""

PAUSE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local resume = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if resume > current then
  redis.call('SET', KEYS[1], string.format('%.3f', resume), 'PX', math.ceil(ARGV[1]) + 1000)
end
return 1
"""

SENT_TTL_SECONDS = 90 * 86400
CLAIM_TTL_SECONDS = 300


class SendRateLimiter:
    def __init__(
        self,
        redis: Redis,
        per_second: float,
        chat_interval_ms: int,
        prefix: str = "send:rate",
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.redis = redis
        self.sleep = sleep
        self.global_interval_ms = 1000.0 / per_second
        self.chat_interval_ms = chat_interval_ms
        self.prefix = prefix
        self._reserve = redis.register_script(RESERVE_SCRIPT)
        self._pause = redis.register_script(PAUSE_SCRIPT)

    async def wait_for_slot(self, chat_id: int) -> None:
        """Reserve the next free slot of both the global rate and the chat, then wait for it.

        A negative answer means the chat is busy until then: wait and ask again, so that
        its wait does not hold back the global schedule."""
        while True:
            wait_ms = float(
                await self._reserve(
                    keys=[f"{self.prefix}:global", f"{self.prefix}:chat:{chat_id}"],
                    args=[f"{self.global_interval_ms:.3f}", self.chat_interval_ms],
                )
            )
            await self.sleep(abs(wait_ms) / 1000)
            if wait_ms >= 0:
                return

    async def pause_everyone(self, seconds: float) -> None:
        await self._pause(keys=[f"{self.prefix}:global"], args=[f"{seconds * 1000:.3f}"])


class Delivery(StrEnum):
    SENT = "sent"
    BY_SMS = "by_sms"
    ALREADY_DONE = "already_done"


@dataclass(frozen=True)
class Outgoing:
    key: str  # idempotency key: one delivery per key, ever
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None = None
    sms_text: str | None = None  # what to text instead when the bot is blocked


PhoneLookup = Callable[[], Awaitable[str | None]]


class Sender:
    def __init__(
        self,
        redis: Redis,
        bot: Bot,
        sms: SmsSender,
        limiter: SendRateLimiter,
        *,
        max_retries: int = 3,
        paid_broadcast: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.redis = redis
        self.bot = bot
        self.sms = sms
        self.limiter = limiter
        self.max_retries = max_retries
        self.paid_broadcast = paid_broadcast
        self.sleep = sleep

    async def deliver(self, message: Outgoing, phone: PhoneLookup) -> Delivery:
        """Send once per key. Other errors propagate with the claim released, so the job
        that asked stays queued and is retried (a bounded number of times) later."""
        marker = f"send:done:{message.key}"
        if not await self.redis.set(marker, "sending", nx=True, ex=CLAIM_TTL_SECONDS):
            return Delivery.ALREADY_DONE
        try:
            delivery = await self._send_or_text(message, phone)
        except BaseException:
            await self.redis.delete(marker)
            raise
        await self.redis.set(marker, delivery.value, ex=SENT_TTL_SECONDS)
        return delivery

    async def _send_or_text(self, message: Outgoing, phone: PhoneLookup) -> Delivery:
        try:
            await self._send_with_retries(message)
        except TelegramForbiddenError:
            number = await phone()
            if number is not None and message.sms_text is not None:
                await self.sms.send(number, message.sms_text)
            log.info("chat blocked the bot; reminder %s went by SMS", message.key)
            return Delivery.BY_SMS
        return Delivery.SENT

    async def _send_with_retries(self, message: Outgoing) -> None:
        for attempt in range(self.max_retries + 1):
            await self.limiter.wait_for_slot(message.chat_id)
            try:
                await self.bot.send_message(
                    message.chat_id,
                    message.text,
                    reply_markup=message.markup,
                    allow_paid_broadcast=self.paid_broadcast or None,
                )
                return
            except TelegramRetryAfter as error:
                if attempt == self.max_retries:
                    raise
                await self.limiter.pause_everyone(error.retry_after)
                await self.sleep(error.retry_after)
