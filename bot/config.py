"""Settings from the environment (prefix BOT_) and an optional .env file."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SUPPORTED_LOCALES = ("zh_Hans", "en", "ru")
TELEGRAM_API_BASE_URL = "https://api.telegram.org"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    redis_url: str = "redis://127.0.0.1:6379/0"  # one Redis (or a Sentinel-managed endpoint)
    # A Redis Cluster instead: some of its nodes, host:port,host:port (the rest are found)
    redis_cluster_nodes: Annotated[tuple[str, ...], NoDecode] = ()
    update_partitions: int = Field(default=1, ge=1, le=1024)  # streams of incoming updates
    redis_max_connections: int = Field(default=64, ge=2)  # per process; callers wait for one
    redis_pool_timeout: float = Field(default=5.0, gt=0)  # then the call fails (webhook: 503)
    api_base_url: str = TELEGRAM_API_BASE_URL
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    webhook_path: str = "/webhook"
    default_locale: Literal["zh_Hans", "en", "ru"] = "zh_Hans"
    timezone: str = "Asia/Shanghai"
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    bank_adapter: Literal["sandbox", "http"] = "sandbox"
    sandbox_db: Path = Path("var/sandbox.db")
    bank_url: str | None = None
    bank_api_token: SecretStr | None = None
    bank_webhook_secret: SecretStr | None = None
    sms_gateway_url: str | None = None
    sms_gateway_token: SecretStr | None = None
    sms_hmac_secret: SecretStr | None = None
    sms_basic_user: str | None = None
    sms_basic_password: SecretStr | None = None
    sms_console: bool = False  # development only: print texts (codes masked), send nothing
    sms_max_age_seconds: int = Field(default=300, ge=1)  # inbound texts older are refused
    draft_ttl_days: int = Field(default=30, ge=1)
    holidays: Annotated[tuple[date, ...], NoDecode] = ()  # e.g. 2026-10-01,2026-10-02
    working_weekends: Annotated[tuple[date, ...], NoDecode] = ()  # worked instead (调休)
    annual_rate: Decimal = Field(default=Decimal("12"), gt=0, lt=100)
    worker_metrics_port: int | None = Field(default=None, ge=1, le=65535)  # worker's /metrics
    webapp_url: str | None = Field(default=None, pattern=r"^https://")  # Mini App, public
    webapp_init_data_max_age_seconds: int = Field(default=3600, ge=1)
    # the worksheet: the share of disposable income an installment may take, and how far
    # apart (a share of the larger) the officer's and the merchant's figures are flagged
    worksheet_installment_share: Decimal = Field(default=Decimal("0.7"), gt=0, le=1)
    cross_check_tolerance: Decimal = Field(default=Decimal("0.3"), gt=0, lt=1)
    # SIGTERM: how long in-flight updates and jobs may take to finish before they are cut
    # (and handed back to the queue); below the orchestrator's grace period (compose: 30 s)
    shutdown_timeout_seconds: float = Field(default=20.0, gt=0)
    log_format: Literal["text", "json"] = "text"  # json: one object per line (bot/logs.py)

    @field_validator("holidays", "working_weekends", "redis_cluster_nodes", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("redis_cluster_nodes")
    @classmethod
    def _host_and_port(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for node in value:
            host, _, port = node.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{node!r} is not host:port")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("webhook_path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with '/'")
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def draft_ttl_seconds(self) -> int:
        return self.draft_ttl_days * 86400

    def require_token(self) -> str:
        if self.token is None or not self.token.get_secret_value():
            raise SettingsError(
                "BOT_TOKEN is not set: put your bot token from @BotFather in BOT_TOKEN "
                "(environment or .env), or try everything without one: make demo"
            )
        return self.token.get_secret_value()

    def require_sms_delivery(self) -> None:
        """One-time codes must reach phones, never a log: run, worker and sandbox serve
        refuse to start without a gateway unless the development switch is set."""
        if self.sms_gateway_url:
            if self.sms_gateway_token is None or not self.sms_gateway_token.get_secret_value():
                raise SettingsError(
                    "BOT_SMS_GATEWAY_TOKEN is not set: the SMS gateway at BOT_SMS_GATEWAY_URL "
                    "needs its bearer token"
                )
            return
        if not self.sms_console:
            raise SettingsError(
                "BOT_SMS_GATEWAY_URL is not set: one-time codes are sent by SMS, so set the "
                "gateway (and BOT_SMS_GATEWAY_TOKEN), or for development only "
                "BOT_SMS_CONSOLE=1 to print texts with the codes masked"
            )


def load_settings(**overrides: object) -> Settings:
    """Read settings; a bad value becomes one SettingsError line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = "BOT_" + str(first["loc"][0]).upper()
        raise SettingsError(f"{name} is invalid: {first['msg']}") from None
