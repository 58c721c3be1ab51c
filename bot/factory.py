"""Factories: everything the bot needs is built here, on demand, never at import time."""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from redis.asyncio import Redis

from bot.clock import Clock
from bot.config import SUPPORTED_LOCALES, Settings, SettingsError
from bot.i18n import LocaleMiddleware, build_i18n
from bot.reminder_config import ReminderSettings
from bot.retry import RetryAfterMiddleware
from bot.services.accounts import AccountsService, CustomerDirectory
from bot.services.applications import ApplicationService
from bot.services.calculator import LoanCalculator
from bot.services.later import LaterMessages
from bot.services.lead_outbox import LeadDelivery, LeadOutbox, consumer_name
from bot.services.money_commands import MoneyCommandEngine
from bot.services.money_store import MoneyCommandStore
from bot.services.officers import build_officer_services
from bot.services.preferences import LanguagePreferences
from bot.services.reminders import ReminderService
from bot.state import SnapshotRedisStorage, UpdateGate, WriteStateBeforeSending
from bot.telemetry import Metrics, MetricsMiddleware
from handlers import (
    accounts,
    application,
    calculator,
    common,
    errors,
    fallback,
    money_commands,
    officers,
    reminders,
)
from integrations.bank.factory import build_bank_adapter
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxConfig
from integrations.sms.outbound import SmsSender


def build_redis(url: str) -> Redis:
    return Redis.from_url(url)


def build_storage(redis: Redis, settings: Settings) -> SnapshotRedisStorage:
    return SnapshotRedisStorage(redis, ttl_seconds=settings.draft_ttl_seconds)


def build_bot(
    token: str,
    settings: Settings,
    storage: SnapshotRedisStorage,
    session: BaseSession | None = None,
) -> Bot:
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base_url))
    session.middleware(RetryAfterMiddleware())
    session.middleware(WriteStateBeforeSending(storage))
    return Bot(token, session=session, default=DefaultBotProperties(link_preview_is_disabled=True))


@dataclass
class App:
    """The assembled bot: what `run`, the webhook server, the demo and the tests share."""

    settings: Settings
    redis: Redis
    storage: SnapshotRedisStorage
    i18n: I18n
    metrics: Metrics
    dispatcher: Dispatcher


@dataclass
class Outside:
    """The outside world the bot talks to, built by the caller (run, demo or tests)."""

    bank: BankAdapter
    clock: Clock


def build_bank(settings: Settings, clock: Clock, sms: SmsSender) -> BankAdapter:
    token = settings.bank_api_token.get_secret_value() if settings.bank_api_token else None
    try:
        return build_bank_adapter(
            settings.bank_adapter,
            sandbox_db=str(settings.sandbox_db),
            bank_url=settings.bank_url,
            api_token=token,
            clock=clock.now,
            sms=sms,
            sandbox_config=SandboxConfig(
                timezone=settings.timezone, product_annual_rate=settings.annual_rate
            ),
        )
    except ValueError as error:
        raise SettingsError(str(error)) from None


def build_money_commands(outside: Outside, redis: Redis) -> MoneyCommandEngine:
    return MoneyCommandEngine(outside.bank, MoneyCommandStore(redis), outside.clock)


def build_accounts_services(
    settings: Settings, reminder_settings: ReminderSettings, redis: Redis, bank: BankAdapter
) -> tuple[AccountsService, ReminderService]:
    directory = CustomerDirectory(redis)
    policy = reminder_settings.policy(settings.timezone)
    return AccountsService(bank, directory), ReminderService(bank, redis, directory, policy)


def build_applications(
    outside: Outside, redis: Redis, calculator: LoanCalculator
) -> tuple[ApplicationService, LeadDelivery]:
    later = LaterMessages(redis)
    service = ApplicationService(outside.bank, calculator, LeadOutbox(redis), outside.clock, later)
    return service, LeadDelivery(redis, outside.bank, consumer=consumer_name(), later=later)


def build_dispatcher(
    settings: Settings,
    redis: Redis,
    storage: SnapshotRedisStorage,
    outside: Outside,
    extra_routers: tuple[Router, ...] = (),
    reminder_settings: ReminderSettings | None = None,
) -> App:
    """`extra_routers` go before the fallback (the benchmark's bare form uses this)."""
    i18n = build_i18n(settings.default_locale)
    metrics = Metrics()
    dispatcher = Dispatcher(storage=storage, disable_fsm=True)
    dispatcher.fsm = UpdateGate(storage, default_locale=settings.default_locale)
    dispatcher.update.outer_middleware(MetricsMiddleware(metrics))
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.update.outer_middleware(LocaleMiddleware(i18n))
    dispatcher.workflow_data.update(
        settings=settings,
        i18n=i18n,
        clock=outside.clock,
        preferences=LanguagePreferences(redis),
        calculator=LoanCalculator(outside.bank, outside.clock, timezone=settings.timezone),
        money_commands=build_money_commands(outside, redis),
    )
    reminder_settings = reminder_settings or ReminderSettings()
    account_service, reminder_service = build_accounts_services(
        settings, reminder_settings, redis, outside.bank
    )
    applications, delivery = build_applications(
        outside, redis, dispatcher.workflow_data["calculator"]
    )
    dispatcher.workflow_data.update(applications=applications, delivery=delivery)
    dispatcher.workflow_data.update(
        accounts=account_service, reminders=reminder_service, reminder_settings=reminder_settings
    )
    dispatcher.workflow_data["officers"] = build_officer_services(
        redis, outside.bank, outside.clock, i18n, dispatcher.workflow_data["calculator"],
        currency=settings.currency, timezone=settings.timezone,
        holidays=settings.holidays, working_weekends=settings.working_weekends,
    )  # fmt: skip
    dispatcher.errors.register(errors.apologize)
    dispatcher.include_routers(
        application.build_router(),  # before common: its deep links and resuming on /start
        common.build_router(),
        calculator.build_router(),
        accounts.build_router(),
        reminders.build_router(),
        officers.build_router(),
        *extra_routers,
        money_commands.build_router(),  # after every form: inside one, the text is its answer
        fallback.build_router(),
    )
    return App(settings, redis, storage, i18n, metrics, dispatcher)


async def publish_commands(bot: Bot, i18n: I18n) -> None:
    """The command menu in each language; Telegram picks it by the user's app language."""
    for locale in SUPPORTED_LOCALES:
        with i18n.context(), i18n.use_locale(locale):
            commands = [
                BotCommand(command="start", description=_("Main menu")),
                BotCommand(command="calc", description=_("Loan calculator")),
                BotCommand(command="apply", description=_("Apply for a loan")),
                BotCommand(command="balance", description=_("Account balances")),
                BotCommand(command="loans", description=_("My loans and the next payment")),
                BotCommand(command="due", description=_("What to pay next")),
                BotCommand(command="language", description=_("Change the language")),
                BotCommand(command="cancel", description=_("Leave the current step")),
                BotCommand(command="help", description=_("What I can do")),
            ]
            language_code = "zh" if locale == "zh_Hans" else locale
            await bot.set_my_commands(commands, language_code=language_code)
            if locale == i18n.default_locale:
                await bot.set_my_commands(commands)
