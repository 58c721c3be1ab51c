"""Mini App benchmark: the calculator's API on loopback, 200 concurrent clients, and the
calculator's first render in headless Chromium.

Side by side in one run, on the real web server (aiohttp on 127.0.0.1, the sandbox bank,
Redis for the language preference): a static file of the page (the server's floor), then
/app/api/schedule and /app/api/quote for a 12-month loan, each request with its own signed
init data checked. Prints p50/p99 latency and requests/s of each, and the page's weight
(HTML, script and styles, gzipped). The clients run in a process of their own (`--same-loop`:
in the server's event loop, as before), so the server has this process to itself; at 200
concurrent the latency is still mostly waiting in line (Little's law: 200 / requests per s);
one client at a time shows what one request costs. Then an open loop: the same users each
on a fixed timetable (``--rates`` requests/s together), latencies from each request's
scheduled time: what 200 merchants moving sliders at that pace would see.

First render: a fresh headless Chromium (Debian's, as in the tests) opens the calculator
with signed init data; the time from navigation start to the page's `calculator-ready`
performance mark (bounds, quote and compare answered, figures, chart, table and comparison
drawn), a few times, each browser cold.
Usage: python bench/bench_webapp.py (BOT_BENCH_REDIS_URL, default db 10, is flushed)
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import multiprocessing
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.clock import SystemClock
from bot.config import Settings
from bot.factory import Outside, build_bank, build_dispatcher, build_redis, build_storage
from bot.runtime import tune_garbage_collector
from bot.webapp.init_data import sign
from bot.webapp.server import MOUNT, STATIC_DIR, build_mini_app
from integrations.sms.outbound import RecordingSmsSender
from tests.support.chromium import chromium_installed, open_page

TOKEN = "42:BENCH"
QUERY = "principal=120000&months=12&method=equal_installments&start=2026-12-01"


def authorization(user_id: int) -> dict[str, str]:
    fields = {
        "user": f'{{"id":{user_id},"first_name":"B","language_code":"en"}}',
        "auth_date": str(int(datetime.now(UTC).timestamp())),
    }
    return {"Authorization": "tma " + sign(fields, TOKEN)}


def init_data(user_id: int) -> str:
    return authorization(user_id)["Authorization"].removeprefix("tma ")


async def measure(
    name: str, base: str, path: str, clients: int, per_client: int, *, same_loop: bool
) -> float:
    """Prints the latencies and returns the requests per second."""
    if same_loop:
        latencies, elapsed = await load(base, path, clients, per_client)
    else:
        spawn = multiprocessing.get_context("spawn")
        with spawn.Pool(1) as pool:
            latencies, elapsed = await asyncio.to_thread(
                pool.apply, load_in_process, (base, path, clients, per_client)
            )
    cuts = statistics.quantiles(latencies, n=100)
    rate = len(latencies) / elapsed
    print(
        f"{name:>9}: p50 {cuts[49] * 1000:6.1f} ms  p99 {cuts[98] * 1000:6.1f} ms  "
        f"{rate:7.0f} requests/s  ({clients} concurrent)"
    )
    return rate


def load_in_process(
    base: str, path: str, clients: int, per_client: int
) -> tuple[list[float], float]:
    return asyncio.run(load(base, path, clients, per_client))


async def measure_open(
    name: str, base: str, path: str, users: int, rate: float, seconds: float
) -> None:
    spawn = multiprocessing.get_context("spawn")
    with spawn.Pool(1) as pool:
        latencies, late = await asyncio.to_thread(
            pool.apply, open_load_in_process, (base, path, users, rate, seconds)
        )
    cuts = statistics.quantiles(latencies, n=100)
    print(
        f"{name:>9}: p50 {cuts[49] * 1000:6.1f} ms  p99 {cuts[98] * 1000:6.1f} ms  "
        f"at {rate:,.0f} requests/s from {users} users ({late} sent late)"
    )


def open_load_in_process(
    base: str, path: str, users: int, rate: float, seconds: float
) -> tuple[list[float], int]:
    return asyncio.run(open_load(base, path, users, rate, seconds))


async def open_load(
    base: str, path: str, users: int, rate: float, seconds: float
) -> tuple[list[float], int]:
    """Open loop: ``users`` clients each send on a fixed timetable (together ``rate`` requests
    a second, the users' start times spread over one interval), whatever the answers take; a
    latency counts from the request's scheduled time, so a server falling behind shows in it
    (no coordinated omission). Also how many requests left more than 5 ms after their time."""
    latencies: list[float] = []
    late = 0
    interval = users / rate
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def user(user_id: int, offset: float, began: float) -> None:
            nonlocal late
            headers = authorization(user_id)
            due = began + offset
            while due < began + seconds:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                late += time.perf_counter() - due > 0.005
                async with http.get(base + path, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, (path, response.status)
                latencies.append(time.perf_counter() - due)
                due += interval

        await asyncio.gather(*(user(1000 + n, 0, time.perf_counter()) for n in range(10)))
        latencies.clear()
        late = 0
        began = time.perf_counter()
        await asyncio.gather(*(user(1000 + n, n * interval / users, began) for n in range(users)))
    return latencies, late


async def load(base: str, path: str, clients: int, per_client: int) -> tuple[list[float], float]:
    """Each latency, and the seconds all of them took; after a warm-up."""
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def client(user_id: int) -> None:
            headers = authorization(user_id)
            for _ in range(per_client):
                started = time.perf_counter()
                async with http.get(base + path, headers=headers) as response:
                    await response.read()
                    assert response.status == 200, (path, response.status)
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(client(1000 + n) for n in range(max(1, clients // 10))))  # warm-up
        latencies.clear()
        started = time.perf_counter()
        await asyncio.gather(*(client(1000 + n) for n in range(clients)))
        elapsed = time.perf_counter() - started
    return latencies, elapsed


async def first_render(base: str, times: int) -> None:
    if not chromium_installed():
        print("first render: skipped, Debian's chromium is not installed")
        return
    renders = []
    for attempt in range(times):
        fragment = "tgWebAppData=" + quote(init_data(5000 + attempt), safe="")
        async with open_page(f"{base}/#{fragment}&tgWebAppVersion=8.0") as page:
            await page.wait_for("document.body?.dataset.ready === 'true'", timeout=30)
            renders.append(
                await page.evaluate("performance.getEntriesByName('calculator-ready')[0].startTime")
            )
    print(
        f"first render: median {statistics.median(renders):.0f} ms, max {max(renders):.0f} ms"
        f" ({times} cold browsers; navigation start to the calculator-ready mark)"
    )


def page_weight() -> None:
    files = sorted(STATIC_DIR.iterdir())
    raw = sum(len(f.read_bytes()) for f in files)
    zipped = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
    names = ", ".join(f.name for f in files)
    print(f"page weight: {raw} bytes, {zipped} bytes gzipped ({names})")


async def main(
    clients: int,
    per_client: int,
    *,
    same_loop: bool,
    renders: int,
    rates: list[float],
    seconds: float,
) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    redis = build_redis(url)
    folder = tempfile.mkdtemp()
    settings = Settings(_env_file=None, redis_url=url, sandbox_db=Path(folder) / "bank.db")  # type: ignore[call-arg]
    clock = SystemClock()
    bank = build_bank(settings, clock, RecordingSmsSender())
    app = build_dispatcher(settings, redis, build_storage(redis, settings), Outside(bank, clock))
    server = web.Application()
    server.add_subapp(MOUNT, build_mini_app(app.services, TOKEN))
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    base = f"http://127.0.0.1:{port}{MOUNT}"
    tune_garbage_collector()  # what `python -m bot run` does at start-up
    try:
        for concurrent, rounds in ((1, 200), (clients, per_client)):
            rate = {
                name: await measure(name, base, path, concurrent, rounds, same_loop=same_loop)
                for name, path in (
                    ("static", "/static/calculator.css"),
                    ("schedule", "/api/schedule?" + QUERY),
                    ("quote", "/api/quote?" + QUERY),
                )
            }
            schedule, quote = rate["schedule"] / rate["static"], rate["quote"] / rate["static"]
            print(
                f"    requests/s to the static file's: schedule {schedule:.2f}x, quote {quote:.2f}x"
            )
        for name, path in (
            ("static", "/static/calculator.css"),
            ("schedule", "/api/schedule?" + QUERY),
        ):
            for rate in rates:
                await measure_open(name, base, path, clients, rate, seconds)
        page_weight()
        if renders:
            await first_render(base, renders)
    finally:
        await runner.cleanup()
        await bank.aclose()
        await redis.flushdb()
        await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--requests", type=int, default=10, help="per client")
    parser.add_argument("--same-loop", action="store_true", help="clients in the server's loop")
    parser.add_argument("--renders", type=int, default=5, help="first renders to time")
    parser.add_argument(
        "--rates", default="100,200,400", help="open-loop requests/s from --clients users"
    )
    parser.add_argument("--seconds", type=float, default=10, help="each open-loop run")
    args = parser.parse_args()
    asyncio.run(
        main(
            args.clients,
            args.requests,
            same_loop=args.same_loop,
            renders=args.renders,
            rates=[float(rate) for rate in args.rates.split(",")],
            seconds=args.seconds,
        )
    )
