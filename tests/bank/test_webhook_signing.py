"""Bank-to-bot pushes: signed with HMAC-SHA256 over timestamp and body, accepted for 5
minutes, each delivery id processed once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from integrations.bank.webhook_signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    InMemoryDeliveryLog,
    WebhookRejected,
    WebhookVerifier,
    signed_headers,
)

from .support import MutableClock

Tamper = Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]]
SECRET = b"shared-secret"
BODY = b'{"type": "payment_posted", "id": "EV000001"}'


def verifier(clock: MutableClock, *secrets: bytes) -> WebhookVerifier:
    return WebhookVerifier(secrets or (SECRET,), InMemoryDeliveryLog(clock), clock)


async def test_a_signed_fresh_push_is_accepted_once() -> None:
    clock = MutableClock()
    check = verifier(clock)
    headers = signed_headers(SECRET, BODY, "delivery-1", clock.now)

    first = await check.verify(headers, BODY)
    again = await check.verify(headers, BODY)

    assert (first.delivery_id, first.first_time) == ("delivery-1", True)
    assert again.first_time is False


@pytest.mark.parametrize(
    "tamper",
    [
        lambda headers, body: (headers, body + b" "),
        lambda headers, body: ({**headers, SIGNATURE_HEADER: "v1=00"}, body),
        lambda headers, body: (
            {**headers, TIMESTAMP_HEADER: str(int(headers[TIMESTAMP_HEADER]) + 1)},
            body,
        ),
        lambda headers, body: ({k: v for k, v in headers.items() if k != SIGNATURE_HEADER}, body),
        lambda headers, body: ({**headers, TIMESTAMP_HEADER: "soon"}, body),
    ],
    ids=["body changed", "wrong signature", "timestamp changed", "unsigned", "bad timestamp"],
)
async def test_a_tampered_push_is_rejected(tamper: Tamper) -> None:
    clock = MutableClock()
    headers, body = tamper(signed_headers(SECRET, BODY, "d", clock.now), BODY)

    with pytest.raises(WebhookRejected):
        await verifier(clock).verify(headers, body)


@pytest.mark.parametrize(
    "skew", [timedelta(minutes=5, seconds=1), -timedelta(minutes=5, seconds=1)]
)
async def test_a_push_outside_the_5_minute_window_is_rejected(skew: timedelta) -> None:
    clock = MutableClock()
    headers = signed_headers(SECRET, BODY, "d", clock.now)
    clock.advance(skew)

    with pytest.raises(WebhookRejected, match="window"):
        await verifier(clock).verify(headers, BODY)


async def test_a_push_within_the_window_is_accepted() -> None:
    clock = MutableClock()
    headers = signed_headers(SECRET, BODY, "d", clock.now)
    clock.advance(timedelta(minutes=4, seconds=59))

    assert (await verifier(clock).verify(headers, BODY)).first_time


async def test_a_forged_push_does_not_use_up_the_delivery_id() -> None:
    clock = MutableClock()
    check = verifier(clock)
    forged = signed_headers(b"attacker", BODY, "delivery-9", clock.now)
    with pytest.raises(WebhookRejected):
        await check.verify(forged, BODY)

    genuine = await check.verify(signed_headers(SECRET, BODY, "delivery-9", clock.now), BODY)

    assert genuine.first_time


async def test_either_secret_is_accepted_during_rotation() -> None:
    clock = MutableClock()
    check = verifier(clock, b"new-secret", SECRET)

    delivery = await check.verify(signed_headers(SECRET, BODY, "d", clock.now), BODY)

    assert delivery.first_time
