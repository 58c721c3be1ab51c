"""`/healthz` and `/metrics` for any process: the webhook server mounts them, and so can a
worker on its own port.

`/healthz` is 200 only when Redis (each master of a cluster) answers a PING in time and
every supervised loop of the process is making progress; otherwise 503 with the reasons, as
JSON:
    {"status": "ok", "redis": "ok", "problems": []}
    {"status": "unhealthy", "redis": "down", "problems": ["redis: ConnectionError", ...]}
"""

from __future__ import annotations

import asyncio
import urllib.request
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import RedisError

from bot.supervision import Heartbeats

Exposition = Callable[[], Awaitable[bytes]]
PING_TIMEOUT_SECONDS = 2.0


async def redis_problem(redis: Redis) -> str | None:
    try:
        await asyncio.wait_for(_ping(redis), PING_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"redis: no answer within {PING_TIMEOUT_SECONDS:.0f}s"
    except (RedisError, OSError) as error:
        return f"redis: {type(error).__name__}"
    return None


async def _ping(redis: Redis) -> None:
    """One Redis, or every master of a cluster (a PING to one node says nothing of the
    slots the others serve)."""
    if isinstance(redis, RedisCluster):
        await redis.ping(target_nodes=RedisCluster.PRIMARIES)
    else:
        await redis.ping()  # type: ignore[misc]  # redis-py 7 types


def health_routes(
    redis: Redis, heartbeats: Heartbeats, exposition: Exposition
) -> list[web.RouteDef]:
    """Routes to add to any aiohttp application: `app.add_routes(health_routes(...))`."""

    async def healthz(_request: web.Request) -> web.Response:
        redis_down = await redis_problem(redis)
        problems = ([redis_down] if redis_down else []) + heartbeats.problems()
        body = {
            "status": "unhealthy" if problems else "ok",
            "redis": "down" if redis_down else "ok",
            "problems": problems,
        }
        return web.json_response(body, status=503 if problems else 200)

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=await exposition(), content_type="text/plain", charset="utf-8")

    return [web.get("/healthz", healthz), web.get("/metrics", metrics)]


def probe(url: str, timeout: float = 3.0) -> bool:
    """Whether `url` answers 200 (a container's health check; no event loop needed)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (OSError, ValueError):  # refused, timed out, or an HTTP error status
        return False
