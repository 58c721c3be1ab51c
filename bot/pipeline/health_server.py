"""The worker's /healthz and /metrics on its own port (BOT_WORKER_METRICS_PORT; unset: none).

The same `/healthz` as the webhook server's (Redis and every supervised loop of the process),
so compose and a load balancer judge both kinds of process alike."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from redis.asyncio import Redis

from bot.health import health_routes
from bot.supervision import Heartbeats
from bot.telemetry import WorkerMetrics

log = logging.getLogger(__name__)


def health_app(redis: Redis, heartbeats: Heartbeats, metrics: WorkerMetrics) -> web.Application:
    async def exposition() -> bytes:
        return metrics.exposition()

    app = web.Application()
    app.add_routes(health_routes(redis, heartbeats, exposition))
    return app


async def serve_health(
    redis: Redis,
    heartbeats: Heartbeats,
    metrics: WorkerMetrics,
    port: int | None,
    stop: asyncio.Event,
) -> None:
    if port is None:
        return
    runner = web.AppRunner(health_app(redis, heartbeats, metrics), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    log.info("worker health and metrics on port %s (/healthz, /metrics)", port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
