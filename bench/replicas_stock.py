"""Stock aiogram's webhook with the benchmark's 3-step form: SimpleRequestHandler (its default
background mode: 200 first, the update handled afterwards in a task), RedisStorage and
RedisEventIsolation. Started by bench/bench_replicas.py:
    PYTHONPATH=. python bench/replicas_stock.py API_BASE_URL REDIS PORT SECRET
REDIS is a URL, or host:port,host:port,... of a Redis Cluster (each of stock's commands names
one key, so it runs there unchanged).
"""

from __future__ import annotations

import sys
from typing import cast

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import DefaultKeyBuilder
from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from bench_updates import build_form_router
from redis.asyncio import Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster

from tests.support.bot_api import TOKEN


def connect(redis: str) -> Redis:
    if "://" in redis:
        return Redis.from_url(redis)
    nodes = [node.rpartition(":") for node in redis.split(",")]
    cluster = RedisCluster(startup_nodes=[ClusterNode(host, int(port)) for host, _, port in nodes])
    return cast(Redis, cluster)


def build_app(api_base_url: str, redis_address: str, secret: str) -> web.Application:
    redis = connect(redis_address)
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
