"""A master of a Redis Cluster goes away under a running bot: a real `python -m bot run
--webhook` process on a real 3-master cluster (its own, on free ports), one of whose masters
the test stops and starts again with its data and its nodes.conf, as an operator's restart
does. /healthz says Redis is down (it pings every master, not one node), and the webhook
refuses what it cannot keep, so Telegram delivers it again.

Not asserted here: that every update is answered once after the node is back. redis-py 7.4's
async cluster client does not hand back a connection whose send failed
(`ClusterNode.execute_command`), so each call to the stopped master leaks one; past
`BOT_REDIS_MAX_CONNECTIONS` of them the process fails every call to that node with
MaxConnectionsError, and /healthz stays 503 until the process is restarted (see README)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from test_redis_faults import help_update, wait_answered

from tests.support.bot_api import StandInBotApi
from tests.support.bot_process import bot_process
from tests.support.redis_cluster_process import RedisClusterProcess

NOT_USED = "redis://127.0.0.1:1/0"  # BOT_REDIS_URL: the cluster's nodes are set instead


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[RedisClusterProcess]:
    cluster = RedisClusterProcess(tmp_path / "cluster")
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
async def telegram() -> AsyncIterator[StandInBotApi]:
    async with StandInBotApi() as api:
        yield api


async def test_a_master_away_makes_the_bot_unhealthy_and_the_webhook_refuse(
    cluster: RedisClusterProcess, telegram: StandInBotApi, tmp_path: Path
) -> None:
    nodes = {"BOT_REDIS_CLUSTER_NODES": cluster.addresses, "BOT_UPDATE_PARTITIONS": "3"}
    async with bot_process(telegram, NOT_USED, tmp_path, webhook=True, **nodes) as bot:
        await bot.deliver(help_update(1, 1))
        await wait_answered(telegram, [1])

        away = cluster.nodes[1]
        away.stop()
        body = await bot.wait_healthy(False)
        assert body["redis"] == "down" and body["problems"][0].startswith("redis: ")
        await asyncio.to_thread(cluster.wait_state, "fail")  # the others stop serving too
        assert await bot.post_update(help_update(2, 2)) == 503  # Telegram will deliver again

        away.start()
        await asyncio.to_thread(cluster.wait_state, "ok")
        await bot.wait_healthy(True)
        await bot.deliver(help_update(2, 2))
        await wait_answered(telegram, [2])
