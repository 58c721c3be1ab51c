"""Run modes with a real Telegram: long polling and the webhook server.

Both put every update into the durable queue first and handle it from there, so an update
is confirmed to Telegram only once Redis holds it, and a restart resumes what was queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import AsyncIterator

from aiogram import Bot
from aiohttp import web

from bot.clock import SystemClock
from bot.config import Settings, SettingsError
from bot.factory import (
    App,
    Outside,
    build_bank,
    build_bot,
    build_dispatcher,
    build_process_redis,
    build_storage,
    publish_commands,
)
from bot.health import health_routes
from bot.runtime import finish_within, stop_on_signals, tune_garbage_collector
from bot.services.bank_pushes import BankPushes, RedisDeliveryLog
from bot.sms_channel import SmsCommandChannel, SmsInbox, outbound_sms, sms_auth
from bot.supervision import Backoff, Heartbeats, supervise
from bot.update_queue import IncomingUpdates, PartitionedUpdates
from bot.webapp.menu import publish_menu_button
from bot.webapp.server import MOUNT as MINI_APP_MOUNT
from bot.webapp.server import build_mini_app
from bot.webhook import build_web_app, with_queue_metrics
from integrations.bank.webhook_signing import WebhookVerifier
from integrations.sms.outbound import SmsSender

log = logging.getLogger(__name__)
POLL_TIMEOUT_SECONDS = 25
POLL_ALLOWANCE_SECONDS = 90.0  # a long poll takes up to 25 s; no round for this long is stuck
POLL_BACKOFF = Backoff(first_delay=0.5, max_delay=5.0)
POLLING = "polling"
REQUESTS_GRACE_SECONDS = 2.0


async def run(settings: Settings, *, webhook: bool) -> None:
    token = settings.require_token()
    secret = _webhook_secret(settings) if webhook else ""
    redis = build_process_redis(settings)
    storage = build_storage(redis, settings)
    bot = build_bot(token, settings, storage)
    clock = SystemClock()
    sms = outbound_sms(settings)
    bank = build_bank(settings, clock, sms)
    app = build_dispatcher(settings, redis, storage, Outside(bank, clock))
    consumer_name = f"{socket.gethostname()}-{os.getpid()}"
    queue = PartitionedUpdates(redis, consumer_name, settings.update_partitions)
    heartbeats = Heartbeats()
    stop = stop_on_signals()
    tune_garbage_collector()
    await publish_commands(bot, app.i18n)
    await publish_menu_button(bot, settings, app.i18n)
    loops = [asyncio.create_task(queue.serve(_handler(app, bot), stop, heartbeats=heartbeats))]
    try:
        if webhook:
            inbox = _sms_inbox(settings, app, sms, consumer_name)
            await _serve_webhook(settings, app, bot, queue, secret, stop, inbox, heartbeats, loops)
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            await _serve_polling(settings, app, bot, queue, stop, heartbeats)
    finally:
        stop.set()
        if await finish_within(asyncio.gather(*loops), settings.shutdown_timeout_seconds):
            log.info("shutdown: everything in hand finished")
        await app.storage.drain()
        await bank.aclose()
        await bot.session.close()
        await redis.aclose()


def _webhook_secret(settings: Settings) -> str:
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        raise SettingsError(
            "BOT_WEBHOOK_SECRET is not set: webhook mode needs a secret token "
            "(1-256 characters of A-Z a-z 0-9 _ -)"
        )
    return settings.webhook_secret.get_secret_value()


def _handler(app: App, bot: Bot):  # type: ignore[no-untyped-def]
    async def handle(raw_update: bytes) -> None:
        await app.dispatcher.feed_raw_update(bot, json.loads(raw_update))

    return handle


def _sms_inbox(settings: Settings, app: App, sms: SmsSender, consumer: str) -> SmsInbox | None:
    if sms_auth(settings) is None:
        return None
    engine = app.services.money_commands
    channel = SmsCommandChannel(engine, sms, app.i18n, settings)
    return SmsInbox(app.redis, channel, consumer)


async def _serve_webhook(
    settings: Settings,
    app: App,
    bot: Bot,
    queue: PartitionedUpdates,
    secret: str,
    stop: asyncio.Event,
    inbox: SmsInbox | None,
    heartbeats: Heartbeats,
    loops: list[asyncio.Task[None]],
) -> None:
    web_app = build_web_app(
        queue=queue,
        redis=app.redis,
        metrics=app.metrics,
        path=settings.webhook_path,
        secret=secret,
        heartbeats=heartbeats,
        bank_pushes=_bank_pushes(settings, app),
        mini_app=build_mini_app(app.services, settings.require_token()),
    )
    auth = sms_auth(settings)
    if inbox is not None and auth is not None:
        web_app.add_subapp("/sms", inbox.web_app(app.redis, auth))
        loops.append(asyncio.create_task(inbox.serve(stop, heartbeats=heartbeats)))
    async with _serving(web_app, settings):
        log.info("webhook on %s", settings.webhook_path)
        if settings.webhook_url:
            await bot.set_webhook(
                settings.webhook_url,
                secret_token=secret,
                allowed_updates=app.dispatcher.resolve_used_update_types(),
            )
        await stop.wait()  # the webhook stays set: other replicas may be serving


@contextlib.asynccontextmanager
async def _serving(web_app: web.Application, settings: Settings) -> AsyncIterator[None]:
    # on stop the port closes at once; requests under way get a moment to be queued
    runner = web.AppRunner(web_app, shutdown_timeout=REQUESTS_GRACE_SECONDS)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
    log.info("web server on %s:%s", settings.webhook_host, settings.webhook_port)
    try:
        yield
    finally:
        await runner.cleanup()


def _bank_pushes(settings: Settings, app: App) -> BankPushes | None:
    if settings.bank_webhook_secret is None:
        return None
    verifier = WebhookVerifier(
        [settings.bank_webhook_secret.get_secret_value().encode()],
        RedisDeliveryLog(app.redis),
        clock=SystemClock().now,
    )
    return BankPushes(app.redis, verifier)


async def _serve_polling(
    settings: Settings,
    app: App,
    bot: Bot,
    queue: PartitionedUpdates,
    stop: asyncio.Event,
    heartbeats: Heartbeats,
) -> None:
    """Long polling, with /healthz, /metrics and the Mini App on the web server's address."""
    poller = Poller(bot, queue, app.dispatcher.resolve_used_update_types())
    heartbeats.register(POLLING, POLL_ALLOWANCE_SECONDS)
    web_app = web.Application()
    web_app.add_routes(health_routes(app.redis, heartbeats, with_queue_metrics(app.metrics, queue)))
    web_app.add_subapp(MINI_APP_MOUNT, build_mini_app(app.services, settings.require_token()))
    async with _serving(web_app, settings):
        log.info("polling for updates")
        polling = asyncio.create_task(
            supervise(POLLING, poller.poll_once, stop, backoff=POLL_BACKOFF, heartbeats=heartbeats)
        )
        await stop.wait()
        polling.cancel()  # a long poll in progress: nothing is confirmed by abandoning it
        with contextlib.suppress(asyncio.CancelledError):
            await polling


class Poller:
    """getUpdates into the durable queue. Telegram forgets an update only when a later call
    asks with an offset past it, so the offset moves past an update only once the queue holds
    it: while Redis is away the same updates are asked for again, after a backoff."""

    def __init__(self, bot: Bot, queue: IncomingUpdates, allowed_updates: list[str]) -> None:
        self.bot = bot
        self.queue = queue
        self.allowed_updates = allowed_updates
        self.offset: int | None = None

    async def poll_once(self) -> None:
        updates = await self.bot.get_updates(
            offset=self.offset, timeout=POLL_TIMEOUT_SECONDS, allowed_updates=self.allowed_updates
        )
        for update in updates:
            raw = update.model_dump_json(by_alias=True, exclude_none=True)
            await self.queue.put(raw.encode())
            self.offset = update.update_id + 1
