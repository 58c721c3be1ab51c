"""Replicas: real webhook processes, a third-party load generator, a stand-in Bot API.

For stock aiogram (bench/replicas_stock.py: SimpleRequestHandler in its default background
mode, RedisStorage + RedisEventIsolation) and ours (bench/replicas_ours.py: `python -m bot run
--webhook` with the same 3-step form added to the product Dispatcher), with 1 and 2 processes:
- the stand-in Bot API (tests/support/bot_api.py) in this process records every reply;
- one wrk per process (bench/replicas.lua) posts the updates of its share of the users (user
  u always reaches process u % N), all users' first message, then their second, ...; each
  text carries its send time (CLOCK_MONOTONIC), echoed by the form's reply, so POST -> reply
  is measured at the stand-in (time.monotonic() is the same clock);
- updates/s end to end = replies / (last reply - first POST); every update must be answered
  exactly once (duplicates, losses) and each user's replies come in the order of the posts.
Closed loop (wrk as fast as its connections go), then open loop at --rate updates/s (wrk paced
with delay()). BOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/11) is flushed; with
--cluster host:port,... both run on that Redis Cluster instead (its nodes are flushed).
BOT_BENCH_LOGS=folder keeps the processes' logs. A POST not answered 200 is not posted again
(Telegram would): it counts as refused, and as lost unless it was handled anyway.
Usage: PYTHONPATH=. python bench/bench_replicas.py --updates 20000 --users 2000 --rate 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from tests.support.bot_api import TOKEN, StandInBotApi
from tests.support.redis_process import _free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "replicas-bench-secret"
ECHO = re.compile(r"answer (\d+) t=(\d+)")
QUIET_SECONDS = 15.0  # no new reply for this long after the last POST: the rest is lost
TICKS = os.sysconf("SC_CLK_TCK")
LOGS = os.environ.get("BOT_BENCH_LOGS")  # the processes' logs go there, kept, when set


@dataclass(frozen=True)
class Load:
    users: int
    per_user: int
    connections: int  # in all, shared by the wrk processes
    rate: float  # updates/s in all; 0 = closed loop

    @property
    def total(self) -> int:
        return self.users * self.per_user


@dataclass(frozen=True)
class Outcome:
    kind: str
    processes: int
    load: Load
    replies: int
    duplicates: int
    lost: int
    out_of_order: int  # users whose replies did not come in the order of their messages
    refused: int  # POSTs not answered 200 (Telegram would deliver them again)
    seconds: float
    p50_ms: float
    p99_ms: float
    bot_cpu_ms: float  # per update, all bot processes
    redis_cpu_ms: float  # per update
    stand_in_cpu_ms: float  # per update: this process (the stand-in Bot API, mostly)

    @property
    def rate(self) -> float:
        return self.replies / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class RedisTarget:
    """One Redis (a URL) or a Redis Cluster (its nodes, for BOT_REDIS_CLUSTER_NODES)."""

    url: str
    cluster_nodes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return "cluster" if self.cluster_nodes else "redis"

    def servers(self) -> list[Redis]:
        """A client per server: to flush them and read their CPU time."""
        if not self.cluster_nodes:
            return [Redis.from_url(self.url)]
        return [
            Redis(host=h, port=int(p))
            for h, _, p in (n.rpartition(":") for n in self.cluster_nodes)
        ]

    def stock_argument(self) -> str:
        return ",".join(self.cluster_nodes) or self.url

    def settings(self) -> dict[str, str]:
        if self.cluster_nodes:
            return {"BOT_REDIS_URL": self.url, "BOT_REDIS_CLUSTER_NODES": self.stock_argument()}
        return {"BOT_REDIS_URL": self.url}


@dataclass
class Replica:
    port: int
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def replica_command(
    kind: str, telegram: StandInBotApi, target: RedisTarget, port: int
) -> list[str]:
    if kind == "ours":
        return [sys.executable, str(ROOT / "bench" / "replicas_ours.py")]
    script = str(ROOT / "bench" / "replicas_stock.py")
    return [sys.executable, script, telegram.base_url, target.stock_argument(), str(port), SECRET]


def replica_env(
    telegram: StandInBotApi, target: RedisTarget, port: int, folder: Path
) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": telegram.base_url,
        **target.settings(),
        "BOT_WEBHOOK_SECRET": SECRET,
        "BOT_WEBHOOK_HOST": "127.0.0.1",
        "BOT_WEBHOOK_PORT": str(port),
        "BOT_SANDBOX_DB": str(folder / f"sandbox-{port}.db"),
        "BOT_SMS_CONSOLE": "1",
    }


@contextlib.asynccontextmanager
async def replicas(
    kind: str, count: int, telegram: StandInBotApi, target: RedisTarget, folder: Path
) -> AsyncIterator[list[Replica]]:
    started = []
    try:
        for _ in range(count):
            port = _free_port()
            log = (folder / f"{kind}-{port}.log").open("wb")
            process = subprocess.Popen(
                replica_command(kind, telegram, target, port),
                cwd=ROOT, env=replica_env(telegram, target, port, folder),
                stdout=log, stderr=log,
            )  # fmt: skip
            started.append(Replica(port, process))
        for replica in started:
            await listening(replica, folder / f"{kind}-{replica.port}.log")
        yield started
    finally:
        for replica in started:
            replica.process.terminate()
        for replica in started:
            replica.process.wait(timeout=60)


async def listening(replica: Replica, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as http:
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{replica.port}/done"):
                    return
            if replica.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"replica did not start: {log.read_text()[-3000:]}")
            await asyncio.sleep(0.1)


async def start_posting(ports: list[int], load: Load) -> list[asyncio.subprocess.Process]:
    """One wrk per process, each for its share of the users."""
    count = len(ports)
    per_wrk = max(1, load.connections // count)
    commands = [
        [
            "wrk", "-t1", f"-c{per_wrk}", "-d3600s", "--timeout", "60s",
            "-s", str(ROOT / "bench" / "replicas.lua"), f"http://127.0.0.1:{port}", "--",
            str(index), str(count), str(load.users), str(load.per_user), SECRET,
            str(load.rate / count), str(per_wrk),
        ]
        for index, port in enumerate(ports)
    ]  # fmt: skip
    return [
        await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
        for command in commands
    ]


async def refused_posts(runs: list[asyncio.subprocess.Process]) -> int:
    """Stop the wrk processes (their threads stopped after the last answer, but wrk itself
    runs for its duration unless interrupted) and add up the POSTs not answered 200."""
    refused = 0
    for run in runs:
        run.send_signal(signal.SIGINT)
        output, _ = await run.communicate()
        results = [line for line in output.decode().splitlines() if line.startswith("RESULT ")]
        if not results:
            raise RuntimeError(f"wrk said: {output.decode()}")
        refused += sum(json.loads(line.removeprefix("RESULT "))["refused"] for line in results)
    return refused


async def wait_for_replies(telegram: StandInBotApi, expected: int) -> None:
    seen, last_change = -1, time.monotonic()
    while True:
        replies = len(telegram.calls)
        if replies >= expected:
            return
        if replies != seen:
            seen, last_change = replies, time.monotonic()
        elif time.monotonic() - last_change > QUIET_SECONDS:
            return
        await asyncio.sleep(0.05)


async def redis_cpu_seconds(servers: list[Redis]) -> float:
    seconds = 0.0
    for server in servers:
        info = await server.info("cpu")
        seconds += float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
    return seconds


@contextlib.contextmanager
def logs_folder() -> Iterator[Path]:
    if LOGS is None:
        with tempfile.TemporaryDirectory() as folder:
            yield Path(folder)
    else:
        yield Path(tempfile.mkdtemp(dir=LOGS))


async def measure(
    kind: str, count: int, load: Load, telegram: StandInBotApi, target: RedisTarget
) -> Outcome:
    servers = target.servers()
    for server in servers:
        await server.flushdb()
    with logs_folder() as folder:
        async with replicas(kind, count, telegram, target, folder) as running:
            await asyncio.sleep(1.0)  # start-up calls (setMyCommands, ...) are over
            telegram.calls.clear()
            bot_cpu = sum(replica.cpu_seconds() for replica in running)
            redis_cpu = await redis_cpu_seconds(servers)
            own_cpu = time.process_time()
            posting = await start_posting([replica.port for replica in running], load)
            try:
                await wait_for_replies(telegram, load.total)
                refused = await refused_posts(posting)
            finally:
                for run in posting:
                    if run.returncode is None:  # not stopped above: the bench failed
                        run.kill()
            bot_cpu = sum(replica.cpu_seconds() for replica in running) - bot_cpu
            redis_cpu = await redis_cpu_seconds(servers) - redis_cpu
            own_cpu = time.process_time() - own_cpu
    for server in servers:
        await server.flushdb()
        await server.aclose()
    return outcome(kind, count, load, telegram, refused, (bot_cpu, redis_cpu, own_cpu))


def outcome(
    kind: str,
    count: int,
    load: Load,
    telegram: StandInBotApi,
    refused: int,
    cpu: tuple[float, float, float],
) -> Outcome:
    per_update: Counter[tuple[int, int]] = Counter()
    steps: dict[int, list[int]] = defaultdict(list)
    latencies, posted, arrived = [], [], []
    for call in telegram.calls_of("sendMessage"):
        echoed = ECHO.search(str(call.params.get("text", "")))
        if echoed is None or call.chat_id is None:
            continue
        step, sent_us = int(echoed[1]), int(echoed[2])
        per_update[call.chat_id, step] += 1
        steps[call.chat_id].append(step)
        latencies.append(call.at - sent_us / 1e6)
        posted.append(sent_us / 1e6)
        arrived.append(call.at)
    latencies.sort()
    return Outcome(
        kind=kind,
        processes=count,
        load=load,
        replies=len(per_update),
        duplicates=sum(n - 1 for n in per_update.values()),
        lost=load.total - len(per_update),
        out_of_order=sum(1 for seen in steps.values() if seen != sorted(seen)),
        refused=refused,
        seconds=max(arrived) - min(posted) if arrived else 0.0,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p99_ms=percentile(latencies, 0.99) * 1000,
        bot_cpu_ms=cpu[0] / load.total * 1000,
        redis_cpu_ms=cpu[1] / load.total * 1000,
        stand_in_cpu_ms=cpu[2] / load.total * 1000,
    )


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def print_table(outcomes: list[Outcome]) -> None:
    print(
        f"{'config':22s} {'updates':>7s} {'replies':>7s} {'dup':>4s} {'lost':>4s} "
        f"{'order':>5s} {'refused':>7s} {'upd/s':>7s} {'p50 ms':>8s} {'p99 ms':>8s} "
        f"{'vs stock':>8s} {'N/1 proc':>8s} {'bot cpu':>8s} {'redis cpu':>9s} {'stand-in':>8s}"
    )
    for row in outcomes:
        stock = find(outcomes, "stock", row.processes, row.load)
        single = find(outcomes, row.kind, 1, row.load)
        mode = f"{row.load.rate:.0f}/s" if row.load.rate else "closed"
        print(
            f"{row.kind + ' ' + str(row.processes) + 'p ' + mode:22s} {row.load.total:7d} "
            f"{row.replies:7d} {row.duplicates:4d} {row.lost:4d} {row.out_of_order:5d} "
            f"{row.refused:7d} {row.rate:7.0f} {row.p50_ms:8.1f} {row.p99_ms:8.1f} "
            f"{ratio(row, stock):>8s} {ratio(row, single):>8s} "
            f"{row.bot_cpu_ms:6.2f}ms {row.redis_cpu_ms:7.2f}ms {row.stand_in_cpu_ms:6.2f}ms"
        )
    print("CPU time per update: all bot processes, redis-server, the stand-in Bot API")


def find(outcomes: list[Outcome], kind: str, count: int, load: Load) -> Outcome | None:
    for row in outcomes:
        if (row.kind, row.processes, row.load) == (kind, count, load):
            return row
    return None


def ratio(row: Outcome, other: Outcome | None) -> str:
    if other is None or other is row or not other.rate:
        return "-"
    return f"{row.rate / other.rate:.2f}x"


async def main(arguments: argparse.Namespace) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    nodes = tuple(node for node in arguments.cluster.split(",") if node)
    target = RedisTarget(url, nodes)
    counts = [int(n) for n in arguments.processes.split(",")]
    per_user = arguments.updates // arguments.users
    loads = [Load(arguments.users, per_user, arguments.connections, 0.0)]
    if arguments.rate:
        loads.append(Load(arguments.users, per_user, arguments.connections, arguments.rate))
    print(
        f"on {target.name}; load before: {os.getloadavg()[0]:.2f} (1-minute average), "
        f"{os.cpu_count()} cores"
    )
    outcomes = []
    async with StandInBotApi() as telegram:
        for load in loads:
            for kind in arguments.kinds.split(","):
                for count in counts:
                    result = await measure(kind, count, load, telegram, target)
                    outcomes.append(result)
                    print(f"  {kind} x{count} done: {result.rate:.0f} updates/s", flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    print_table(outcomes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=1_000.0, help="open loop; 0 skips it")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--connections", type=int, default=64, help="in all, split by wrk")
    parser.add_argument("--cluster", default="", help="host:port,... of a Redis Cluster")
    parser.add_argument("--kinds", default="stock,ours")
    asyncio.run(main(parser.parse_args()))
