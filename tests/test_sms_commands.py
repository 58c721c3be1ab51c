"""Money commands over plain SMS: the inbound webhook (HMAC or basic auth, JSON or form),
the same engine and confirmation flow as the chat, replies split into SMS segments in the
customer's language, and the same inbound SMS delivered twice acting once."""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr
from redis.asyncio import Redis

from bot.factory import App
from bot.redis_keys import SMS
from bot.services.money_commands import MoneyCommandEngine
from bot.sms_channel import SmsCommandChannel, e164, sms_auth
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import seed
from integrations.sms.inbound import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SmsAuth,
    build_sms_app,
    sign,
)
from integrations.sms.outbound import RecordingSmsSender
from integrations.sms.segments import split_segments

SECRET = "gateway-secret"
PHONE = seed.MERCHANT_PHONE


def signed(body: bytes, sent_at: float | None = None, secret: str = SECRET) -> dict[str, str]:
    """The headers a gateway sends with a JSON body: the time and the HMAC over both."""
    timestamp = str(int(time.time() if sent_at is None else sent_at))
    return {
        "Content-Type": "application/json",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: "sha256=" + sign(secret, timestamp, body),
    }


@pytest.fixture
async def gateway(app: App, redis: Redis, sms: RecordingSmsSender) -> AsyncIterator[TestClient]:
    engine: MoneyCommandEngine = app.services.money_commands
    channel = SmsCommandChannel(engine, sms, app.i18n, app.settings)
    web_app = build_sms_app(channel, redis, SmsAuth(hmac_secret=SECRET), SMS.seen)
    async with TestClient(TestServer(web_app)) as client:
        yield client


class Phone:
    def __init__(self, client: TestClient, sms: RecordingSmsSender, number: str = PHONE) -> None:
        self.client = client
        self.sms = sms
        self.number = number
        self.sent = 0

    async def text(self, body: str, message_id: str | None = None) -> int:
        self.sent += 1
        payload = json.dumps(
            {
                "from": self.number.removeprefix("+"),
                "to": "95588",
                "text": body,
                "message_id": message_id or f"m-{self.number}-{self.sent}",
            }
        ).encode()
        response = await self.client.post("/inbound", data=payload, headers=signed(payload))
        return response.status

    def inbox(self) -> list[str]:
        return self.sms.messages_to(self.number)

    def last(self) -> str:
        return self.inbox()[-1]

    def code(self) -> str:
        found = next(m for m in reversed(self.inbox()) if "验证码" in m and "【" in m)
        match = re.search(r"[0-9]{6}", found)
        assert match
        return match.group()


async def balance(bank: BankAdapter) -> Decimal:
    customer = await bank.find_customer_by_phone(PHONE)
    return (await bank.list_accounts(customer.id))[0].available_balance


async def test_transfer_by_sms_in_chinese(
    gateway: TestClient, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    phone = Phone(gateway, sms)
    before = await balance(bank)
    assert await phone.text("转账 张三 100") == 200
    preview = "".join(phone.inbox()[-3:])
    assert "请核对" in preview and "张三" in preview
    assert all(len(message) <= 70 for message in phone.inbox())
    await phone.text(f"QR {phone.code()}")
    assert "交易完成" in "".join(phone.inbox()[-3:])
    assert await balance(bank) == before - Decimal("100")


async def test_money_by_sms_is_written_as_in_the_chat(
    gateway: TestClient, sms: RecordingSmsSender
) -> None:
    phone = Phone(gateway, sms)
    assert await phone.text("转账 张三 3000") == 200
    texts = "".join(phone.inbox())
    assert "¥3,000.00" in texts and "3000.00" not in texts  # the preview and the bank's code
    await phone.text("QX")
    before = len(phone.inbox())
    await phone.text("TRF 张三 3000")
    assert "Amount: CN¥3,000.00" in "".join(phone.inbox()[before:])


async def test_queries_by_sms_in_english(gateway: TestClient, sms: RecordingSmsSender) -> None:
    phone = Phone(gateway, sms)
    await phone.text("BAL")
    assert phone.last().startswith("Balances:")
    await phone.text("LOAN")
    assert "Next payment" in "".join(phone.inbox()[-2:])
    await phone.text("HELP ZZ")
    assert "Example: ZZ 张三 100" in "".join(phone.inbox()[-2:])
    await phone.text("STMT 1234 0")
    assert "Ask for 1 to 20 transactions" in "".join(phone.inbox()[-2:])
    before = len(phone.inbox())
    await phone.text("STMT 3")
    statement = "".join(phone.inbox()[before:])
    assert "−CN¥236.50 Bill" in statement and "-CN¥" not in statement  # as in the chat


async def test_the_same_sms_delivered_twice_acts_once(
    gateway: TestClient, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    phone = Phone(gateway, sms)
    before = await balance(bank)
    await phone.text("ZZ 张三 100", message_id="gw-1")
    code = phone.code()
    assert await phone.text(f"QR {code}", message_id="gw-2") == 200
    replies = len(phone.inbox())
    assert await phone.text(f"QR {code}", message_id="gw-2") == 200
    assert len(phone.inbox()) == replies
    assert await balance(bank) == before - Decimal("100")


async def test_wrong_codes_by_sms_lock_money_commands(
    gateway: TestClient, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    phone = Phone(gateway, sms)
    await phone.text("ZZ 张三 100")
    code = phone.code()
    bad = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        await phone.text(f"QR {bad}")
    assert "锁定 30 分钟" in phone.last()
    await phone.text("CZ 10")
    assert "锁定 30 分钟" in phone.last()


async def test_an_unknown_number_is_told_it_is_not_registered(
    gateway: TestClient, sms: RecordingSmsSender
) -> None:
    stranger = Phone(gateway, sms, number=seed.NEWCOMER_PHONE)
    await stranger.text("YE")
    assert stranger.inbox() == ["该号码未开通短信银行服务。"]


async def test_bad_signature_and_bad_bodies_are_refused(gateway: TestClient) -> None:
    payload = b'{"from": "8613800000001", "to": "1", "text": "YE", "message_id": "x"}'
    headers = {"Content-Type": "application/json"}
    assert (await gateway.post("/inbound", data=payload, headers=headers)).status == 401
    wrong_secret = signed(payload, secret="wrong")
    assert (await gateway.post("/inbound", data=payload, headers=wrong_secret)).status == 401
    unsigned_time = {**signed(payload), TIMESTAMP_HEADER: str(int(time.time()) - 1)}
    assert (await gateway.post("/inbound", data=payload, headers=unsigned_time)).status == 401
    untimed = signed(payload)
    del untimed[TIMESTAMP_HEADER]
    response = await gateway.post("/inbound", data=payload, headers=untimed)
    assert response.status == 401
    assert "X-Sms-Timestamp" in (await response.json())["error"]
    huge_time = {**signed(payload), TIMESTAMP_HEADER: "9" * 5000}
    assert (await gateway.post("/inbound", data=payload, headers=huge_time)).status == 401
    body = b'{"from": "8613800000001"}'
    response = await gateway.post("/inbound", data=body, headers=signed(body))
    assert response.status == 400
    assert "missing recipient, text, message_id" in (await response.json())["error"]
    nested = b"[" * 10_000 + b"]" * 10_000
    response = await gateway.post("/inbound", data=nested[:16_000], headers=signed(nested[:16_000]))
    assert response.status == 400


async def test_a_correctly_signed_old_or_future_message_is_refused_and_nothing_is_done(
    gateway: TestClient, sms: RecordingSmsSender
) -> None:
    payload = json.dumps(
        {"from": PHONE, "to": "95588", "text": "YE", "message_id": "old-1"}
    ).encode()
    for sent_at, reason in (
        (1_577_836_800, "stale: sent more than 300 s ago"),  # 2020-01-01
        (time.time() - 301, "stale: sent more than 300 s ago"),
        (time.time() + 3600, "stale: the timestamp is in the future"),
    ):
        response = await gateway.post("/inbound", data=payload, headers=signed(payload, sent_at))
        assert response.status == 403
        assert (await response.json())["error"] == reason
    assert sms.messages_to(PHONE) == []
    # the same message, fresh: accepted once (its id was not spent by the refusals)
    fresh = signed(payload, time.time() - 200)
    assert (await gateway.post("/inbound", data=payload, headers=fresh)).status == 200
    assert len(sms.messages_to(PHONE)) == 1


async def test_a_replay_inside_the_window_is_a_duplicate_and_the_memory_outlasts_it(
    gateway: TestClient, sms: RecordingSmsSender, redis: Redis
) -> None:
    payload = json.dumps(
        {"from": PHONE, "to": "95588", "text": "YE", "message_id": "gw-replay"}
    ).encode()
    headers = signed(payload)
    assert (await gateway.post("/inbound", data=payload, headers=headers)).status == 200
    replay = await gateway.post("/inbound", data=payload, headers=headers)
    assert (replay.status, (await replay.json())["status"]) == (200, "duplicate")
    assert len(sms.messages_to(PHONE)) == 1
    assert await redis.ttl(SMS.seen("gw-replay")) > 2 * 300


async def test_the_window_is_configurable(app: App, redis: Redis, sms: RecordingSmsSender) -> None:
    configured = app.settings.model_copy(
        update={"sms_hmac_secret": SecretStr(SECRET), "sms_max_age_seconds": 30}
    )
    auth = sms_auth(configured)
    assert auth is not None
    engine: MoneyCommandEngine = app.services.money_commands
    channel = SmsCommandChannel(engine, sms, app.i18n, app.settings)
    payload = json.dumps({"from": PHONE, "to": "9", "text": "YE", "message_id": "w-1"}).encode()
    async with TestClient(TestServer(build_sms_app(channel, redis, auth, SMS.seen))) as client:
        late = await client.post(
            "/inbound", data=payload, headers=signed(payload, time.time() - 60)
        )
        assert late.status == 403
        assert (await late.json())["error"] == "stale: sent more than 30 s ago"


async def test_form_posts_with_basic_auth(app: App, redis: Redis, sms: RecordingSmsSender) -> None:
    engine: MoneyCommandEngine = app.services.money_commands
    channel = SmsCommandChannel(engine, sms, app.i18n, app.settings)
    auth = SmsAuth(basic_user="gw", basic_password="pw")
    async with TestClient(TestServer(build_sms_app(channel, redis, auth, SMS.seen))) as client:
        form = {"sender": PHONE, "recipient": "95588", "text": "余额", "id": "f-1"}
        wrong = "Basic " + base64.b64encode(b"gw:nope").decode()
        refused = await client.post("/inbound", data=form, headers={"Authorization": wrong})
        assert refused.status == 401
        right = "Basic " + base64.b64encode(b"gw:pw").decode()
        old = {**form, "id": "f-0", "timestamp": "1577836800"}  # the body's own time, 2020
        stale = await client.post("/inbound", data=old, headers={"Authorization": right})
        assert stale.status == 403
        accepted = await client.post("/inbound", data=form, headers={"Authorization": right})
        assert accepted.status == 200
    assert len(sms.messages_to(PHONE)) == 1
    assert sms.messages_to(PHONE)[-1].startswith("余额：")


def test_segments_fit_the_alphabet() -> None:
    chinese = "请核对：转账给张三（****1234），金额¥100.00。" * 5
    parts = split_segments(chinese)
    assert all(len(part) <= 70 for part in parts) and "".join(parts) == chinese
    latin = "Balances: " + "x" * 300
    assert [len(part) for part in split_segments(latin)] == [160, 150]
    assert split_segments("a " * 100)[0].endswith("a")
    assert split_segments("   ") == []


@pytest.mark.parametrize(
    ("given", "expected"),
    [("+8613800000001", "+8613800000001"), ("8613800000001", "+8613800000001"),
     ("13800000001", "+8613800000001")],
)  # fmt: skip
def test_sender_numbers_become_e164(given: str, expected: str) -> None:
    assert e164(given) == expected
