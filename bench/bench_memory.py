"""Memory: 100,000 distinct users through a 3-step form in one process; RSS growth.

The whole product's dispatcher (update gate, i18n, metrics, every feature router) with the
3-step form of bench/bench_updates.py behind it, on a real Redis, replies to a null session.
Each update arrives as raw JSON through `feed_raw_update`, as the update queue hands it
over, and is built only when its turn comes (no pre-built updates held). Users go through in
waves of 200 concurrent users; resident memory is sampled at 10,000, 25,000, 50,000, 75,000
and 100,000 users (and at `--users`). Growth is measured from after a warm-up of 1,000 users
(imports, caches, pools filled). Target: under 50 MB for 100,000 users: state lives in
Redis, not in the process.

Usage: PYTHONPATH=$PWD .venv/bin/python bench/bench_memory.py [--users 100000]
Redis: BOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/10, flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_updates import NullSession, build_form_router
from bot.clock import SystemClock
from bot.config import Settings
from bot.factory import Outside, build_bank, build_bot, build_dispatcher, build_redis, build_storage
from bot.runtime import tune_garbage_collector
from integrations.sms.outbound import RecordingSmsSender

WAVE = 200
STEPS = 3
SAMPLES = (10_000, 25_000, 50_000, 75_000, 100_000)
WARM_UP = 1_000


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def raw_update(user_id: int, step: int) -> dict[str, Any]:
    user = {"id": user_id, "is_bot": False, "first_name": "u", "language_code": "en"}
    return {
        "update_id": user_id * STEPS + step,
        "message": {
            "message_id": step + 1,
            "date": 1_790_000_000,
            "chat": {"id": user_id, "type": "private"},
            "from": user,
            "text": f"answer {step}",
        },
    }


async def main(users: int) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    redis = build_redis(url)
    await redis.flushdb()
    folder = tempfile.mkdtemp()
    settings = Settings(_env_file=None, redis_url=url, sandbox_db=Path(folder) / "bank.db")  # type: ignore[call-arg]
    storage = build_storage(redis, settings)
    clock = SystemClock()
    outside = Outside(build_bank(settings, clock, RecordingSmsSender()), clock)
    app = build_dispatcher(settings, redis, storage, outside, extra_routers=(build_form_router(),))
    bot = build_bot("42:BENCH", settings, storage, session=NullSession())

    async def one_user(user_id: int) -> None:
        for step in range(STEPS):
            await app.dispatcher.feed_raw_update(
                bot, json.loads(json.dumps(raw_update(user_id, step)))
            )

    async def through(first: int, count: int) -> None:
        for start in range(first, first + count, WAVE):
            await asyncio.gather(
                *(one_user(u) for u in range(start, min(start + WAVE, first + count)))
            )

    tune_garbage_collector()
    await through(1_000_000, WARM_UP)
    gc.collect()
    base = rss_mb()
    started = time.perf_counter()
    print(f"after warm-up ({WARM_UP} users): RSS {base:.1f} MB")
    print("| users | RSS MB | growth MB | updates/s so far |")
    print("|---:|---:|---:|---:|")
    done = 0
    for mark in sorted({*(m for m in SAMPLES if m < users), users}):
        await through(2_000_000 + done, mark - done)
        done = mark
        rate = done * STEPS / (time.perf_counter() - started)
        print(f"| {done:,} | {rss_mb():.1f} | {rss_mb() - base:+.1f} | {rate:,.0f} |", flush=True)
    gc.collect()
    print(f"after gc.collect(): RSS {rss_mb():.1f} MB, growth {rss_mb() - base:+.1f} MB")
    keys = await redis.dbsize()
    print(f"Redis holds {keys:,} keys for them (state, data, dedupe marks)")
    await redis.flushdb()
    await redis.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().users))
