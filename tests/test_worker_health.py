"""The worker's /healthz tells the truth: Redis away, or a loop failing, is a 503 with why."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.factory import build_redis
from bot.pipeline.health_server import health_app
from bot.supervision import Heartbeats
from bot.telemetry import WorkerMetrics


async def _health(redis: Redis, heartbeats: Heartbeats) -> tuple[int, dict[str, object]]:
    async with TestClient(TestServer(health_app(redis, heartbeats, WorkerMetrics()))) as client:
        response = await client.get("/healthz")
        assert (await client.get("/metrics")).status == 200
        return response.status, await response.json()


async def test_worker_health_follows_redis_and_its_loops(redis: Redis) -> None:
    heartbeats = Heartbeats()
    heartbeats.register("reminders", allowance=120)
    assert await _health(redis, heartbeats) == (
        200,
        {"status": "ok", "redis": "ok", "problems": []},
    )
    heartbeats.failed("reminders", "ConnectionError (ref 1a2b3c4d)")
    status, body = await _health(redis, heartbeats)
    assert status == 503
    assert body["problems"] == ["reminders: ConnectionError (ref 1a2b3c4d)"]

    dead = build_redis("redis://127.0.0.1:1/0")
    heartbeats.beat("reminders")
    status, body = await _health(dead, heartbeats)
    assert (status, body["redis"]) == (503, "down")
    await dead.aclose()
