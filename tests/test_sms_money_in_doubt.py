"""The same truth by plain SMS: a transfer confirmed by SMS whose bank answer is lost (a real
proxy drops it) is "checking", QX and a new command are refused, a lookup while the bank is
down still says "checking", and the background resolver texts the receipt: one posting."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path

import pytest
from bank.lossy_proxy import Fault
from money_world import (
    POSTED,
    STATUS,
    TRANSFER,
    MoneyWorld,
    assert_checking,
    latest_code,
    money_world,
)
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.background import local_background
from bot.clock import SimulatedClock
from bot.config import Settings
from bot.demo.driver import ChatUser
from bot.local_session import LocalSession
from bot.services.money_store import LOCK_MILLISECONDS
from bot.sms_channel import SmsCommandChannel
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import seed
from integrations.sms.inbound import InboundSms
from integrations.sms.outbound import RecordingSmsSender
from tests.support.redis_process import RedisProcess

PHONE = seed.MERCHANT_PHONE
MERCHANT = ChatUser("merchant", seed.MERCHANT_CHAT_USER_ID, "Mei", "en", PHONE)
# (locale, transfer, confirm, cancel): English and Chinese words choose the language; the
# pinyin ones answer in the language the customer last used (Russian here)
WORDS = [
    ("en", "TRF", "OK", "CANCEL"),
    ("zh_Hans", "转账", "确认", "取消"),
    ("ru", "ZZ", "QR", "QX"),
]


class Texting:
    """The merchant's phone: sends to the SMS channel, reads what came back since."""

    def __init__(self, world: MoneyWorld) -> None:
        self.channel = SmsCommandChannel(
            world.engine, world.replies, world.i18n, world.app.settings
        )
        self.replies = world.replies
        self.ids = count(1)

    async def send(self, text: str) -> str:
        seen = len(self.replies.messages_to(PHONE))
        await self.channel(InboundSms(PHONE.removeprefix("+"), "95588", text, f"m{next(self.ids)}"))
        return " ".join(self.replies.messages_to(PHONE)[seen:])  # the segments, as one text


@pytest.mark.parametrize(("locale", "transfer", "confirm", "cancel"), WORDS)
async def test_a_lost_answer_by_sms_is_checking_then_the_receipt_by_sms(
    world: MoneyWorld,
    sms: RecordingSmsSender,
    clock: SimulatedClock,
    locale: str,
    transfer: str,
    confirm: str,
    cancel: str,
) -> None:
    await world.engine.store.remember_locale(await world.merchant_id(), locale)
    phone = Texting(world)
    before, posted = await world.balance(), await world.transfers_out()
    assert "张三" in await phone.send(f"{transfer} 张三 100")
    world.proxy.fault(TRANSFER, Fault.DROP_ANSWER)
    world.proxy.fault(STATUS, Fault.DROP_ANSWER)

    assert_checking(await phone.send(f"{confirm} {latest_code(sms)}"), locale)
    assert_checking(await phone.send(cancel), locale)
    assert_checking(await phone.send(f"{transfer} 张三 100"), locale)
    world.proxy.fault("*", Fault.DROP_REQUEST)  # now not even who the customer is
    assert_checking(await phone.send(cancel), locale)
    assert await world.balance() == before - Decimal("100")

    world.heal()
    shown = len(world.driver.seen(MERCHANT))
    assert await world.work_until(clock.now() + timedelta(minutes=2)) == 1
    receipt = " ".join(world.replies.messages_to(PHONE)[-2:])
    assert POSTED[locale] in receipt and "张三 ****1234" in receipt
    assert len(world.driver.seen(MERCHANT)) == shown  # an SMS customer: news by SMS
    assert await world.transfers_out() == posted + 1
    assert await world.balance() == before - Decimal("100")


async def test_the_bank_down_at_the_phone_lookup_is_said_by_sms(world: MoneyWorld) -> None:
    world.proxy.fault("*", Fault.DROP_REQUEST)
    reply = await Texting(world).send("BAL")
    assert "The bank is not answering right now" in reply


class GatewayThenRedisStops(RecordingSmsSender):
    """The SMS gateway; Redis stops the moment the first receipt has gone out, so the worker
    that sent it dies before it can note anything more."""

    def __init__(self, server: RedisProcess) -> None:
        super().__init__()
        self.server = server
        self.armed = False

    async def send(self, phone: str, text: str) -> None:
        await super().send(phone, text)
        if self.armed and POSTED["en"] in text:
            self.armed = False
            self.server.stop()


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_the_receipt_of_an_sms_command_is_texted_once_across_a_restart_and_two_workers(
    own_redis: RedisProcess,
    settings: Settings,
    bank: BankAdapter,
    clock: SimulatedClock,
    session: LocalSession,
    sms: RecordingSmsSender,
) -> None:
    redis = Redis.from_url(own_redis.url())
    gateway = GatewayThenRedisStops(own_redis)
    async with money_world(settings, redis, bank, clock, session, gateway) as world:
        await world.engine.store.remember_locale(await world.merchant_id(), "en")
        phone, posted = Texting(world), await world.transfers_out()
        await phone.send("TRF 张三 100")
        world.proxy.fault(TRANSFER, Fault.DROP_ANSWER)
        world.proxy.fault(STATUS, Fault.DROP_ANSWER)
        assert_checking(await phone.send(f"OK {latest_code(sms)}"), "en")
        world.heal()
        later = clock.now() + timedelta(minutes=2)

        gateway.armed = True
        with pytest.raises(RedisError):
            await world.work_until(later)
        assert not gateway.armed  # the receipt went out, then Redis stopped
        own_redis.start()
        await asyncio.sleep(LOCK_MILLISECONDS / 1000)  # what the dead worker held has expired
        second = local_background(world.app.services, session, gateway, "42:TEST")
        await asyncio.gather(world.work_until(later), second.run_once(later))
        await asyncio.gather(world.work_until(later), second.run_once(later))

        receipts = [text for text in gateway.messages_to(PHONE) if POSTED["en"] in text]
        assert len(receipts) == 1, receipts
        assert await world.transfers_out() == posted + 1
    await redis.aclose()
