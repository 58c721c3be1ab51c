"""Reminder sending against a stand-in Bot API that enforces Telegram's limits.

The stand-in (aiohttp on loopback) accepts at most 30 messages a second overall (a token
bucket of 30) and one message a second per chat (50 ms of network jitter tolerated), and
answers anything faster with 429 and `retry_after`, as Telegram does. Side by side in one
run, the same reminders (shuffled, several per chat) are sent by
- ours: the outbound pipeline: every reminder queued as an OutgoingMessage on the saq
  outbox (`bot/pipeline/outbox.py`), then two worker processes delivering it
  (`OutboundDelivery.serve`, 64 consumers each) through the one Sender, sharing the Redis
  rate limiter, the record of what was sent and the flood-control pause;
- naive: the loop aiogram templates use: send, sleep 1/30 s, on RetryAfter sleep and retry.
It prints, for each, the steady-state rate (the middle 80% of deliveries) against the limit,
the 429s and the duplicates.

Usage: .venv/bin/python bench/bench_reminders.py [--reminders 1800 --chats 450]
The issue's size (20,000 reminders to 5,000 chats) takes about 11 minutes per side at 30/s:
  .venv/bin/python bench/bench_reminders.py --reminders 20000 --chats 5000
Redis: BOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/10, flushed).
"ours" starts timing when the workers start: the reminders are queued before.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import socket
import time
from collections import Counter
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiohttp import web
from redis.asyncio import Redis

from bot.clock import SystemClock
from bot.pipeline.delivery import OutboundDelivery
from bot.pipeline.outbox import SaqOutbox
from bot.pipeline.sender import Sender
from bot.services.outbound import OutgoingMessage, Priority
from bot.services.sender import DeadLetters, DeliveryRecord, SendRateLimiter
from bot.supervision import Heartbeats
from bot.telemetry import WorkerMetrics
from integrations.sms.outbound import RecordingSmsSender

LIMIT_PER_SECOND = 30
CHAT_INTERVAL = 1.0
JITTER = 0.05
TOKEN = "42:BENCH"
STOP_KEY = "bench:stop"
CONCURRENCY = 64


@dataclass
class StandIn:
    tokens: float = LIMIT_PER_SECOND
    refilled_at: float = field(default_factory=time.monotonic)
    last_in_chat: dict[int, float] = field(default_factory=dict)
    accepted: list[float] = field(default_factory=list)
    delivered: Counter[tuple[int, str]] = field(default_factory=Counter)
    too_many: int = 0

    def admit(self, chat_id: int) -> float:
        """0 when the message may pass, else the seconds to wait."""
        now = time.monotonic()
        self.tokens = min(
            LIMIT_PER_SECOND, self.tokens + (now - self.refilled_at) * LIMIT_PER_SECOND
        )
        self.refilled_at = now
        since = now - self.last_in_chat.get(chat_id, -10.0)
        if since < CHAT_INTERVAL - JITTER:
            return CHAT_INTERVAL - since
        if self.tokens < 1:
            return (1 - self.tokens) / LIMIT_PER_SECOND
        self.tokens -= 1
        self.last_in_chat[chat_id] = now
        self.accepted.append(now)
        return 0.0

    async def send_message(self, request: web.Request) -> web.Response:
        form = await request.post()
        chat_id, text = int(str(form["chat_id"])), str(form["text"])
        wait = self.admit(chat_id)
        if wait > 0:
            self.too_many += 1
            retry_after = max(1, round(wait))
            return web.json_response({
                "ok": False, "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            })  # fmt: skip
        self.delivered[(chat_id, text)] += 1
        message = {"message_id": len(self.accepted), "date": int(time.time()),
                   "chat": {"id": chat_id, "type": "private"}, "text": text}  # fmt: skip
        return web.json_response({"ok": True, "result": message})

    def report(self, name: str, count: int, elapsed: float) -> None:
        times = sorted(self.accepted)
        low, high = times[len(times) // 10], times[len(times) * 9 // 10]
        steady = (len(times) * 8 // 10) / (high - low) if high > low else float("nan")
        duplicates = sum(n - 1 for n in self.delivered.values() if n > 1)
        missing = count - len(self.delivered)
        print(
            f"{name:6s} {count} reminders in {elapsed:6.1f}s: steady {steady:5.1f} msg/s "
            f"({100 * steady / LIMIT_PER_SECOND:5.1f}% of {LIMIT_PER_SECOND}/s), "
            f"429s {self.too_many}, duplicates {duplicates}, not delivered {missing}"
        )


def reminders(count: int, chats: int) -> list[tuple[int, str]]:
    jobs = [(100_000 + n % chats, f"reminder {n}") for n in range(count)]
    random.Random(7).shuffle(jobs)
    return jobs


async def serve(stand_in: StandIn) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post(f"/bot{TOKEN}/sendMessage", stand_in.send_message)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def bot_for(base: str) -> Bot:
    return Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(base)))


class NoPhones:
    async def phone_of(self, customer_id: str) -> None:
        return None

    async def phone_of_lead(self, lead_id: str) -> None:
        return None


def outbox_on(redis: Redis) -> SaqOutbox:
    return SaqOutbox(redis, SystemClock(), DeliveryRecord(redis))


async def our_worker(base: str, redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    bot = bot_for(base)
    outbox = outbox_on(redis)
    limiter = SendRateLimiter(redis, LIMIT_PER_SECOND, int(CHAT_INTERVAL * 1000))
    metrics = WorkerMetrics()
    sender = Sender(bot, RecordingSmsSender(), limiter, outbox.record, NoPhones(), metrics)
    delivery = OutboundDelivery(outbox, sender, DeadLetters(redis), SystemClock(), metrics)
    stop = asyncio.Event()

    async def stop_when_told() -> None:
        while not await redis.exists(STOP_KEY):
            await asyncio.sleep(0.2)
        stop.set()

    await asyncio.gather(delivery.serve(stop, Heartbeats(), CONCURRENCY), stop_when_told())
    await bot.session.close()
    await redis.aclose()


def run_our_worker(base: str, redis_url: str) -> None:
    asyncio.run(our_worker(base, redis_url))


async def naive(base: str, jobs: list[tuple[int, str]]) -> None:
    bot = bot_for(base)
    for chat, text in jobs:
        while True:
            try:
                await bot.send_message(chat, text)
                break
            except TelegramRetryAfter as error:
                await asyncio.sleep(error.retry_after)
        await asyncio.sleep(1 / LIMIT_PER_SECOND)
    await bot.session.close()


async def measure_ours(jobs: list[tuple[int, str]], redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    await redis.flushdb()
    outbox = outbox_on(redis)
    for chat, text in jobs:
        key = f"reminder:{text.removeprefix('reminder ')}"
        await outbox.enqueue(OutgoingMessage(key, chat, text, priority=Priority.BULK))
    stand_in = StandIn()
    runner, base = await serve(stand_in)
    started = time.monotonic()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=run_our_worker, args=(base, redis_url)) for _ in range(2)]
    for worker in workers:
        worker.start()
    while len(stand_in.delivered) < len(jobs) and all(w.is_alive() for w in workers):
        await asyncio.sleep(0.2)
    elapsed = time.monotonic() - started
    await asyncio.sleep(2)  # anything sent twice would arrive by now
    await redis.set(STOP_KEY, 1)
    for worker in workers:
        worker.join()
    stand_in.report("ours", len(jobs), elapsed)
    await runner.cleanup()
    await redis.flushdb()
    await redis.aclose()


async def measure_naive(jobs: list[tuple[int, str]]) -> None:
    stand_in = StandIn()
    runner, base = await serve(stand_in)
    started = time.monotonic()
    await naive(base, jobs)
    stand_in.report("naive", len(jobs), time.monotonic() - started)
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reminders", type=int, default=1800)
    parser.add_argument("--chats", type=int, default=450)
    arguments = parser.parse_args()
    redis_url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    jobs = reminders(arguments.reminders, arguments.chats)
    print(
        f"{arguments.reminders} reminders to {arguments.chats} chats; limit "
        f"{LIMIT_PER_SECOND}/s overall and 1/s per chat (the issue's full size: "
        "--reminders 20000 --chats 5000)"
    )
    asyncio.run(measure_ours(jobs, redis_url))
    asyncio.run(measure_naive(jobs))


if __name__ == "__main__":
    main()
