"""Applying while the bank is down: the real HTTP adapter against the real REST server,
which the test stops and starts again on the same port, so the bank is really unreachable.

The slow journey (about two and a half minutes) is the only slow test: the bank is away
for two minutes around a Submit, and the lead must reach it once, seconds after it is back.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from redis.asyncio import Redis
from test_application_journeys import answer_all, start_application, texts

from bot.background import local_background
from bot.clock import SimulatedClock
from bot.config import Settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App, Outside, build_bot, build_dispatcher, build_storage
from bot.local_session import LocalSession
from bot.redis_keys import LEAD_OUTBOX
from bot.services.lead_outbox import LeadDelivery
from bot.supervision import supervise
from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.protocol import BankAdapter
from integrations.bank.resilience import RetryPolicy
from integrations.bank.rest_server import create_app
from integrations.bank.sandbox import SandboxBank
from integrations.bank.sandbox.context import Context
from integrations.sms.outbound import RecordingSmsSender

TOKEN = "outage-token"
CHEN = ChatUser("chen", 5201, "陈", "zh-hans", "+8613880000201")
BEN = ChatUser("ben", 5202, "Ben", "en", "+8618980000202")
IVAN = ChatUser("ivan", 5203, "Иван", "ru", "+8613880000203")
WAITING = {
    CHEN.user_id: "银行恢复后会立即转给客户经理",
    BEN.user_id: "will reach a loan officer as soon as the bank is back",
    IVAN.user_id: "попадёт к кредитному специалисту, как только банк снова заработает",
}
NOT_ANSWERING = {
    CHEN.user_id: "银行暂时没有响应。请几分钟后再试",
    BEN.user_id: "The bank is not answering at the moment. Please try again in a few minutes",
    IVAN.user_id: "Банк сейчас не отвечает. Попробуйте ещё раз через несколько минут",
}
APOLOGY = ("Sorry, something went wrong", "抱歉，我们这边出了点问题", "у нас что-то пошло не так")


class RestBank:
    """`sandbox serve`'s app in this event loop, stopped and started again on one port."""

    def __init__(self, bank: BankAdapter) -> None:
        self.bank = bank
        self.port = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        runner = web.AppRunner(create_app(self.bank, TOKEN), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def adapter(self) -> HttpBankAdapter:
        """A client as the bot or a worker process has one: its own pool and breaker."""
        return HttpBankAdapter(self.url, TOKEN, retry=RetryPolicy(base_delay=0.05))


@dataclass
class Outage:
    rest: RestBank
    app: App
    driver: ChatDriver
    settings: Settings


@pytest.fixture
async def outage(
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    clock: SimulatedClock,
    session: LocalSession,
    sms: RecordingSmsSender,
) -> AsyncIterator[Outage]:
    rest = RestBank(bank)
    await rest.start()
    adapter = rest.adapter()
    app = build_dispatcher(settings, redis, build_storage(redis, settings), Outside(adapter, clock))
    bot = build_bot("42:TEST", settings, app.storage, session=session)
    outbound = local_background(app.services, session, sms, "42:TEST").outbound
    driver = ChatDriver(app.dispatcher, bot, session, settle=lambda: outbound.run_due(clock.now()))
    yield Outage(rest, app, driver, settings)
    await bot.session.close()
    await adapter.aclose()
    await rest.stop()


def leads_of(bank: BankAdapter, phone: str) -> int:
    assert isinstance(bank, SandboxBank)

    def count(connection: sqlite3.Connection, _context: Context) -> int:
        row = connection.execute("SELECT count(*) FROM leads WHERE phone = ?", (phone,))
        return int(row.fetchone()[0])

    return bank.run_blocking(count)


@pytest.mark.parametrize("user", [CHEN, BEN, IVAN], ids=["zh_Hans", "en", "ru"])
async def test_a_bank_never_reached_gets_a_clear_answer_not_an_apology(
    outage: Outage, user: ChatUser
) -> None:
    await outage.rest.stop()
    await outage.driver.send(user, "/apply")
    shown = texts(outage.driver, user)
    assert NOT_ANSWERING[user.user_id] in shown
    assert not any(apology in shown for apology in APOLOGY)


@pytest.mark.parametrize("user", [CHEN, BEN, IVAN], ids=["zh_Hans", "en", "ru"])
async def test_submit_while_the_bank_is_down_is_saved_and_said_so(
    outage: Outage, bank: BankAdapter, user: ChatUser
) -> None:
    driver = outage.driver
    await driver.send(user, "/calc")  # the bank answers once: the reference data is cached
    await outage.rest.stop()
    await start_application(driver, user)
    await answer_all(driver, user)
    await driver.press(user, "#7")  # submit
    assert WAITING[user.user_id] in driver.last(user).text
    assert not any(apology in texts(driver, user) for apology in APOLOGY)
    assert leads_of(bank, user.phone) == 0


async def test_the_bank_down_two_minutes_around_submit_gets_the_lead_once_seconds_after(
    outage: Outage, bank: BankAdapter, redis: Redis
) -> None:
    driver, user = outage.driver, BEN
    await driver.send(user, "/apply")  # the bank answers: the reference data is cached
    worker_bank = outage.rest.adapter()  # the worker process, with its own breaker
    delivery = LeadDelivery(redis, worker_bank, consumer="worker-1")
    messenger = outage.app.services.lead_messenger
    stop = asyncio.Event()
    worker = asyncio.create_task(
        supervise("lead-delivery", lambda: delivery.run(messenger, stop), stop)
    )
    try:
        await outage.rest.stop()
        down_since = time.monotonic()
        await asyncio.sleep(65)  # the cached copy is stale now; its refresh fails
        await driver.press(user, "#1")  # agree
        await driver.press(user, "📱")
        await answer_all(driver, user)
        await driver.press(user, "#7")  # submit
        assert "will reach a loan officer as soon as the bank is back" in driver.last(user).text
        assert "Reference number" not in texts(driver, user)
        await asyncio.sleep(max(0.0, 120 - (time.monotonic() - down_since)))
        assert leads_of(bank, user.phone) == 0
        await outage.rest.start()
        back_at = time.monotonic()
        await driver.settle_until(lambda: "Reference number" in texts(driver, user), timeout=45)
        delay = time.monotonic() - back_at
        print(f"\nlead reached the bank {delay:.1f} s after it was back")
        await asyncio.sleep(3)  # the worker keeps running: nothing goes twice
    finally:
        stop.set()
        await worker
        await worker_bank.aclose()
    assert leads_of(bank, user.phone) == 1
    assert texts(driver, user).count("Reference number") == 1
    assert await redis.xlen(LEAD_OUTBOX.stream) == 0


async def test_forget_while_the_bank_is_down_deletes_nothing_and_says_so(outage: Outage) -> None:
    driver, user = outage.driver, CHEN
    await start_application(driver, user)
    await driver.send(user, "陈小梅")
    await outage.rest.stop()
    await driver.send(user, "/forget")
    await driver.press(user, "🗑")
    assert NOT_ANSWERING[user.user_id] in driver.last(user).text
    await driver.send(user, "/apply")
    await driver.press(user, "#1")  # continue: the answers are still there
    assert "3/20" in driver.last(user).text
