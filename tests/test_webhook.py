"""The webhook server and the durable update queue behind it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.services.bank_feed import PENDING_KEY
from bot.services.bank_pushes import BankPushes, RedisDeliveryLog
from bot.update_queue import UpdateQueue
from bot.webhook import SECRET_HEADER, build_web_app
from integrations.bank.webhook_signing import WebhookVerifier, signed_headers

SECRET = "s3cret-token"


@pytest.fixture
def queue(redis: Redis) -> UpdateQueue:
    return UpdateQueue(redis, consumer="test-1", reclaim_idle_ms=60_000)


@pytest.fixture
async def client(app: App, redis: Redis, queue: UpdateQueue) -> AsyncIterator[TestClient]:
    web_app = build_web_app(
        queue=queue, redis=redis, metrics=app.metrics, path="/webhook", secret=SECRET
    )
    async with TestClient(TestServer(web_app)) as test_client:
        yield test_client


def _raw(driver: ChatDriver, user: ChatUser, text: str) -> dict[str, object]:
    update = driver.text_update(user, text)
    return json.loads(update.model_dump_json(by_alias=True, exclude_none=True))


def _handler(app: App, driver: ChatDriver):  # type: ignore[no-untyped-def]
    async def handle(raw: bytes) -> None:
        await app.dispatcher.feed_raw_update(driver.bot, json.loads(raw))

    return handle


async def test_requests_without_the_right_secret_are_refused(
    client: TestClient, redis: Redis, driver: ChatDriver, bob: ChatUser
) -> None:
    body = _raw(driver, bob, "/help")
    missing = await client.post("/webhook", json=body)
    wrong = await client.post("/webhook", json=body, headers={SECRET_HEADER: "guess"})
    assert (missing.status, wrong.status) == (401, 403)
    assert await redis.exists("bot:updates") == 0


async def test_a_queued_update_is_answered_and_leaves_the_queue(
    client: TestClient,
    app: App,
    redis: Redis,
    queue: UpdateQueue,
    driver: ChatDriver,
    bob: ChatUser,
) -> None:
    response = await client.post(
        "/webhook", json=_raw(driver, bob, "/help"), headers={SECRET_HEADER: SECRET}
    )
    assert response.status == 200
    assert await redis.xlen("bot:updates") == 1

    stop = asyncio.Event()
    serving = asyncio.create_task(queue.serve(_handler(app, driver), stop, block_ms=50))
    for _ in range(100):
        if driver.session.chat(bob.user_id).messages:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await serving
    assert "/calc: what a loan costs" in driver.last(bob).text
    assert await redis.xlen("bot:updates") == 0


async def test_not_an_update_is_a_bad_request(client: TestClient) -> None:
    response = await client.post("/webhook", data=b"{", headers={SECRET_HEADER: SECRET})
    assert response.status == 400
    response = await client.post("/webhook", json={"x": 1}, headers={SECRET_HEADER: SECRET})
    assert response.status == 400


async def test_health_and_metrics(client: TestClient, driver: ChatDriver, bob: ChatUser) -> None:
    health = await client.get("/healthz")
    assert health.status == 200 and (await health.json()) == {"redis": "ok"}
    await driver.send(bob, "/help")
    metrics = await (await client.get("/metrics")).text()
    assert 'bot_updates_total{type="message"} 1.0' in metrics
    assert "bot_handler_seconds_count 1.0" in metrics


async def test_health_is_503_when_redis_is_down(app: App, queue: UpdateQueue) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    web_app = build_web_app(queue=queue, redis=dead, metrics=app.metrics, path="/w", secret=SECRET)
    async with TestClient(TestServer(web_app)) as test_client:
        response = await test_client.get("/healthz")
        assert response.status == 503
    await dead.aclose()


async def test_an_update_taken_by_a_crashed_process_is_handled_by_another(
    app: App, redis: Redis, driver: ChatDriver, bob: ChatUser
) -> None:
    crashed = UpdateQueue(redis, consumer="crashed", reclaim_idle_ms=0)
    await crashed.prepare()
    await crashed.put(json.dumps(_raw(driver, bob, "/help")).encode())
    taken = await redis.xreadgroup("handlers", "crashed", {"bot:updates": ">"}, count=10)
    assert len(taken[0][1]) == 1  # the crashed process took it and never acknowledged it

    survivor = UpdateQueue(redis, consumer="survivor", reclaim_idle_ms=0)
    await survivor.reclaim(_handler(app, driver))
    await survivor.drain()
    assert "/calc: what a loan costs" in driver.last(bob).text
    assert await redis.xlen("bot:updates") == 0


async def test_an_update_whose_handling_fails_stays_queued(
    redis: Redis, driver: ChatDriver, bob: ChatUser
) -> None:
    queue = UpdateQueue(redis, consumer="c", reclaim_idle_ms=0, max_deliveries=2)
    await queue.prepare()
    await queue.put(json.dumps(_raw(driver, bob, "/help")).encode())
    attempts = 0

    async def failing(_raw_update: bytes) -> None:
        nonlocal attempts
        attempts += 1
        raise ConnectionError("redis went away")

    await queue.read_new(failing, block_ms=10)
    await queue.drain()
    assert await redis.xlen("bot:updates") == 1
    await queue.reclaim(failing)
    await queue.drain()
    await queue.reclaim(failing)  # third delivery: over the limit, buried
    await queue.drain()
    assert attempts == 2
    assert await redis.xlen("bot:updates") == 0
    assert await redis.xlen("bot:updates:dead") == 1


async def test_bank_pushes_are_verified_and_wake_the_feed_reader(
    app: App, redis: Redis, queue: UpdateQueue, clock: SimulatedClock
) -> None:
    secret = b"bank-shared-secret"
    verifier = WebhookVerifier([secret], RedisDeliveryLog(redis), clock=clock.now)
    web_app = build_web_app(
        queue=queue,
        redis=redis,
        metrics=app.metrics,
        path="/webhook",
        secret=SECRET,
        bank_pushes=BankPushes(redis, verifier),
    )
    body = b'{"type": "payment_posted"}'
    headers = signed_headers(secret, body, "delivery-1", clock.now())
    async with TestClient(TestServer(web_app)) as test_client:
        first = await test_client.post("/bank/events", data=body, headers=headers)
        again = await test_client.post("/bank/events", data=body, headers=headers)
        forged = await test_client.post(
            "/bank/events", data=body, headers=signed_headers(b"guess", body, "d-2", clock.now())
        )
        stale = await test_client.post(
            "/bank/events",
            data=body,
            headers=signed_headers(secret, body, "d-3", clock.now() - timedelta(minutes=6)),
        )
        assert (first.status, await first.json()) == (
            200,
            {"accepted": True, "duplicate": False},
        )
        assert (await again.json())["duplicate"] is True
        assert (forged.status, stale.status) == (401, 401)
    assert await redis.exists(PENDING_KEY)  # the reader reads the feed at once
