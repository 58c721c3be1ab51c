"""Stock aiogram's webhook with the benchmark's 3-step form: SimpleRequestHandler (its default
background mode: 200 first, the update handled afterwards in a task), RedisStorage and
RedisEventIsolation. Started by bench/bench_replicas.py:
    PYTHONPATH=. python bench/replicas_stock.py API_BASE_URL REDIS_URL PORT SECRET
"""

from __future__ import annotations

import sys

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from bench_updates import build_form_router
from redis.asyncio import Redis

from tests.support.bot_api import TOKEN


def build_app(api_base_url: str, redis_url: str, secret: str) -> web.Application:
    redis = Redis.from_url(redis_url)
    keys = DefaultKeyBuilder(with_destiny=True)
    dispatcher = Dispatcher(
        storage=RedisStorage(redis, key_builder=keys),
        events_isolation=RedisEventIsolation(redis, key_builder=keys),
    )
    dispatcher.include_router(build_form_router())
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_base_url))
    bot = Bot(TOKEN, session=session)
    app = web.Application()
    SimpleRequestHandler(dispatcher, bot, secret_token=secret).register(app, path="/webhook")
    setup_application(app, dispatcher, bot=bot)
    return app


if __name__ == "__main__":
    base_url, url, port, token = sys.argv[1:5]
    web.run_app(build_app(base_url, url, token), host="127.0.0.1", port=int(port), print=None)
