"""Redis round trips per outgoing message on the send path, counted at the socket.

Each `send_packed_command` of redis-py is one request to Redis (a pipeline or a script is
one); counted for queueing a message and for delivering it through `OutboundDelivery`
(take, the Sender, settling the job): a new card, then an edit of it to a next revision.

Usage: PYTHONPATH=$PWD .venv/bin/python bench/bench_round_trips.py [--messages 200]
Redis: BOT_BENCH_REDIS_URL (default redis://127.0.0.1:6379/10, flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from redis.asyncio import Redis
from redis.asyncio.connection import Connection

from bot.clock import SystemClock
from bot.config import Settings
from bot.factory import Outside, build_bank, build_bot, build_delivery, build_services
from bot.local_session import LocalSession
from bot.reminder_config import ReminderSettings
from bot.services.outbound import OutgoingMessage, Priority
from integrations.sms.outbound import RecordingSmsSender

BUTTON = InlineKeyboardButton(text="Claim", callback_data="lead:claim:LD0000001")
COUNTS: Counter[str] = Counter()
PHASE = ["idle"]
_send = Connection.send_packed_command


async def counted(self: Connection, command: Any, check_health: bool = True) -> None:
    COUNTS[PHASE[0]] += 1
    await _send(self, command, check_health)


Connection.send_packed_command = counted  # type: ignore[method-assign]


async def main(messages: int) -> None:
    url = os.environ.get("BOT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
    redis = Redis.from_url(url)
    await redis.flushdb()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(_env_file=None, redis_url=url, sandbox_db=Path(tmp) / "s.db")  # type: ignore[call-arg]
        clock, sms = SystemClock(), RecordingSmsSender()
        bank = build_bank(settings, clock, sms)
        config = ReminderSettings(_env_file=None, chat_interval_ms=0, paid_broadcast=True)  # type: ignore[call-arg]
        services = build_services(settings, redis, Outside(bank, clock), config)
        bot = build_bot("42:BENCH", settings, None, LocalSession(), answers_users=False)
        delivery = build_delivery(services, bot, sms)
        for revision in (0, 1):
            what = "new card" if revision == 0 else "edit"
            batch = [
                OutgoingMessage(
                    key=f"card:{n}:{revision}",
                    chat_id=40_000 + n,
                    text=f"card {n} revision {revision}",
                    markup=InlineKeyboardMarkup(inline_keyboard=[[BUTTON, BUTTON]]),
                    replaces=f"card:{n}:0" if revision else None,
                    revision=revision,
                    priority=Priority.URGENT,
                )
                for n in range(messages)
            ]
            PHASE[0] = f"{what}: queue"
            for message in batch:
                assert await services.outbox.enqueue(message)
            PHASE[0] = f"{what}: deliver"
            assert await delivery.run_due(clock.now()) == messages
            PHASE[0] = "idle"
        await bot.session.close()
        await bank.aclose()
    await redis.flushdb()
    await redis.aclose()
    for phase, count in COUNTS.items():
        if phase != "idle":
            print(f"{phase:<20} {count / messages:5.1f} round trips per message")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    asyncio.run(main(parser.parse_args().messages))
