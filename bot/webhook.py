"""The webhook server: Telegram's endpoint (secret checked), /healthz and /metrics."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.services.bank_pushes import BankPushes
from bot.telemetry import Metrics
from bot.update_queue import UpdateQueue
from integrations.bank.webhook_signing import WebhookRejected

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


BANK_PUSH_PATH = "/bank/events"


def build_web_app(
    *,
    queue: UpdateQueue,
    redis: Redis,
    metrics: Metrics,
    path: str,
    secret: str,
    bank_pushes: BankPushes | None = None,
) -> web.Application:
    async def receive_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401, text="missing secret token")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="wrong secret token")
        body = await request.read()
        try:
            update = json.loads(body)
        except ValueError:
            return web.Response(status=400, text="body is not JSON")
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400, text="not a Telegram update")
        try:
            await queue.put(body)
        except RedisError:
            log.exception(
                "could not queue update %s; Telegram will deliver it again", update["update_id"]
            )
            return web.Response(status=503, text="queue unavailable")
        return web.json_response({})

    async def healthz(_request: web.Request) -> web.Response:
        try:
            await redis.ping()  # type: ignore[misc]  # redis-py 7 types
        except (RedisError, OSError):
            return web.json_response({"redis": "down"}, status=503)
        return web.json_response({"redis": "ok"})

    async def metrics_page(_request: web.Request) -> web.Response:
        return web.Response(body=metrics.exposition(), content_type="text/plain", charset="utf-8")

    app = web.Application()
    app.router.add_post(path, receive_update)
    if bank_pushes is not None:
        app.router.add_post(BANK_PUSH_PATH, _bank_push_endpoint(bank_pushes))
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_page)
    return app


def _bank_push_endpoint(
    pushes: BankPushes,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def receive_bank_push(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            first_time = await pushes.accept(dict(request.headers), body)
        except WebhookRejected:
            return web.Response(status=401, text="not signed by the bank")
        return web.json_response({"accepted": True, "duplicate": not first_time})

    return receive_bank_push
