"""Settings of reminders and of the outgoing sender (environment prefix BOT_REMINDER_)."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.domain.reminders import ReminderPolicy

TELEGRAM_FREE_RATE = 30.0
TELEGRAM_PAID_RATE = 1000.0


class ReminderSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOT_REMINDER_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    days_before: tuple[int, ...] = (3,)
    overdue_days: tuple[int, ...] = (1, 3, 7, 15, 30)
    send_at: time = time(9, 0)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    rate: float = Field(default=TELEGRAM_FREE_RATE, gt=0)
    paid_broadcast: bool = False
    chat_interval_ms: int = Field(default=1000, ge=0)
    max_retries: int = Field(default=3, ge=0)
    tick_seconds: float = Field(default=1.0, gt=0)

    def policy(self, timezone: str) -> ReminderPolicy:
        return ReminderPolicy(
            zone=ZoneInfo(timezone),
            days_before=self.days_before,
            overdue_days=self.overdue_days,
            send_at=self.send_at,
            quiet_start=self.quiet_start,
            quiet_end=self.quiet_end,
        )

    @property
    def messages_per_second(self) -> float:
        """Paid broadcasts lift Telegram's limit to 1000 messages a second (Stars per message)."""
        return max(self.rate, TELEGRAM_PAID_RATE) if self.paid_broadcast else self.rate
