"""The bot talking to the bank over HTTP through a lossy proxy: the sandbox behind the real
REST server, the HTTP adapter in front, the real Dispatcher on top."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from aiogram.utils.i18n import I18n
from bank.lossy_proxy import LossyProxy
from bank.support import TOKEN, ServerThread
from redis.asyncio import Redis

from bot.background import Background, local_background
from bot.clock import SimulatedClock
from bot.config import Settings
from bot.demo.driver import ChatDriver
from bot.factory import App, Outside, build_bot, build_dispatcher, build_storage
from bot.local_session import LocalSession
from bot.money_notices import build_in_doubt_resolver
from bot.pipeline.outbox import SaqOutbox
from bot.services.money_commands import MoneyCommandEngine
from bot.services.money_settlement import InDoubtResolver
from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.models import TransactionKind
from integrations.bank.protocol import BankAdapter
from integrations.bank.resilience import CircuitBreaker, RetryPolicy
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender

CHECKING = {
    "zh_Hans": "银行尚未确认转账给 张三（****1234） ¥100.00。我们正在向银行核实",
    "en": "The bank has not confirmed Transfer to 张三 (****1234) CN¥100.00 yet. We are checking",
    "ru": "Банк ещё не подтвердил операцию: Перевод",
}
POSTED = {"zh_Hans": "银行已确认：交易完成。", "en": "The bank has confirmed it: done.",
          "ru": "Банк подтвердил: готово."}  # fmt: skip
NOT_POSTED = {"zh_Hans": "未入账：没有扣款。", "en": "was not posted: no money was taken.",
              "ru": "Деньги не списаны."}  # fmt: skip
UNTRUE_WHILE_IN_DOUBT = [
    "no money", "没有扣款", "未发生任何扣款", "не списаны", "не отправлены", "Nothing was sent",
    "not answering", "已取消", "Cancelled", "Отменено",
]  # fmt: skip
TRANSFER, STATUS = "POST /v1/transfers", "POST /v1/operations/status"


class BreakerClock:
    """The breaker's monotonic clock, moved by the test (its 30 s cool-down)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self) -> float:
        return self.seconds


@dataclass
class MoneyWorld:
    app: App
    driver: ChatDriver
    bank: BankAdapter  # the sandbox itself: the bank's own word, not through the proxy
    proxy: LossyProxy
    breaker_clock: BreakerClock
    background: Background  # the worker's outbound delivery, to the same chats
    replies: RecordingSmsSender  # what the SMS channel and its notices text back
    resolver: InDoubtResolver = field(init=False)

    def __post_init__(self) -> None:
        self.resolver = build_in_doubt_resolver(
            self.engine, self.outbox, self.app.i18n, self.app.settings
        )

    @property
    def outbox(self) -> SaqOutbox:
        return self.app.services.outbox

    async def work_until(self, now: datetime) -> int:
        """One worker pass: the resolver, then the delivery of what it queued."""
        settled = await self.resolver.run_once(now)
        await self.background.outbound.run_due(now)
        return settled

    @property
    def engine(self) -> MoneyCommandEngine:
        engine: MoneyCommandEngine = self.app.services.money_commands
        return engine

    @property
    def i18n(self) -> I18n:
        return self.app.i18n

    def heal(self) -> None:
        """Answers get through again, and the breaker's cool-down has passed."""
        self.proxy.heal()
        self.breaker_clock.seconds += 31

    async def balance(self) -> Decimal:
        accounts = await self.bank.list_accounts(await self.merchant_id())
        return accounts[0].available_balance

    async def transfers_out(self) -> int:
        customer_id = await self.merchant_id()
        accounts = await self.bank.list_accounts(customer_id)
        page = await self.bank.list_transactions(customer_id, accounts[0].id, limit=50)
        return sum(1 for item in page.items if item.kind is TransactionKind.TRANSFER_OUT)

    async def merchant_id(self) -> str:
        return (await self.bank.find_customer_by_phone(seed.MERCHANT_PHONE)).id


@asynccontextmanager
async def money_world(
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    clock: SimulatedClock,
    session: LocalSession,
    replies: RecordingSmsSender | None = None,
) -> AsyncIterator[MoneyWorld]:
    """`replies`: the SMS gateway the SMS channel and the worker's Sender text through."""
    breaker_clock = BreakerClock()
    with ServerThread(bank) as server:
        async with LossyProxy(server.url) as proxy:
            adapter = HttpBankAdapter(
                proxy.url,
                TOKEN,
                retry=RetryPolicy(base_delay=0.01),
                breaker=CircuitBreaker(monotonic=breaker_clock),
            )
            app = build_dispatcher(
                settings, redis, build_storage(redis, settings), Outside(adapter, clock)
            )
            bot = build_bot("42:TEST", settings, app.storage, session=session)
            driver = ChatDriver(app.dispatcher, bot, session)
            replies = replies or RecordingSmsSender()
            background = local_background(app.services, session, replies, "42:TEST")
            try:
                yield MoneyWorld(app, driver, bank, proxy, breaker_clock, background, replies)
            finally:
                await bot.session.close()
                await adapter.aclose()


def latest_code(sms: RecordingSmsSender) -> str:
    text = sms.last_to(seed.MERCHANT_PHONE) or ""
    found = re.search(r"[0-9]{6}", text)
    assert found, text
    return found.group()


def assert_checking(text: str, locale: str) -> None:
    assert CHECKING[locale] in text, text
    assert not any(untrue in text for untrue in UNTRUE_WHILE_IN_DOUBT), text
