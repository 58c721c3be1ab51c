"""Run modes with a real Telegram: long polling and the webhook server.

Both put every update into the durable queue first and handle it from there, so an update
is confirmed to Telegram only once Redis holds it, and a restart resumes what was queued.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiohttp import web

from bot.clock import SystemClock
from bot.config import Settings, SettingsError
from bot.factory import (
    App,
    Outside,
    build_bank,
    build_bot,
    build_dispatcher,
    build_redis,
    build_storage,
    publish_commands,
)
from bot.runtime import stop_on_signals, tune_garbage_collector
from bot.services.bank_pushes import BankPushes, RedisDeliveryLog
from bot.sms_channel import SmsCommandChannel, SmsInbox, outbound_sms, sms_auth
from bot.update_queue import UpdateQueue
from bot.webhook import build_web_app
from integrations.bank.webhook_signing import WebhookVerifier
from integrations.sms.outbound import SmsSender

log = logging.getLogger(__name__)
POLL_TIMEOUT_SECONDS = 25
POLL_BACKOFF_MAX_SECONDS = 30.0


async def run(settings: Settings, *, webhook: bool) -> None:
    token = settings.require_token()
    secret = _webhook_secret(settings) if webhook else ""
    redis = build_redis(settings.redis_url)
    storage = build_storage(redis, settings)
    bot = build_bot(token, settings, storage)
    clock = SystemClock()
    sms = outbound_sms(settings)
    bank = build_bank(settings, clock, sms)
    app = build_dispatcher(settings, redis, storage, Outside(bank, clock))
    consumer_name = f"{socket.gethostname()}-{os.getpid()}"
    queue = UpdateQueue(redis, consumer=consumer_name)
    stop = stop_on_signals()
    tune_garbage_collector()
    await publish_commands(bot, app.i18n)
    consumer = asyncio.create_task(queue.serve(_handler(app, bot), stop))
    try:
        if webhook:
            inbox = _sms_inbox(settings, app, sms, consumer_name)
            await _serve_webhook(settings, app, bot, queue, secret, stop, inbox)
        else:
            await bot.delete_webhook(drop_pending_updates=False)
            await _poll(bot, app, queue, stop)
    finally:
        stop.set()
        await consumer
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
    engine = app.dispatcher.workflow_data["money_commands"]
    channel = SmsCommandChannel(engine, sms, app.i18n, settings)
    return SmsInbox(app.redis, channel, consumer)


async def _serve_webhook(
    settings: Settings,
    app: App,
    bot: Bot,
    queue: UpdateQueue,
    secret: str,
    stop: asyncio.Event,
    inbox: SmsInbox | None,
) -> None:
    web_app = build_web_app(
        queue=queue,
        redis=app.redis,
        metrics=app.metrics,
        path=settings.webhook_path,
        secret=secret,
        bank_pushes=_bank_pushes(settings, app),
    )
    auth = sms_auth(settings)
    inbox_task: asyncio.Task[None] | None = None
    if inbox is not None and auth is not None:
        web_app.add_subapp("/sms", inbox.web_app(app.redis, auth))
        inbox_task = asyncio.create_task(inbox.serve(stop))
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
    await site.start()
    log.info(
        "webhook server on %s:%s%s",
        settings.webhook_host,
        settings.webhook_port,
        settings.webhook_path,
    )
    if settings.webhook_url:
        await bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            allowed_updates=app.dispatcher.resolve_used_update_types(),
        )
    try:
        await stop.wait()
    finally:
        await runner.cleanup()  # the webhook stays set: other replicas may be serving
        if inbox_task is not None:
            await inbox_task


def _bank_pushes(settings: Settings, app: App) -> BankPushes | None:
    if settings.bank_webhook_secret is None:
        return None
    verifier = WebhookVerifier(
        [settings.bank_webhook_secret.get_secret_value().encode()],
        RedisDeliveryLog(app.redis),
        clock=SystemClock().now,
    )
    return BankPushes(app.redis, verifier)


async def _poll(bot: Bot, app: App, queue: UpdateQueue, stop: asyncio.Event) -> None:
    offset: int | None = None
    backoff = 1.0
    allowed = app.dispatcher.resolve_used_update_types()
    log.info("polling for updates")
    while not stop.is_set():
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=POLL_TIMEOUT_SECONDS, allowed_updates=allowed
            )
        except (TelegramNetworkError, TelegramServerError) as error:
            log.warning("getUpdates failed (%s); retrying in %.0fs", type(error).__name__, backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, POLL_BACKOFF_MAX_SECONDS)
            continue
        backoff = 1.0
        for update in updates:
            raw = update.model_dump_json(by_alias=True, exclude_none=True)
            await queue.put(raw.encode())
            offset = update.update_id + 1
