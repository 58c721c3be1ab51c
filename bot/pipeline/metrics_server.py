"""The worker's /metrics on its own port (BOT_WORKER_METRICS_PORT; unset: not served)."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from bot.telemetry import WorkerMetrics

log = logging.getLogger(__name__)


def metrics_app(metrics: WorkerMetrics) -> web.Application:
    async def exposition(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), content_type="text/plain")

    app = web.Application()
    app.router.add_get("/metrics", exposition)
    return app


async def serve_metrics(metrics: WorkerMetrics, port: int | None, stop: asyncio.Event) -> None:
    if port is None:
        return
    runner = web.AppRunner(metrics_app(metrics), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()
    log.info("worker metrics on port %s (/metrics)", port)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
