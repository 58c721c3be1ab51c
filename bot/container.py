"""The typed container of the bot's services and the outside world they talk to.

Built by `bot.factory`; used by handlers (through the Dispatcher's workflow data, as one
`services: Services` argument), by the worker and by the demo. Kept apart from the factory
so that handlers can name the type without importing the factory that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.clock import Clock
from bot.config import Settings
from bot.pipeline.outbox import SaqOutbox
from bot.reminder_config import ReminderSettings
from bot.services.accounts import AccountsService
from bot.services.applications import ApplicationService
from bot.services.calculator import LoanCalculator
from bot.services.committee import CommitteeServices
from bot.services.lead_outbox import LeadDelivery
from bot.services.money_commands import MoneyCommandEngine
from bot.services.offers import OfferService
from bot.services.officers import OfficerServices
from bot.services.preferences import LanguagePreferences
from bot.services.reminders import ReminderService
from bot.services.timeline import LeadTimeline
from bot.services.visits import VisitDesk
from bot.services.worksheets import WorksheetDesk
from bot.views.application import ChatLeadMessenger
from integrations.bank.protocol import BankAdapter


@dataclass
class Outside:
    """The outside world the bot talks to, built by the caller (run, demo or tests)."""

    bank: BankAdapter
    clock: Clock


@dataclass(frozen=True)
class Services:
    """Every service, built once per process by `bot.factory.build_services`: handlers take
    it as `services: Services` (workflow data), the worker and the demo use it directly."""

    settings: Settings
    reminder_settings: ReminderSettings
    redis: Redis
    outside: Outside
    i18n: I18n
    outbox: SaqOutbox
    preferences: LanguagePreferences
    calculator: LoanCalculator
    money_commands: MoneyCommandEngine
    accounts: AccountsService
    reminders: ReminderService
    applications: ApplicationService
    delivery: LeadDelivery
    lead_messenger: ChatLeadMessenger
    officers: OfficerServices
    committee: CommitteeServices
    worksheets: WorksheetDesk
    offers: OfferService
    timeline: LeadTimeline
    visits: VisitDesk

    @property
    def clock(self) -> Clock:
        return self.outside.clock

    def workflow_data(self) -> dict[str, object]:
        """What the Dispatcher hands to handlers: the container (and aiogram's I18n)."""
        return {"services": self, "i18n": self.i18n}
