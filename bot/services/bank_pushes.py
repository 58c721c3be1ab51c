"""Events the bank pushes to the bot: verified, recorded once per delivery id, and a wake-up
for the reader of the bank's event feed, which reads them from the feed at once.

The body itself is not acted on: the feed is the record, in order and with a cursor, and
reading it covers a push that was lost or arrived out of order."""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis

from bot.redis_keys import BANK_FEED
from bot.services.bank_feed import FeedWakeUp
from integrations.bank.webhook_signing import WebhookVerifier


class RedisDeliveryLog:
    """Delivery ids seen, shared by every replica."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def first_time(self, delivery_id: str, keep_for: timedelta) -> bool:
        key = BANK_FEED.push_delivery(delivery_id)
        return bool(await self.redis.set(key, 1, nx=True, ex=keep_for))


class BankPushes:
    def __init__(self, redis: Redis, verifier: WebhookVerifier) -> None:
        self.wake_up = FeedWakeUp(redis)
        self.verifier = verifier

    async def accept(self, headers: dict[str, str], body: bytes) -> bool:
        """Wake the feed reader for a genuine push, once; False for a repeat. Raises
        WebhookRejected for a forgery."""
        delivery = await self.verifier.verify(headers, body)
        if delivery.first_time:
            await self.wake_up.ring()
        return delivery.first_time
