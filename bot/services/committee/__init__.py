"""The credit committee (贷审会) in the chat, one service per responsibility.

- desk: sending a ready case, answering the committee, reading the pack, previewing
  changed terms, voting
- notices: the messages those steps send, queued on the outbound pipeline
- sla: the reminders in working hours, to the members and then to the chair
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram.utils.i18n import I18n
from redis.asyncio import Redis

from bot.services.calculator import LoanCalculator
from bot.services.committee.desk import CommitteeDesk
from bot.services.committee.notices import CommitteeNotices
from bot.services.committee.sla import CaseTimers, CommitteeSla
from bot.services.officers import OfficerServices
from bot.services.outbound import Outbox
from bot.services.worksheets import WorksheetDesk


@dataclass(frozen=True)
class CommitteeServices:
    desk: CommitteeDesk
    sla: CommitteeSla


def build_committee_services(
    redis: Redis,
    officers: OfficerServices,
    i18n: I18n,
    calculator: LoanCalculator,
    outbox: Outbox,
    worksheets: WorksheetDesk,
) -> CommitteeServices:
    notices = CommitteeNotices(
        officers.bank, officers.directory, i18n, outbox, calculator, officers.currency,
        officers.policy.calendar.timezone,
    )  # fmt: skip
    sla = CommitteeSla(officers.bank, CaseTimers(redis), officers.policy.calendar, notices)
    return CommitteeServices(
        CommitteeDesk(officers.bank, calculator, notices, sla, worksheets), sla
    )
