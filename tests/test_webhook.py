"""The webhook server and the durable update queue behind it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

import pytest
from aiogram.types import Update
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App, build_redis
from bot.redis_keys import BANK_FEED, UPDATES, StreamKeys, update_partition
from bot.services.bank_pushes import BankPushes, RedisDeliveryLog
from bot.supervision import Heartbeats
from bot.update_queue import (
    ROUND_ALLOWANCE_SECONDS,
    PartitionedUpdates,
    UpdateQueue,
    partition_of,
)
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
    assert await redis.exists(UPDATES.stream) == 0


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
    assert await redis.xlen(UPDATES.stream) == 1

    stop = asyncio.Event()
    serving = asyncio.create_task(queue.serve(_handler(app, driver), stop, block_ms=50))
    for _ in range(100):
        if driver.session.chat(bob.user_id).messages:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await serving
    assert "/calc: what a loan costs" in driver.last(bob).text
    assert await redis.xlen(UPDATES.stream) == 0


NOT_UPDATES = {
    "not JSON": b"{",
    "not UTF-8": b"\xff\xfe",
    "not an object": b"[1, 2]",
    "no update_id": b'{"x": 1}',
    "update_id true": b'{"update_id": true}',
    "update_id 1.0": b'{"update_id": 1.0}',
    "update_id text": b'{"update_id": "1"}',
    "update_id negative": b'{"update_id": -1}',
    "message is text": b'{"update_id": 1, "message": "hello"}',
    "chat without id": b'{"update_id": 1, "message": {"message_id": 1, "date": 0, "chat": {}}}',
    "too deep": b'{"update_id": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "too large": b'{"update_id": 1, "x": "' + b"a" * (2 * 1024 * 1024) + b'"}',
}


@pytest.mark.parametrize("body", NOT_UPDATES.values(), ids=NOT_UPDATES.keys())
async def test_a_body_that_is_not_an_update_is_a_bad_request(
    client: TestClient, redis: Redis, body: bytes
) -> None:
    response = await client.post("/webhook", data=body, headers={SECRET_HEADER: SECRET})
    assert response.status == 400
    assert await redis.exists(UPDATES.stream) == 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
MESSAGE_FIELDS = st.sampled_from(["message_id", "date", "chat", "from", "text", "entities"])


@st.composite
def webhook_bodies(draw: st.DrawFn) -> bytes:
    """Random bytes, random JSON, and real updates with one part replaced by anything."""
    kind = draw(st.sampled_from(["bytes", "json", "mutated"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode()
    update: dict[str, Any] = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": 5, "type": "private"},
            "from": {"id": 5, "is_bot": False, "first_name": "B"},
            "text": "/help",
        },
    }
    if draw(st.booleans()):
        update["update_id"] = draw(JSON_VALUES)
    else:
        update["message"][draw(MESSAGE_FIELDS)] = draw(JSON_VALUES)
    return json.dumps(update).encode()


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=webhook_bodies())
async def test_no_body_makes_the_webhook_fail(
    client: TestClient, redis: Redis, body: bytes
) -> None:
    response = await client.post("/webhook", data=body, headers={SECRET_HEADER: SECRET})
    assert response.status in (200, 400)
    if response.status == 200:  # what was queued is an update the consumer can handle
        _id, fields = (await redis.xrange(UPDATES.stream))[-1]
        assert Update.model_validate_json(fields[b"update"]).update_id >= 0


async def test_health_and_metrics(
    client: TestClient, driver: ChatDriver, bob: ChatUser, redis: Redis
) -> None:
    health = await client.get("/healthz")
    assert health.status == 200
    assert await health.json() == {"status": "ok", "redis": "ok", "problems": []}
    await driver.send(bob, "/help")
    for update_id in (1, 2):
        await client.post(
            "/webhook", json={"update_id": update_id}, headers={SECRET_HEADER: SECRET}
        )
    metrics = await (await client.get("/metrics")).text()
    assert 'bot_updates_total{type="message"} 1.0' in metrics
    assert "bot_handler_seconds_count 1.0" in metrics
    assert "bot_update_queue_depth 2.0" in metrics
    assert "bot_update_queue_pending 0.0" in metrics
    assert "bot_update_queue_oldest_age_seconds " in metrics


async def test_health_is_503_when_redis_is_down(app: App) -> None:
    dead = build_redis("redis://127.0.0.1:1/0")
    queue = UpdateQueue(dead, consumer="test-1")
    web_app = build_web_app(queue=queue, redis=dead, metrics=app.metrics, path="/w", secret=SECRET)
    async with TestClient(TestServer(web_app)) as test_client:
        response = await test_client.get("/healthz")
        assert response.status == 503
        body = await response.json()
        assert body["redis"] == "down" and body["problems"] == ["redis: ConnectionError"]
        queued = await test_client.post(
            "/w", json={"update_id": 1}, headers={SECRET_HEADER: SECRET}
        )
        assert queued.status == 503  # Telegram delivers it again later
        assert (await test_client.get("/metrics")).status == 200
    await dead.aclose()


async def test_health_tells_a_stuck_consumer_from_an_idle_one(
    app: App, redis: Redis, driver: ChatDriver, bob: ChatUser
) -> None:
    now = [1000.0]
    heartbeats = Heartbeats(clock=lambda: now[0])
    idle = UpdateQueue(
        redis, consumer="idle", keys=StreamKeys("idle:updates", "idle:dead", "handlers", "idle")
    )
    stuck = UpdateQueue(
        redis,
        consumer="stuck",
        keys=StreamKeys("stuck:updates", "stuck:dead", "handlers", "stuck"),
        concurrency=1,
    )
    web_app = build_web_app(
        queue=idle, redis=redis, metrics=app.metrics, path="/w", secret=SECRET,
        heartbeats=heartbeats,
    )  # fmt: skip
    release = asyncio.Event()

    async def hangs(_raw: bytes) -> None:
        await release.wait()

    stop = asyncio.Event()
    serving = [
        asyncio.create_task(idle.serve(_handler(app, driver), stop, 20, heartbeats)),
        asyncio.create_task(stuck.serve(hangs, stop, 20, heartbeats)),
    ]
    for update_id in (1, 2):  # the first takes the only slot; the second waits for it
        await stuck.put(json.dumps({"update_id": update_id}).encode())
    await asyncio.sleep(0.3)
    now[0] += ROUND_ALLOWANCE_SECONDS + 1
    await asyncio.sleep(0.3)  # the idle consumer finishes an empty round meanwhile
    async with TestClient(TestServer(web_app)) as test_client:
        response = await test_client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["problems"] == ["stuck:updates: no progress for 31s"]
        release.set()
        await asyncio.sleep(0.3)
        assert (await test_client.get("/healthz")).status == 200
    stop.set()
    await asyncio.gather(*serving)


async def test_a_consumer_carries_on_when_the_database_is_emptied(
    app: App, redis: Redis, queue: UpdateQueue, driver: ChatDriver, bob: ChatUser, alice: ChatUser
) -> None:
    stop = asyncio.Event()
    serving = asyncio.create_task(queue.serve(_handler(app, driver), stop, block_ms=20))
    await queue.put(json.dumps(_raw(driver, bob, "/help")).encode())
    await _until(lambda: driver.session.chat(bob.user_id).messages)
    await redis.flushdb()  # the stream and its consumer group are gone
    await asyncio.sleep(0.1)
    await queue.put(json.dumps(_raw(driver, alice, "/help")).encode())
    await _until(lambda: driver.session.chat(alice.user_id).messages)
    stop.set()
    await serving
    assert driver.last(alice).text.startswith("我为小微商户")


async def _until(condition: Callable[[], object]) -> None:
    for _ in range(250):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met within 5 s")


async def test_an_update_taken_by_a_crashed_process_is_handled_by_another(
    app: App, redis: Redis, driver: ChatDriver, bob: ChatUser
) -> None:
    crashed = UpdateQueue(redis, consumer="crashed", reclaim_idle_ms=0)
    await crashed.prepare()
    await crashed.put(json.dumps(_raw(driver, bob, "/help")).encode())
    taken = await redis.xreadgroup("handlers", "crashed", {UPDATES.stream: ">"}, count=10)
    assert len(taken[0][1]) == 1  # the crashed process took it and never acknowledged it

    survivor = UpdateQueue(redis, consumer="survivor", reclaim_idle_ms=0)
    await survivor.reclaim(_handler(app, driver))
    await survivor.drain()
    assert "/calc: what a loan costs" in driver.last(bob).text
    assert await redis.xlen(UPDATES.stream) == 0


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
    assert await redis.xlen(UPDATES.stream) == 1
    await queue.reclaim(failing)
    await queue.drain()
    await queue.reclaim(failing)  # third delivery: over the limit, buried
    await queue.drain()
    assert attempts == 2
    assert await redis.xlen(UPDATES.stream) == 0
    assert await redis.xlen(UPDATES.dead) == 1


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
    assert await redis.exists(BANK_FEED.pending)  # the reader reads the feed at once


async def test_updates_in_partitions_keep_a_chat_in_one_and_are_all_answered(
    app: App, redis: Redis, driver: ChatDriver, alice: ChatUser, bob: ChatUser
) -> None:
    updates = PartitionedUpdates(redis, "test-1", partitions=4)
    web_app = build_web_app(
        queue=updates, redis=redis, metrics=app.metrics, path="/webhook", secret=SECRET
    )
    async with TestClient(TestServer(web_app)) as test_client:
        for user, text in ((alice, "/help"), (bob, "/help"), (bob, "/start")):
            answer = await test_client.post(
                "/webhook", json=_raw(driver, user, text), headers={SECRET_HEADER: SECRET}
            )
            assert answer.status == 200
    lengths = [await redis.xlen(update_partition(index).stream) for index in range(4)]
    assert lengths[alice.user_id % 4] == 1 and lengths[bob.user_id % 4] == 2
    assert sum(lengths) == 3
    assert (await updates.stats()).depth == 3

    stop = asyncio.Event()
    serving = asyncio.create_task(updates.serve(_handler(app, driver), stop, block_ms=50))
    for _ in range(200):
        if driver.seen(alice) and len(driver.seen(bob)) >= 2:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await serving
    assert "/calc" in driver.seen(alice)[0].text
    assert driver.last(bob).text.startswith("Hello, Bob")
    assert (await updates.stats()).depth == 0


def test_a_chat_is_always_in_the_same_partition(driver: ChatDriver, bob: ChatUser) -> None:
    texts = ("/help", "/start", "/calc", "12000")
    partitions = {partition_of(driver.text_update(bob, text), 7) for text in texts}
    assert partitions == {bob.user_id % 7}
