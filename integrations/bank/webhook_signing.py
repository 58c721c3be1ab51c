"""Signed bank-to-bot pushes: HMAC-SHA256 over "<timestamp>.<body>", accepted within a
5-minute window, each delivery id processed once.

The bank sends three headers:
    X-Bank-Timestamp:   Unix seconds when it signed
    X-Bank-Delivery-Id: unique per delivery (a retry of the same delivery keeps it)
    X-Bank-Signature:   v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>[,v1=<hex>...]
Several v1 signatures may be sent while a secret is being rotated.

`WebhookVerifier` is what the bot's callback endpoint calls; the record of delivery ids
seen is a Protocol so that several bot replicas can share it (e.g. Redis SET NX EX).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

TIMESTAMP_HEADER = "X-Bank-Timestamp"
DELIVERY_HEADER = "X-Bank-Delivery-Id"
SIGNATURE_HEADER = "X-Bank-Signature"
SCHEME = "v1="
TOLERANCE = timedelta(minutes=5)


class WebhookRejected(Exception):
    """The push is not from the bank, or too old: answer 401 and do nothing."""


class DeliveryLog(Protocol):
    async def first_time(self, delivery_id: str, keep_for: timedelta) -> bool:
        """Record the id; True only the first time it is seen within `keep_for`."""


class InMemoryDeliveryLog:
    """For one process (tests, the demo). Replicas need a shared log."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._seen: dict[str, datetime] = {}

    async def first_time(self, delivery_id: str, keep_for: timedelta) -> bool:
        now = self._clock()
        self._seen = {key: until for key, until in self._seen.items() if until > now}
        if delivery_id in self._seen:
            return False
        self._seen[delivery_id] = now + keep_for
        return True


def signature(secret: bytes, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return SCHEME + digest.hexdigest()


def signed_headers(secret: bytes, body: bytes, delivery_id: str, now: datetime) -> dict[str, str]:
    """What the bank (or the sandbox) sends with a push."""
    timestamp = int(now.timestamp())
    return {
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


@dataclass(frozen=True)
class Delivery:
    delivery_id: str
    first_time: bool  # False: a repeat, already processed; answer 200 and skip it


class WebhookVerifier:
    def __init__(
        self,
        secrets: Sequence[bytes],
        deliveries: DeliveryLog,
        clock: Callable[[], datetime],
        tolerance: timedelta = TOLERANCE,
    ) -> None:
        if not secrets or not all(secrets):
            raise ValueError("at least one non-empty secret is needed")
        self._secrets = tuple(secrets)
        self._deliveries = deliveries
        self._clock = clock
        self._tolerance = tolerance

    async def verify(self, headers: Mapping[str, str], body: bytes) -> Delivery:
        """Check freshness and signature, then record the delivery id (only for genuine
        pushes, so forged ones cannot use up ids)."""
        timestamp = self._fresh_timestamp(headers.get(TIMESTAMP_HEADER, ""))
        if not self._signed(headers.get(SIGNATURE_HEADER, ""), timestamp, body):
            raise WebhookRejected("bad signature")
        delivery_id = headers.get(DELIVERY_HEADER, "")
        if not delivery_id:
            raise WebhookRejected("no delivery id")
        first = await self._deliveries.first_time(delivery_id, keep_for=2 * self._tolerance)
        return Delivery(delivery_id, first)

    def _fresh_timestamp(self, raw: str) -> int:
        if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
            raise WebhookRejected("no valid timestamp")
        age = self._clock().timestamp() - int(raw)
        if abs(age) > self._tolerance.total_seconds():
            raise WebhookRejected("timestamp outside the accepted window")
        return int(raw)

    def _signed(self, header: str, timestamp: int, body: bytes) -> bool:
        presented = [part.strip() for part in header.split(",") if part.strip()]
        expected = [signature(secret, timestamp, body) for secret in self._secrets]
        return any(
            hmac.compare_digest(candidate.encode(), wanted.encode())
            for candidate in presented
            for wanted in expected
        )
