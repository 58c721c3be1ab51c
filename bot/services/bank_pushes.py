"""Events the bank pushes to the bot: verified, recorded once per delivery id, queued."""

from __future__ import annotations

from datetime import timedelta

from redis.asyncio import Redis

from integrations.bank.webhook_signing import WebhookVerifier

BANK_EVENTS_STREAM = "bank:events"


class RedisDeliveryLog:
    """Delivery ids seen, shared by every replica."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def first_time(self, delivery_id: str, keep_for: timedelta) -> bool:
        key = f"bank:delivery:{delivery_id}"
        return bool(await self.redis.set(key, 1, nx=True, ex=keep_for))


class BankPushes:
    def __init__(self, redis: Redis, verifier: WebhookVerifier) -> None:
        self.redis = redis
        self.verifier = verifier

    async def accept(self, headers: dict[str, str], body: bytes) -> bool:
        """Queue a genuine push once; False for a repeat. Raises WebhookRejected for a forgery."""
        delivery = await self.verifier.verify(headers, body)
        if delivery.first_time:
            await self.redis.xadd(
                BANK_EVENTS_STREAM, {"delivery": delivery.delivery_id, "body": body}
            )
        return delivery.first_time
