"""Factories: everything the bot needs is built here, on demand, never at import time."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import BotCommand
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff

from bot.clock import Clock
from bot.config import SUPPORTED_LOCALES, Settings, SettingsError
from bot.container import Outside as Outside  # re-exported: callers build it with the factory
from bot.container import Services as Services
from bot.i18n import LocaleMiddleware, build_i18n
from bot.pipeline.delivery import OutboundDelivery, RetryPolicy
from bot.pipeline.outbox import SaqOutbox
from bot.pipeline.sender import BankPhones, Sender
from bot.redis_batch import UNREACHABLE
from bot.redis_keys import use_cluster_layout
from bot.reminder_config import ReminderSettings
from bot.retry import SharedFloodControl
from bot.services.accounts import AccountsService, CustomerDirectory
from bot.services.applications import ApplicationService
from bot.services.calculator import LoanCalculator
from bot.services.committee import build_committee_services
from bot.services.later import LaterMessages
from bot.services.lead_outbox import LeadDelivery, LeadOutbox, consumer_name
from bot.services.money_commands import MoneyCommandEngine
from bot.services.money_store import MoneyCommandStore
from bot.services.offers import OfferService
from bot.services.officers import build_officer_services
from bot.services.preferences import LanguagePreferences
from bot.services.reference_data import ReferenceData
from bot.services.reminders import ReminderService
from bot.services.sender import DeadLetters, DeliveryRecord, SendRateLimiter
from bot.services.timeline import LeadTimeline
from bot.services.visits import VisitDesk
from bot.services.worksheets import CoInvestigatorNews, WorksheetDesk, WorksheetPolicy
from bot.state import (
    ReplyNotDelivered,
    SnapshotRedisStorage,
    UpdateGate,
    WriteStateBeforeSending,
)
from bot.telemetry import Metrics, MetricsMiddleware, WorkerMetrics
from bot.views import worksheets as worksheet_views
from bot.views.application import ChatLeadMessenger
from bot.views.chart import prepare_chart_fonts
from bot.views.later import LaterTexts
from bot.views.visits import same_file_alert
from handlers import (
    accounts,
    application,
    calculator,
    committee,
    common,
    errors,
    fallback,
    money_commands,
    offers,
    officers,
    reminders,
    timeline,
    visits,
    worksheets,
)
from integrations.bank.factory import build_bank_adapter
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxConfig
from integrations.sms.outbound import SmsSender

REDIS_SOCKET_TIMEOUT_SECONDS = 10.0  # above the longest blocking read (XREADGROUP BLOCK 1 s)
REDIS_CONNECT_TIMEOUT_SECONDS = 2.0
REDIS_HEALTH_CHECK_SECONDS = 15


def build_redis(url: str, *, max_connections: int = 64, pool_timeout: float = 5.0) -> Redis:
    """A bounded pool: under a burst a caller waits up to `pool_timeout` for a connection
    instead of failing at once; a dead Redis is noticed within the socket timeouts, and a
    connection broken by a Redis restart is replaced on the next call."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=pool_timeout,
        socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_keepalive=True,
        health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2),
    )
    return Redis.from_pool(pool)


def build_cluster_redis(nodes: tuple[str, ...], *, max_connections: int = 64) -> Redis:
    """A Redis Cluster client (the nodes it starts from find the rest; MOVED and failovers
    are followed), with the keys in the cluster layout from now on in this process.

    Typed as `Redis`: it takes the same commands, pipelines (one slot per transaction) and
    scripts; what differs (no pub/sub, pipelines by slot) is handled where it is used."""
    use_cluster_layout(True)
    cluster = RedisCluster(
        startup_nodes=[ClusterNode(*_host_port(node)) for node in nodes],
        max_connections=max_connections,
        socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
        socket_keepalive=True,
        health_check_interval=REDIS_HEALTH_CHECK_SECONDS,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2),
    )
    return cast(Redis, cluster)


def _host_port(node: str) -> tuple[str, int]:
    host, _, port = node.rpartition(":")
    return host, int(port)


def build_process_redis(settings: Settings) -> Redis:
    """The Redis client of a long-running process (run, worker), pool sized by its settings:
    the cluster when its nodes are set, else the one Redis."""
    if settings.redis_cluster_nodes:
        return build_cluster_redis(
            settings.redis_cluster_nodes, max_connections=settings.redis_max_connections
        )
    return build_redis(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        pool_timeout=settings.redis_pool_timeout,
    )


def build_storage(redis: Redis, settings: Settings) -> SnapshotRedisStorage:
    return SnapshotRedisStorage(redis, ttl_seconds=settings.draft_ttl_seconds)


def build_bot(
    token: str,
    settings: Settings,
    storage: SnapshotRedisStorage | None,
    session: BaseSession | None = None,
    *,
    answers_users: bool = True,
) -> Bot:
    """`answers_users`: the Bot of handlers (flood control: pause everyone, one more try,
    and the conversation state written before each reply). The Sender's Bot has neither:
    a 429 there reschedules the job."""
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_base_url))
    if answers_users and storage is not None:
        session.middleware(SharedFloodControl(build_limiter(storage.redis, ReminderSettings())))
        session.middleware(WriteStateBeforeSending(storage))
    return Bot(token, session=session, default=DefaultBotProperties(link_preview_is_disabled=True))


def build_limiter(redis: Redis, reminder_settings: ReminderSettings) -> SendRateLimiter:
    return SendRateLimiter(
        redis, reminder_settings.messages_per_second, reminder_settings.chat_interval_ms
    )


@dataclass
class App:
    """The assembled bot: what `run`, the webhook server, the demo and the tests share."""

    settings: Settings
    redis: Redis
    storage: SnapshotRedisStorage
    i18n: I18n
    metrics: Metrics
    dispatcher: Dispatcher
    services: Services


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
    reminders = ReminderService(bank, redis, directory, policy, DeliveryRecord(redis))
    return AccountsService(bank, directory), reminders


def build_outbox(redis: Redis, clock: Clock) -> SaqOutbox:
    return SaqOutbox(redis, clock, DeliveryRecord(redis))


def build_applications(
    outside: Outside,
    redis: Redis,
    calculator: LoanCalculator,
    outbox: SaqOutbox,
    i18n: I18n,
    settings: Settings,
) -> tuple[ApplicationService, LeadDelivery, ChatLeadMessenger]:
    later = LaterMessages(outbox, LaterTexts(i18n, settings.zone))
    delivery = LeadDelivery(redis, outside.bank, consumer=consumer_name(), later=later)
    messenger = ChatLeadMessenger(
        outbox, BankPhones(outside.bank), i18n, settings.zone, settings.currency
    )
    service = ApplicationService(
        outside.bank, calculator, LeadOutbox(redis), outside.clock, later, delivery, messenger
    )
    return service, delivery, messenger


def build_services(
    settings: Settings,
    redis: Redis,
    outside: Outside,
    reminder_settings: ReminderSettings | None = None,
) -> Services:
    reminder_settings = reminder_settings or ReminderSettings()
    i18n = build_i18n(settings.default_locale)
    outbox = build_outbox(redis, outside.clock)
    calculator = LoanCalculator(
        ReferenceData(redis, outside.bank), outside.clock, timezone=settings.timezone
    )
    accounts, reminders = build_accounts_services(settings, reminder_settings, redis, outside.bank)
    applications, delivery, messenger = build_applications(
        outside, redis, calculator, outbox, i18n, settings
    )
    officers = build_officer_services(
        redis, outside.bank, outside.clock, i18n, calculator, outbox,
        currency=settings.currency, timezone=settings.timezone,
        holidays=settings.holidays, working_weekends=settings.working_weekends,
    )  # fmt: skip
    worksheets = WorksheetDesk(
        outside.bank, redis, calculator,
        WorksheetPolicy(settings.worksheet_installment_share, settings.cross_check_tolerance),
        CoInvestigatorNews(officers.directory, outbox, i18n, worksheet_views.co_saved_notice),
    )  # fmt: skip
    return Services(
        settings=settings,
        reminder_settings=reminder_settings,
        redis=redis,
        outside=outside,
        i18n=i18n,
        outbox=outbox,
        preferences=LanguagePreferences(redis),
        calculator=calculator,
        money_commands=build_money_commands(outside, redis),
        accounts=accounts,
        reminders=reminders,
        applications=applications,
        delivery=delivery,
        lead_messenger=messenger,
        officers=officers,
        committee=build_committee_services(redis, officers, i18n, calculator, outbox, worksheets),
        worksheets=worksheets,
        offers=OfferService(outside.bank, redis),
        timeline=LeadTimeline(outside.bank),
        visits=VisitDesk(
            outside.bank, officers.actions, officers.directory, outbox, i18n, same_file_alert
        ),
    )  # fmt: skip


@dataclass
class Process:
    """What `run`, `worker` and the demo each open once: Redis, the bank, the services."""

    redis: Redis
    bank: BankAdapter
    services: Services

    async def aclose(self) -> None:
        await self.bank.aclose()
        await self.redis.aclose()


def open_process(
    settings: Settings,
    clock: Clock,
    sms: SmsSender,
    *,
    redis: Redis | None = None,
    reminder_settings: ReminderSettings | None = None,
) -> Process:
    redis = redis if redis is not None else build_process_redis(settings)
    bank = build_bank(settings, clock, sms)
    services = build_services(settings, redis, Outside(bank, clock), reminder_settings)
    return Process(redis, bank, services)


def build_delivery(
    services: Services,
    bot: Bot,
    sms: SmsSender,
    metrics: WorkerMetrics | None = None,
) -> OutboundDelivery:
    """The one Sender and what feeds it: `bot` is its own (`build_bot(answers_users=False)`)."""
    redis, config = services.redis, services.reminder_settings
    metrics = metrics or WorkerMetrics()
    sender = Sender(
        bot,
        sms,
        build_limiter(redis, config),
        services.outbox.record,
        BankPhones(services.outside.bank),
        metrics,
        paid_broadcast=config.paid_broadcast,
    )
    policy = RetryPolicy(max_attempts=config.max_retries + 1)
    return OutboundDelivery(
        services.outbox, sender, DeadLetters(redis), services.clock, metrics, policy
    )


def build_dispatcher(
    settings: Settings,
    redis: Redis,
    storage: SnapshotRedisStorage,
    outside: Outside,
    extra_routers: tuple[Router, ...] = (),
    reminder_settings: ReminderSettings | None = None,
    services: Services | None = None,
) -> App:
    """`extra_routers` go before the fallback (the benchmark's bare form uses this)."""
    services = services or build_services(settings, redis, outside, reminder_settings)
    prepare_chart_fonts()
    metrics = Metrics()
    dispatcher = Dispatcher(storage=storage, disable_fsm=True)
    dispatcher.fsm = UpdateGate(storage, default_locale=settings.default_locale)
    dispatcher.update.outer_middleware(MetricsMiddleware(metrics))
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.update.outer_middleware(LocaleMiddleware(services.i18n))
    dispatcher.workflow_data.update(services.workflow_data())
    # Redis away or the first reply lost at Telegram: no apology, the error reaches the
    # update queue, which runs the update again
    dispatcher.errors.register(
        errors.apologize, ~ExceptionTypeFilter(*UNREACHABLE, ReplyNotDelivered)
    )
    dispatcher.include_routers(
        application.build_router(),  # before common: its deep links and resuming on /start
        common.build_router(),
        calculator.build_router(),
        accounts.build_router(),
        reminders.build_router(),
        officers.build_router(),
        committee.build_router(),
        worksheets.build_router(),
        offers.build_router(),
        timeline.build_router(),
        visits.build_router(),
        *extra_routers,
        money_commands.build_router(),  # after every form: inside one, the text is its answer
        fallback.build_router(),
    )
    return App(settings, redis, storage, services.i18n, metrics, dispatcher, services)


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
