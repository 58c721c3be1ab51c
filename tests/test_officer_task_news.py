"""New post-loan and overdue tasks reach the officer as a message, once each; every working
day at opening time the officer gets one digest of the day's tasks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from committee_support import approve_by_committee
from test_officer_journeys import OFFICER_EN, OFFICER_ZH, SUPERVISOR_ZH, Desk, bind, submit

from bot.background import Background
from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from integrations.bank.models import DisbursementRequest, LeadStatus, StatusUpdate
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxBank
from integrations.sms.outbound import RecordingSmsSender

OFFICER_RU = replace(OFFICER_ZH, language_code="ru")
NEW_TASK = {"zh-hans": "📋 您有一项新任务", "en": "📋 A new task for you", "ru": "📋 Новая задача"}
FIRST_VISIT = {"zh-hans": "放款后首次回访", "en": "first visit after payout", "ru": "первый визит"}
FOLLOW_UP = {"zh-hans": "逾期跟进", "en": "overdue follow-up", "ru": "работа с просрочкой"}
DIGEST = {
    "zh-hans": "☀️ 您今天（2026年11月23日）的任务：",
    "en": "☀️ Your tasks for today, Nov 23, 2026:",
    "ru": "☀️ Ваши задачи на сегодня, 23 нояб. 2026",
}
MONDAY_0859 = datetime(2026, 11, 23, 0, 59, tzinfo=UTC)  # 08:59 in Shanghai


@pytest.fixture
def desk(app: App, background: Background) -> Desk:
    return Desk(app.services.officers, background)


def news(driver: ChatDriver, user: ChatUser, heading: str) -> list[str]:
    return [shown.text for shown in driver.seen(user) if shown.text.startswith(heading)]


async def officer_id(desk: Desk, user: ChatUser) -> str:
    member = await desk.services.directory.by_chat(user.user_id)
    assert member is not None
    return member.officer_id


async def pay_out(bank: BankAdapter, officer: str) -> str:
    lead_id = await submit(bank)
    await bank.claim_lead(lead_id, officer)
    contacted = StatusUpdate(officer_id=officer, status=LeadStatus.CONTACTED)
    await bank.update_lead_status(lead_id, contacted)
    assert isinstance(bank, SandboxBank)
    await approve_by_committee(bank, bank.run, lead_id, officer)
    payout = DisbursementRequest(officer_id=officer, principal=Decimal(50000), term_months=12)
    return (await bank.disburse_loan(lead_id, payout, idempotency_key="payout-1")).id


@pytest.mark.parametrize("user", [OFFICER_ZH, OFFICER_EN, OFFICER_RU])
async def test_a_payout_brings_the_first_visit_task_to_the_officer_once(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk, user: ChatUser
) -> None:
    await bind(driver, sms, user, "K001")
    await desk.deliver()
    assert news(driver, user, NEW_TASK[user.language_code]) == []  # the seeded tasks are old

    loan_id = await pay_out(bank, await officer_id(desk, user))
    await desk.deliver()
    await desk.deliver()
    (message,) = news(driver, user, NEW_TASK[user.language_code])
    assert FIRST_VISIT[user.language_code] in message and loan_id in message
    assert "/queue" in message


async def test_an_overdue_installment_brings_the_follow_up_task(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    clock: SimulatedClock,
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    await desk.deliver()
    loan = await bank.get_loan("LN000001")  # the seeded merchant's, paid on time so far
    assert loan.next_due is not None and loan.days_overdue == 0
    due = loan.next_due.due_date
    clock.move_to(datetime(due.year, due.month, due.day, 2, 0, tzinfo=UTC) + timedelta(days=1))
    await desk.deliver()
    (message,) = news(driver, OFFICER_EN, NEW_TASK["en"])
    assert FOLLOW_UP["en"] in message and "LN000001" in message


@pytest.mark.parametrize("user", [OFFICER_ZH, OFFICER_EN, OFFICER_RU])
async def test_the_morning_digest_comes_once_a_working_day_at_opening_time(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    desk: Desk,
    clock: SimulatedClock,
    user: ChatUser,
) -> None:
    await bind(driver, sms, user, "K001")
    await bind(driver, sms, replace(SUPERVISOR_ZH, language_code=user.language_code), "S001")
    heading = DIGEST[user.language_code]
    await desk.background.run_once(clock.now())  # Sunday
    clock.move_to(MONDAY_0859)
    await desk.background.run_once(clock.now())
    assert news(driver, user, heading) == []

    clock.advance(timedelta(minutes=1))
    await desk.background.run_once(clock.now())
    clock.advance(timedelta(hours=3))
    await desk.background.run_once(clock.now())
    (digest,) = news(driver, user, heading)
    assert "TK000002" in digest and "LN000002" in digest  # the overdue follow-up, late
    assert "TK000001" not in digest  # due on Wednesday
    assert all(not shown.text.startswith("☀️") for shown in driver.seen(SUPERVISOR_ZH))

    clock.move_to(MONDAY_0859 + timedelta(days=2, minutes=1))  # Wednesday
    await desk.background.run_once(clock.now())
    await desk.background.run_once(clock.now())
    digests = [shown.text for shown in driver.seen(user) if shown.text.startswith("☀️")]
    assert len(digests) == 2 and "TK000001" in digests[-1]


async def test_a_digest_is_queued_once_however_often_the_loop_runs(
    driver: ChatDriver, sms: RecordingSmsSender, app: App, desk: Desk, clock: SimulatedClock
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    clock.move_to(MONDAY_0859 + timedelta(minutes=1))
    news_service = app.services.officers.news
    assert await news_service.run_once(clock.now()) == 1
    assert await news_service.run_once(clock.now()) == 0
    await desk.background.run_once(clock.now())
    assert len(news(driver, OFFICER_EN, DIGEST["en"])) == 1


async def test_a_finished_visit_announces_the_next_one_the_bank_plans(
    driver: ChatDriver, sms: RecordingSmsSender, desk: Desk
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    await driver.send(OFFICER_EN, "/queue")
    await driver.press(OFFICER_EN, "2 done")  # TK000001, the monthly monitoring visit
    (message,) = news(driver, OFFICER_EN, NEW_TASK["en"])
    assert "monthly monitoring visit, loan LN000001 · due Dec 22, 2026" in message
    await desk.deliver()
    assert len(news(driver, OFFICER_EN, NEW_TASK["en"])) == 1
