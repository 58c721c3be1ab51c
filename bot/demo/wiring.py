"""What the demo's chat runs on, and how it carries on when its Redis database is emptied.

Another demo starting empties the same database (see `connect_demo_redis`). The bank keeps
its state in SQLite, so only conversation state and the bot's own bookkeeping are lost: the
demo notices (its sentinel key is gone, or a consumer group has vanished), builds the bot
afresh on the same bank and clock, and goes on with the next line.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field

from aiogram import Bot
from redis.asyncio import Redis

from bot.background import Background, local_background
from bot.clock import SimulatedClock
from bot.config import Settings
from bot.demo.driver import ChatDriver
from bot.factory import Outside, build_dispatcher
from bot.local_session import LocalSession
from bot.redis_keys import DEMO
from bot.reminder_config import ReminderSettings
from bot.state import SnapshotRedisStorage
from integrations.bank.protocol import BankAdapter
from integrations.sms.outbound import RecordingSmsSender

DEMO_TOKEN = "4242:DEMO"
# The simulated world needs no pause between two messages to one chat.
DEMO_SENDING = ReminderSettings(_env_file=None, chat_interval_ms=0, rate=1000)


@dataclass(frozen=True)
class DemoBot:
    """The chat the demo drives and the worker pass it runs after each line."""

    driver: ChatDriver
    background: Background


@dataclass
class DemoWiring:
    settings: Settings
    redis: Redis
    storage: SnapshotRedisStorage
    bank: BankAdapter
    clock: SimulatedClock
    bot: Bot
    session: LocalSession
    sms: RecordingSmsSender
    sentinel: str = field(default_factory=lambda: DEMO.alive(secrets.token_hex(6)))

    async def fresh(self) -> DemoBot:
        """The bot built anew over the same bank, clock and chats."""
        await self.redis.set(self.sentinel, 1)
        app = build_dispatcher(
            self.settings,
            self.redis,
            self.storage,
            Outside(self.bank, self.clock),
            reminder_settings=DEMO_SENDING,
        )
        background = local_background(app.services, self.session, self.sms, DEMO_TOKEN)
        return DemoBot(ChatDriver(app.dispatcher, self.bot, self.session), background)

    async def emptied(self) -> bool:
        return not await self.redis.exists(self.sentinel)

    @staticmethod
    def tell_starting_afresh() -> None:
        print(
            "warning: the demo's Redis database was emptied (another demo started?); "
            "carrying on with fresh conversation state",
            file=sys.stderr,
        )
