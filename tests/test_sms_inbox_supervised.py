"""The SMS inbox's consumer survives Redis going away (a real redis-server, stopped and
started again): /healthz hears of it, and texts are answered again once Redis is back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from bot.config import Settings
from bot.factory import App, build_redis
from bot.redis_keys import SMS_INBOX
from bot.sms_channel import SmsCommandChannel, SmsInbox
from bot.supervision import Heartbeats
from integrations.bank.sandbox import seed
from integrations.sms.inbound import InboundSms
from integrations.sms.outbound import RecordingSmsSender
from tests.support.redis_process import RedisProcess


def balance_text(message_id: str) -> InboundSms:
    return InboundSms(seed.MERCHANT_PHONE, "10690000", "BAL", message_id)


async def until(condition: Callable[[], object], timeout: float = 20) -> None:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"condition not met within {timeout}s")


async def test_the_inbox_resumes_by_itself_after_redis_comes_back(
    app: App, settings: Settings, tmp_path: Path
) -> None:
    server = RedisProcess(tmp_path)
    server.start()
    redis = build_redis(server.url())
    replies = RecordingSmsSender()
    engine = app.services.money_commands
    inbox = SmsInbox(redis, SmsCommandChannel(engine, replies, app.i18n, settings), "web-1")
    heartbeats = Heartbeats()
    stop = asyncio.Event()
    serving = asyncio.create_task(inbox.serve(stop, heartbeats))
    try:
        await inbox.accept(balance_text("m-1"))
        await until(lambda: len(replies.messages_to(seed.MERCHANT_PHONE)) == 1)

        server.stop()
        await until(lambda: f"{SMS_INBOX.stream}: ConnectionError" in str(heartbeats.problems()))
        server.start()
        await inbox.accept(balance_text("m-2"))
        await until(lambda: len(replies.messages_to(seed.MERCHANT_PHONE)) == 2)
        await until(lambda: heartbeats.problems() == [])
        assert "****" in replies.messages_to(seed.MERCHANT_PHONE)[1]
    finally:
        stop.set()
        await serving
        await redis.aclose()
        server.stop()
