"""Inbound texts are queued in Redis before the gateway is answered, and survive a crash."""

from __future__ import annotations

import asyncio
import json

from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.config import Settings
from bot.factory import App
from bot.redis_keys import SMS_INBOX
from bot.sms_channel import SmsCommandChannel, SmsInbox, sms_auth
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender
from tests.test_sms_commands import signed

SECRET = "gateway-secret"


async def test_a_text_is_queued_first_and_answered_by_a_consumer(
    app: App, redis: Redis, settings: Settings
) -> None:
    configured = settings.model_copy(update={"sms_hmac_secret": SecretStr(SECRET)})
    auth = sms_auth(configured)
    assert auth is not None
    replies = RecordingSmsSender()
    channel = SmsCommandChannel(app.services.money_commands, replies, app.i18n, configured)
    inbox = SmsInbox(redis, channel, consumer="web-1")
    message = {
        "sender": seed.MERCHANT_PHONE,
        "recipient": "10690000",
        "text": "BAL",
        "message_id": "m-1",
    }
    body = json.dumps(message).encode()
    async with TestClient(TestServer(inbox.web_app(redis, auth))) as client:
        response = await client.post(
            "/inbound",
            data=body,
            headers=signed(body, secret=SECRET),
        )
        assert response.status == 200
    assert await redis.xlen(SMS_INBOX.stream) == 1
    assert replies.messages_to(seed.MERCHANT_PHONE) == []  # nothing handled yet: only queued

    stop = asyncio.Event()
    serving = asyncio.create_task(inbox.serve(stop))
    for _ in range(100):
        if replies.messages_to(seed.MERCHANT_PHONE):
            break
        await asyncio.sleep(0.02)
    stop.set()
    await serving
    assert "****" in replies.messages_to(seed.MERCHANT_PHONE)[0]
    assert await redis.xlen(SMS_INBOX.stream) == 0
