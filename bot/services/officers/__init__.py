"""Loan officers in the chat, one service per responsibility.

The bank decides who may do what (claim, pass, reassign...); these services ask it, keep
officer_id -> chat and lead -> cards in Redis, queue every message on the outbound pipeline
(they hold no Bot), follow the bank's event feed as one of its subscribers, and escalate
leads nobody claims or contacts in working time.

- staff: binding with the staff code and SMS code, the directory of bound officers
- lead_actions: claim, pass, status, notes, visits, reassignment
- facts, cards: what a lead card shows, sending it once and editing it in place
- timers, sla: the SLA timers, reminders and escalations
- tasks: the queue, post-loan tasks done or moved
- task_news: new tasks pushed to the officer, and each working morning's digest
- team: the supervisor's figures, overdue borrowers and their next step
- feed: the subscriber to the bank's event feed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.clock import Clock
from bot.domain.working_hours import SlaPolicy, WorkingCalendar
from bot.services.calculator import LoanCalculator
from bot.services.officers.cards import CardRegistry, LeadCards
from bot.services.officers.facts import LeadFactsSource
from bot.services.officers.feed import OfficerFeed
from bot.services.officers.history import LeadHistory
from bot.services.officers.lead_actions import LeadActions
from bot.services.officers.sla import SlaWatch
from bot.services.officers.staff import StaffBinding, StaffDirectory
from bot.services.officers.task_news import TaskNews
from bot.services.officers.tasks import OfficerTasks
from bot.services.officers.team import TeamFigures
from bot.services.officers.timers import SlaTimers
from bot.services.outbound import Outbox
from integrations.bank.protocol import BankAdapter


@dataclass(frozen=True)
class OfficerServices:
    """The officers' services, built once; each handler uses the ones it needs."""

    bank: BankAdapter
    clock: Clock
    policy: SlaPolicy
    currency: str
    directory: StaffDirectory
    binding: StaffBinding
    actions: LeadActions
    cards: LeadCards
    sla: SlaWatch
    tasks: OfficerTasks
    news: TaskNews
    team: TeamFigures
    feed: OfficerFeed  # the subscriber to the bank's event feed


def build_officer_services(
    redis: Redis,
    bank: BankAdapter,
    clock: Clock,
    i18n: I18n,
    calculator: LoanCalculator,
    outbox: Outbox,
    *,
    currency: str,
    timezone: str,
    holidays: tuple[date, ...] = (),
    working_weekends: tuple[date, ...] = (),
) -> OfficerServices:
    calendar = WorkingCalendar(
        timezone=timezone, holidays=frozenset(holidays), extra_workdays=frozenset(working_weekends)
    )
    policy = SlaPolicy(calendar=calendar)
    directory = StaffDirectory(redis)
    registry = CardRegistry(redis)
    timers = SlaTimers(redis)
    facts = LeadFactsSource(bank, calculator, clock, policy, timers, currency)
    cards = LeadCards(i18n, directory, registry, facts, outbox)
    sla = SlaWatch(bank, i18n, policy, timers, cards)
    news = TaskNews(bank, redis, i18n, clock, policy, directory, outbox)
    history = LeadHistory(redis)
    return OfficerServices(
        bank=bank,
        clock=clock,
        policy=policy,
        currency=currency,
        directory=directory,
        binding=StaffBinding(bank, directory, news),
        actions=LeadActions(bank, registry, directory),
        cards=cards,
        sla=sla,
        tasks=OfficerTasks(bank, clock, policy, timers, news),
        news=news,
        team=TeamFigures(bank, redis, clock, policy, directory, history),
        feed=OfficerFeed(bank, cards, sla, news, history),
    )
