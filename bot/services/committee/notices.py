"""What the committee's work sends to people: the case to each member with the vote's
buttons, the decision to the members and the lead's officers, the question back to the
presenter, and the SLA reminders. Queued on the outbound pipeline, once per key."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n

from bot.domain.loan_terms import ScheduleError
from bot.services.calculator import LoanCalculator
from bot.services.officers.staff import StaffDirectory
from bot.services.outbound import Outbox, OutgoingMessage, Priority
from bot.views import committee as views
from integrations.bank.committee_models import Committee, CommitteeCase, VoteKind
from integrations.bank.models import Lead
from integrations.bank.protocol import BankAdapter

Render = Callable[[str], tuple[str, InlineKeyboardMarkup | None]]  # the locale -> the message


class CommitteeNotices:
    def __init__(
        self,
        bank: BankAdapter,
        directory: StaffDirectory,
        i18n: I18n,
        outbox: Outbox,
        calculator: LoanCalculator,
        currency: str,
        zone: str,
    ) -> None:
        self.bank = bank
        self.directory = directory
        self.i18n = i18n
        self.outbox = outbox
        self.calculator = calculator
        self.currency = currency
        self.zone = zone

    async def committee_of(self, case: CommitteeCase) -> Committee:
        committees = await self.bank.list_committees()
        return next(committee for committee in committees if committee.code == case.committee_code)

    async def announce(self, case: CommitteeCase) -> None:
        """The case, with the vote's buttons, to every member linked in the chat."""
        committee = await self.committee_of(case)
        lead = await self.bank.get_lead(case.lead_id)
        summary = views.CaseSummary(
            case=case,
            lead=lead,
            committee_name=committee.name,
            presenter_name=(await self.bank.get_officer(case.presented_by)).name,
            monthly_payment=await self.monthly_payment(case),
            currency=self.currency,
        )
        for member in committee.members:
            await self._send(
                member.officer_id,
                f"committee:case:{case.id}:{member.officer_id}",
                lambda locale: (views.case_text(summary, locale), views.vote_keyboard(case.id)),
            )

    async def monthly_payment(self, case: CommitteeCase) -> Decimal | None:
        try:
            bounds = await self.calculator.bounds()
            schedule = self.calculator.schedule(
                bounds, case.amount, case.term_months, case.method.value
            )
        except (KeyError, ScheduleError):
            return None
        return schedule.first_payment

    async def decided(self, case: CommitteeCase) -> None:
        committee = await self.committee_of(case)
        lead = await self.bank.get_lead(case.lead_id)
        for officer_id in _everyone(committee, lead):
            await self._send(
                officer_id,
                f"committee:decision:{case.id}:{officer_id}",
                lambda locale: (views.decision_text(case, self.currency, self.zone, locale), None),
            )

    async def asked(self, case: CommitteeCase) -> None:
        asking = [v for v in case.votes if v.current and v.vote is VoteKind.MORE_INFO]
        asked_by = asking[-1].member_name if asking else ""
        await self._send(
            case.presented_by,
            f"committee:question:{case.id}",
            lambda _locale: (views.question_text(case, asked_by), views.answer_keyboard(case.id)),
        )

    async def remind(
        self, case: CommitteeCase, officer_ids: list[str], waiting: int, chair: bool, due: datetime
    ) -> None:
        """`waiting`: how many votes the quorum still lacks."""
        stage = "chair" if chair else "members"
        since = case.presented_at
        for officer_id in officer_ids:
            await self._send(
                officer_id,
                f"committee:remind:{case.id}:{stage}:{officer_id}:{int(due.timestamp())}",
                lambda locale: (
                    views.reminder_text(case, waiting, chair, since, self.zone, locale),
                    None if chair else views.vote_keyboard(case.id),
                ),
            )

    async def _send(self, officer_id: str, key: str, render: Render) -> None:
        staff = await self.directory.by_officer(officer_id)
        if staff is None:
            return  # not linked in the chat: the bank's case stands without the message
        locale = await self.directory.locale_of(staff)
        with self.i18n.context(), self.i18n.use_locale(locale):
            text, markup = render(locale)
        await self.outbox.enqueue(
            OutgoingMessage(
                key=key, chat_id=staff.chat_id, text=text, markup=markup, priority=Priority.URGENT
            )
        )


def _everyone(committee: Committee, lead: Lead) -> list[str]:
    officers = [member.officer_id for member in committee.members]
    officers += [officer for officer in (lead.officer_id, lead.co_officer_id) if officer]
    return list(dict.fromkeys(officers))
