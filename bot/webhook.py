"""The webhook server: Telegram's endpoint (secret checked), /healthz, /metrics, the Mini App.

An update is answered 200 only once the durable queue holds it; while Redis is away the
answer is 503 and Telegram delivers it again later. A body that is not a Telegram update
(not JSON, nested too deep, wrong types, too large) is a 400: nothing is queued.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

import pydantic_core
from aiogram.types import Update
from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.health import Exposition, health_routes
from bot.services.bank_pushes import BankPushes
from bot.supervision import Heartbeats
from bot.telemetry import Metrics
from bot.update_queue import IncomingUpdates
from bot.webapp.server import MOUNT as MINI_APP_MOUNT
from integrations.bank.webhook_signing import WebhookRejected

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BANK_PUSH_PATH = "/bank/events"
MAX_UPDATE_BYTES = 1024 * 1024  # Telegram's updates are far smaller


class NotAnUpdate(ValueError):
    """The body is not a Telegram update; the message says why, for the 400 answer."""


def check_update(body: bytes) -> int:
    """The update id of a valid update body; anything else raises NotAnUpdate.

    The JSON parser refuses nesting deeper than about 200 levels; `update_id` must be a
    JSON integer (in Python `True` is an int, and pydantic would also take 1.0 or "1").
    """
    if len(body) > MAX_UPDATE_BYTES:
        raise NotAnUpdate("body too large")
    try:
        parsed = pydantic_core.from_json(body)
    except ValueError:
        raise NotAnUpdate("body is not JSON") from None
    update_id = parsed.get("update_id") if isinstance(parsed, dict) else None
    if type(update_id) is not int or update_id < 0:
        raise NotAnUpdate("not a Telegram update")
    try:
        Update.model_validate(parsed)
    except (ValidationError, RecursionError):
        raise NotAnUpdate("not a Telegram update") from None
    return update_id


def build_web_app(
    *,
    queue: IncomingUpdates,
    redis: Redis,
    metrics: Metrics,
    path: str,
    secret: str,
    heartbeats: Heartbeats | None = None,
    bank_pushes: BankPushes | None = None,
    mini_app: web.Application | None = None,
) -> web.Application:
    async def receive_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401, text="missing secret token")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.Response(status=403, text="wrong secret token")
        try:
            body = await request.read()
            update_id = check_update(body)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=400, text="body too large")
        except NotAnUpdate as error:
            return web.Response(status=400, text=str(error))
        try:
            await queue.put(body)
        except (RedisError, OSError) as error:
            log.warning(
                "could not queue update %s (%s); Telegram will deliver it again",
                update_id,
                type(error).__name__,
            )
            return web.Response(status=503, text="queue unavailable")
        return web.json_response({})

    app = web.Application(client_max_size=MAX_UPDATE_BYTES)
    app.router.add_post(path, receive_update)
    if bank_pushes is not None:
        app.router.add_post(BANK_PUSH_PATH, _bank_push_endpoint(bank_pushes))
    app.add_routes(
        health_routes(redis, heartbeats or Heartbeats(), with_queue_metrics(metrics, queue))
    )
    if mini_app is not None:
        app.add_subapp(MINI_APP_MOUNT, mini_app)
    return app


def with_queue_metrics(metrics: Metrics, queue: IncomingUpdates) -> Exposition:
    """The process's metrics, plus the update queue's depth and lag read at scrape time."""
    registry = CollectorRegistry()
    depth = Gauge("bot_update_queue_depth", "Updates queued, not handled yet", registry=registry)
    pending = Gauge(
        "bot_update_queue_pending", "Updates taken by a consumer, not finished", registry=registry
    )
    age = Gauge(
        "bot_update_queue_oldest_age_seconds",
        "How long the oldest unhandled update has waited",
        registry=registry,
    )

    async def exposition() -> bytes:
        try:
            stats = await queue.stats()
        except (RedisError, OSError):
            return metrics.exposition()  # /healthz tells that Redis is away
        depth.set(stats.depth)
        pending.set(stats.pending)
        age.set(stats.oldest_age_seconds)
        return metrics.exposition() + generate_latest(registry)

    return exposition


def _bank_push_endpoint(
    pushes: BankPushes,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def receive_bank_push(request: web.Request) -> web.Response:
        body = await request.read()
        try:
            first_time = await pushes.accept(dict(request.headers), body)
        except WebhookRejected:
            return web.Response(status=401, text="not signed by the bank")
        except (RedisError, OSError):
            return web.Response(status=503, text="queue unavailable")  # the bank sends again
        return web.json_response({"accepted": True, "duplicate": not first_time})

    return receive_bank_push
