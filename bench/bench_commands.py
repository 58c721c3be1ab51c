"""Money-command benchmark, one process each:

1. parse + validate SMS-style commands (a realistic mix, valid and invalid): commands/s;
2. the inbound SMS webhook on loopback: a burst of 1,000 signed messages from a gateway
   with 50 connections, latency to acknowledgement (p50/p99); the server (its own process)
   also runs the engine on every message against the sandbox bank meanwhile.

Usage: python bench/bench_commands.py   (BOT_BENCH_REDIS_URL, default db 12; nothing flushed)
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import secrets
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.clock import SystemClock
from bot.config import Settings
from bot.domain.commands import CommandError, parse_command
from bot.factory import Outside, build_bank, build_dispatcher, build_redis, build_storage
from bot.sms_channel import SmsCommandChannel, SmsInbox
from integrations.bank.sandbox import seed
from integrations.sms.inbound import SIGNATURE_HEADER, TIMESTAMP_HEADER, SmsAuth, sign
from integrations.sms.outbound import RecordingSmsSender

REDIS_URL = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
SECRET = "bench-secret"
COMMANDS = [
    "YE", "bal 1234", "明细 1234 10", "ZZ 张三 100", "ＺＺ＃张三＃１，０００.５０元",
    "trf*6217000010001234*88.8*5678", "JF ELEC 1234567 236.50", "缴费 水费 7654321 20CNY",
    "HK ALL", "还款 LN0001 500", "CZ 13900000011 50", "DK", "QR 123456", "QX", "? ZZ",
    "ZZ 张三 1.234", "ZZ 张三 1e5", "hello", "ZZ 张三 -5", "JF TV 1 2",
]  # fmt: skip


def bench_parser(rounds: int = 20_000) -> float:
    errors = 0
    started = time.perf_counter()
    for _ in range(rounds):
        for text in COMMANDS:
            if isinstance(parse_command(text), CommandError):
                errors += 1
    elapsed = time.perf_counter() - started
    total = rounds * len(COMMANDS)
    print(f"parse+validate: {total:,} commands in {elapsed:.2f} s = {total / elapsed:,.0f}/s "
          f"({errors / total:.0%} rejected with a typed error)")  # fmt: skip
    return total / elapsed


def serve(port_queue: multiprocessing.Queue[int], sandbox_db: str) -> None:
    asyncio.run(_serve(port_queue, sandbox_db))


async def _serve(port_queue: multiprocessing.Queue[int], sandbox_db: str) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, redis_url=REDIS_URL, sandbox_db=Path(sandbox_db)
    )
    redis = build_redis(REDIS_URL)
    clock = SystemClock()
    sms = RecordingSmsSender()
    bank = build_bank(settings, clock, sms)
    app = build_dispatcher(settings, redis, build_storage(redis, settings), Outside(bank, clock))
    channel = SmsCommandChannel(app.services.money_commands, sms, app.i18n, settings)
    inbox = SmsInbox(redis, channel, consumer="bench")  # as the webhook server wires it
    runner = web.AppRunner(inbox.web_app(redis, SmsAuth(hmac_secret=SECRET)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port_queue.put(runner.addresses[0][1])
    await inbox.serve(asyncio.Event())  # handles the queued texts until the process ends


async def burst(port: int, count: int, connections: int, run: str) -> list[float]:
    url = f"http://127.0.0.1:{port}/inbound"
    slots = asyncio.Semaphore(connections)
    connector = aiohttp.TCPConnector(limit=connections)
    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(index: int) -> None:
            body = json.dumps({
                "from": seed.MERCHANT_PHONE, "to": "95588",
                "text": ("YE", "MX 3", "ZZ 张三 1.234", "DK")[index % 4],
                "message_id": f"{run}-{index}",
            }).encode()  # fmt: skip
            sent_at = str(int(time.time()))
            headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: sent_at,
                       SIGNATURE_HEADER: sign(SECRET, sent_at, body)}  # fmt: skip
            async with slots:
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latencies.append(time.perf_counter() - started)

        await one(-1)  # warm the connection path
        latencies.clear()
        await asyncio.gather(*(one(index) for index in range(count)))
    return latencies


def report(name: str, latencies: list[float]) -> float:
    ordered = sorted(latencies)
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    print(f"{name}: {len(ordered)} messages, p50 {statistics.median(ordered) * 1000:.1f} ms, "
          f"p99 {p99:.1f} ms, max {ordered[-1] * 1000:.1f} ms")  # fmt: skip
    return p99


def bench_webhook(count: int = 1000, connections: int = 50) -> float:
    context = multiprocessing.get_context("spawn")
    ports: multiprocessing.Queue[int] = context.Queue()
    with tempfile.TemporaryDirectory() as folder:
        server = context.Process(target=serve, args=(ports, f"{folder}/sandbox.db"), daemon=True)
        server.start()
        try:
            port = ports.get(timeout=60)
            run = secrets.token_hex(4)
            p99 = report("SMS webhook burst", asyncio.run(burst(port, count, connections, run)))
            report("same burst again (all duplicates)",
                   asyncio.run(burst(port, count, connections, run)))  # fmt: skip
        finally:
            server.terminate()
            server.join()
    return p99


def main() -> None:
    rate = bench_parser()
    p99 = bench_webhook()
    verdict = "OK" if rate >= 100_000 and p99 < 100 else "BELOW TARGET"
    print(f"targets: >= 100,000 commands/s, p99 < 100 ms -> {verdict}")


if __name__ == "__main__":
    main()
