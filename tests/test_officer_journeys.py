"""Officers in the chat: binding, lead cards, the claim race, pass, status, visits, forged
presses and the SLA escalations in working time, in Chinese and English."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from aiogram.methods import SendContact, SetMyCommands
from aiogram.types import CallbackQuery, Update
from redis.asyncio import Redis

from bot.background import Background
from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.demo.personas import PERSONAS
from bot.factory import App
from bot.local_session import LocalSession
from bot.redis_keys import OFFICERS
from bot.services.officers import OfficerServices
from bot.views.officers import LeadAction, TaskAction
from integrations.bank.models import LeadSubmission, RepaymentMethod
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxBank, admin, seed
from integrations.sms.outbound import RecordingSmsSender

OFFICER_ZH = PERSONAS["officer"]
OFFICER2_ZH = PERSONAS["officer2"]
SUPERVISOR_ZH = PERSONAS["supervisor"]
OFFICER_EN = replace(OFFICER_ZH, language_code="en")
SUPERVISOR_EN = replace(SUPERVISOR_ZH, language_code="en")
APPLICANT_PHONE = "+8613911112222"
FORGED_UPDATE_IDS = itertools.count(900_000_000)
MONDAY_0929 = datetime(2026, 11, 23, 1, 29, tzinfo=UTC)  # 09:29 in Shanghai


@dataclass(frozen=True)
class Desk:
    """The officers' services, and the worker that delivers what they queue."""

    services: OfficerServices
    background: Background

    async def deliver(self) -> None:
        """What the worker does after the bank's news: read the feed, send what it queued."""
        await self.background.run_once(self.services.clock.now())

    async def sla_checks(self) -> int:
        now = self.services.clock.now()
        fired = await self.services.sla.run_checks(now)
        await self.background.outbound.run_due(now)
        return fired


@pytest.fixture
def desk(app: App, background: Background) -> Desk:
    return Desk(app.services.officers, background)


async def bind(
    driver: ChatDriver, sms: RecordingSmsSender, user: ChatUser, staff_code: str
) -> None:
    await driver.send(user, "/officer")
    await driver.send(user, staff_code)
    match = re.search(r"\b(\d{6})\b", sms.last_to(user.phone) or "")
    assert match is not None
    await driver.send(user, match.group(1))


async def submit(bank: BankAdapter, amount: str = "50000", district: str = "JINNIU") -> str:
    submission = LeadSubmission(
        applicant_name="张伟",
        phone=APPLICANT_PHONE,
        district_code=district,
        industry_code="retail",
        amount=Decimal(amount),
        term_months=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        purpose="进货",
        referral_code="R-17",
        score=720,
        flags=["card_use_high"],
        details={"largest_installment": "4442.44", "net_cash_flow": "12000"},
    )
    lead = await bank.submit_lead(submission, idempotency_key=f"lead-{amount}-{district}")
    return lead.id


async def deliver(desk: Desk, driver: ChatDriver) -> None:
    await desk.deliver()


def card_of(driver: ChatDriver, user: ChatUser, lead_id: str) -> str:
    texts = [shown.text for shown in driver.seen(user) if lead_id in shown.text]
    assert texts, f"{user.name} has no card for {lead_id}"
    return texts[-1]


async def forge(driver: ChatDriver, user: ChatUser, data: str) -> None:
    query = CallbackQuery(
        id="forged",
        from_user=user.as_telegram_user(),
        chat_instance=str(user.user_id),
        data=data,
    )
    await driver.deliver(Update(update_id=next(FORGED_UPDATE_IDS), callback_query=query))


async def test_officer_binds_with_staff_code_and_gets_own_commands(
    driver: ChatDriver, sms: RecordingSmsSender, session: LocalSession, alice: ChatUser
) -> None:
    await bind(driver, sms, OFFICER_ZH, seed.OFFICER_STAFF_CODE)

    assert "李经理" in driver.last(OFFICER_ZH).text
    assert "客户经理" in driver.last(OFFICER_ZH).text
    scoped = [c for c in session.calls if isinstance(c, SetMyCommands) and c.scope is not None]
    assert [getattr(c.scope, "chat_id", None) for c in scoped] == [OFFICER_ZH.user_id]
    assert "queue" in [command.command for command in scoped[0].commands]

    await driver.send(alice, "/queue")
    assert "/officer" in driver.last(alice).text


async def test_supervisor_binds_in_english(driver: ChatDriver, sms: RecordingSmsSender) -> None:
    await driver.send(SUPERVISOR_EN, "/officer")
    await driver.send(SUPERVISOR_EN, "nonsense code")
    assert "No officer has that staff code" in driver.last(SUPERVISOR_EN).text
    await driver.send(SUPERVISOR_EN, seed.SUPERVISOR_STAFF_CODE)
    assert "6-digit code" in driver.last(SUPERVISOR_EN).text
    await driver.send(SUPERVISOR_EN, "000000")
    assert "Wrong code. Attempts left: 4." in driver.last(SUPERVISOR_EN).text
    match = re.search(r"\b(\d{6})\b", sms.last_to(SUPERVISOR_EN.phone) or "")
    assert match is not None
    await driver.send(SUPERVISOR_EN, match.group(1))
    assert "supervisor" in driver.last(SUPERVISOR_EN).text


async def test_lead_card_claim_call_and_status_in_english(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    session: LocalSession,
) -> None:
    await bind(driver, sms, OFFICER_EN, seed.OFFICER_STAFF_CODE)
    lead_id = await submit(bank)
    await deliver(desk, driver)

    card = driver.last(OFFICER_EN)
    assert f"New lead {lead_id}" in card.text
    assert APPLICANT_PHONE not in card.text and "2222" in card.text
    for part in ("CN¥50,000.00", "12 months", "Score: 720", "credit card use high", "R-17"):
        assert part in card.text
    assert "(37% of the monthly cash flow)" in card.text
    assert "Claim by" in card.text  # Sunday: due on Monday morning
    assert "Nov 23, 2026, 9:30\u202fAM" in card.text

    await driver.press(OFFICER_EN, "Claim")
    claimed = driver.last(OFFICER_EN)
    assert claimed.message_id == card.message_id and claimed.edits >= 1
    assert APPLICANT_PHONE in claimed.text and "yours · claimed" in claimed.text
    assert "Contact by" in claimed.text

    await driver.press(OFFICER_EN, "Call")
    contacts = [c for c in session.calls if isinstance(c, SendContact)]
    assert contacts and contacts[-1].phone_number == APPLICANT_PHONE
    contact = driver.last(OFFICER_EN).contact
    assert contact is not None and contact.phone_number == APPLICANT_PHONE

    await driver.press(OFFICER_EN, "Status")
    await driver.press(OFFICER_EN, "contacted")
    assert "yours · contacted" in driver.seen(OFFICER_EN)[-2].text  # the card, edited
    assert len(driver.seen(OFFICER_EN)) == 5  # three binding messages, the card, the contact
    assert (await bank.get_lead(lead_id)).status == "contacted"


async def test_details_and_back_edit_the_card_in_place_and_back_again(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    await bind(driver, sms, OFFICER_EN, seed.OFFICER_STAFF_CODE)
    lead_id = await submit(bank)
    await deliver(desk, driver)
    card = driver.last(OFFICER_EN)
    first_text = card.text

    await driver.press(OFFICER_EN, "Details")
    assert "Purpose: 进货" in driver.last(OFFICER_EN).text
    await driver.press(OFFICER_EN, "Back")
    await deliver(desk, driver)  # the bank's news changes nothing on the card
    back = driver.last(OFFICER_EN)
    assert back.message_id == card.message_id and back.text == first_text
    assert back.edits == 2 and len([s for s in driver.seen(OFFICER_EN) if lead_id in s.text]) == 1


async def test_pass_goes_to_supervisor_who_reassigns_in_chinese(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    for user, code in ((OFFICER_ZH, "K001"), (OFFICER2_ZH, "K002"), (SUPERVISOR_ZH, "S001")):
        await bind(driver, sms, user, code)
    lead_id = await submit(bank)
    await deliver(desk, driver)

    await driver.press(OFFICER_ZH, "转交")
    await driver.press(OFFICER_ZH, "离我的片区太远")
    assert f"您已转交线索 {lead_id}" in card_of(driver, OFFICER_ZH, lead_id)
    await deliver(desk, driver)

    escalated = driver.last(SUPERVISOR_ZH)
    assert lead_id in escalated.text and "没有客户经理能接" in escalated.text
    assert APPLICANT_PHONE not in escalated.text
    await driver.press(SUPERVISOR_ZH, "王经理")
    assert "王经理" in session_alerts(driver)[-1]
    assert f"新线索 {lead_id}" in driver.last(OFFICER2_ZH).text


def session_alerts(driver: ChatDriver) -> list[str]:
    session = driver.session
    return list(session.alerts)


async def test_claim_race_one_wins_and_the_other_is_told_who(
    driver: ChatDriver, sms: RecordingSmsSender, bank: SandboxBank, desk: Desk
) -> None:
    await bank.run(
        lambda connection, context: admin.add_officer(
            connection, staff_code="K003", name="孙经理", phone="+8613800000103",
            territory_code=seed.NORTH, team_code=seed.RETAIL_TEAM,
        )
    )  # fmt: skip
    colleague = ChatUser("colleague", 20004, "孙经理", "en", "+8613800000103")
    await bind(driver, sms, OFFICER_EN, "K001")
    await bind(driver, sms, colleague, "K003")
    lead_id = await submit(bank, amount="150000")  # above the joint-investigation threshold
    await deliver(desk, driver)
    assert "co-investigator" in driver.last(colleague).text or "co-investigator" in (
        driver.last(OFFICER_EN).text
    )

    await asyncio.gather(driver.press(OFFICER_EN, "Claim"), driver.press(colleague, "Claim"))

    lead = await bank.get_lead(lead_id)
    assert lead.claimed_at is not None and lead.co_officer_id is not None
    texts = {user.name: driver.last(user).text for user in (OFFICER_EN, colleague)}
    assert sum("yours" in text for text in texts.values()) == 1
    assert sum("co-investigator (双人调查) with" in text for text in texts.values()) == 1
    alerts = session_alerts(driver)
    assert any("has already claimed this lead" in alert for alert in alerts)


async def test_visit_booked_and_note_saved(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    lead_id = await submit(bank)
    await deliver(desk, driver)
    await driver.press(OFFICER_EN, "Claim")
    await driver.press(OFFICER_EN, "Book visit")
    assert "Nov 23, 2026" in driver.last(OFFICER_EN).flat_buttons()[0].text  # Monday
    await driver.press(OFFICER_EN, "#1")
    await driver.press(OFFICER_EN, "10:00")
    card = card_of(driver, OFFICER_EN, lead_id)
    assert "visit booked" in card and "Visit: Nov 23, 2026, 10:00\u202fAM" in card
    visit = (await bank.get_lead(lead_id)).visit_at
    assert visit == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

    await driver.press(OFFICER_EN, "Add note")
    await driver.send(OFFICER_EN, "Shop seen, stock fine")
    assert f"Note saved on lead {lead_id}" in driver.last(OFFICER_EN).text
    notes = [event.note for event in await bank.list_lead_events(lead_id)]
    assert "Shop seen, stock fine" in notes


async def test_forged_presses_are_refused_and_logged_without_personal_data(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    alice: ChatUser,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await bind(driver, sms, OFFICER2_ZH, "K002")  # the south
    lead_id = await submit(bank)  # a northern lead
    caplog.set_level(logging.WARNING)

    await forge(driver, OFFICER2_ZH, LeadAction(action="claim", lead=lead_id).pack())
    await forge(driver, OFFICER2_ZH, LeadAction(action="call", lead=lead_id).pack())
    await forge(driver, alice, LeadAction(action="claim", lead=lead_id).pack())
    await forge(driver, OFFICER2_ZH, LeadAction(action="claim", lead="LD999999").pack())

    assert (await bank.get_lead(lead_id)).claimed_at is None
    assert session_alerts(driver)[0] == "这条线索不归您处理。"
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 4
    assert not any(APPLICANT_PHONE in line or "张伟" in line for line in caplog.messages)


async def test_unclaimed_lead_reminds_then_escalates_in_working_time(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    clock: SimulatedClock,
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    await bind(driver, sms, OFFICER2_ZH, "K002")
    await bind(driver, sms, SUPERVISOR_EN, "S001")
    lead_id = await submit(bank)  # Sunday 10:00
    await deliver(desk, driver)

    clock.move_to(MONDAY_0929)
    assert await desk.sla_checks() == 0
    clock.advance(timedelta(minutes=2))
    assert await desk.sla_checks() == 1
    reminder = driver.last(OFFICER_EN).text
    assert f"Lead {lead_id} is still waiting for your claim" in reminder
    assert "Nov 23, 2026, 11:30\u202fAM" in reminder

    clock.advance(timedelta(hours=2))
    assert await desk.sla_checks() == 1
    escalated = driver.last(SUPERVISOR_EN)
    assert "nobody claimed it in time" in escalated.text
    assert [b.text for b in escalated.flat_buttons()] == ["Reassign to 王经理"]

    await driver.press(OFFICER_EN, "Claim")
    assert "Claimed by" not in driver.last(SUPERVISOR_EN).text
    assert driver.last(SUPERVISOR_EN).flat_buttons() == []


async def test_claimed_lead_not_contacted_goes_to_the_supervisor_next_working_day(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    clock: SimulatedClock,
) -> None:
    await bind(driver, sms, OFFICER_ZH, "K001")
    await bind(driver, sms, SUPERVISOR_ZH, "S001")
    clock.move_to(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))  # Friday 16:00 in Shanghai
    lead_id = await submit(bank)
    await deliver(desk, driver)
    await driver.press(OFFICER_ZH, "认领")
    await deliver(desk, driver)

    clock.move_to(datetime(2026, 11, 30, 7, 59, tzinfo=UTC))  # Monday 15:59
    await desk.sla_checks()
    assert not any(lead_id in shown.text for shown in driver.seen(SUPERVISOR_ZH))
    clock.advance(timedelta(minutes=2))
    assert await desk.sla_checks() == 1
    assert "一个工作日内未联系" in card_of(driver, SUPERVISOR_ZH, lead_id)


async def test_post_loan_tasks_are_done_or_moved_from_the_queue(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    await bind(driver, sms, OFFICER_ZH, "K001")
    member = await desk.services.directory.by_chat(OFFICER_ZH.user_id)
    assert member is not None
    first = min(await bank.list_officer_tasks(member.officer_id), key=lambda t: t.due_on)
    await driver.send(OFFICER_ZH, "/queue")
    queue = driver.last(OFFICER_ZH)
    assert f"1. 任务 {first.id}" in queue.text  # the nearest deadline first

    await driver.press(OFFICER_ZH, "第1项改期")
    await driver.press(OFFICER_ZH, "2026年11月23日")
    await driver.send(OFFICER_ZH, "客户出差，周一再去")
    assert driver.last(OFFICER_ZH).text == f"任务 {first.id} 已改到 2026年11月23日。"
    moved = {t.id: t for t in await bank.list_officer_tasks(member.officer_id)}[first.id]
    assert moved.due_on.isoformat() == "2026-11-23" and moved.note == "客户出差，周一再去"

    await bind(driver, sms, OFFICER2_ZH, "K002")
    await forge(driver, OFFICER2_ZH, TaskAction(action="done", task=first.id).pack())
    assert session_alerts(driver)[-1] == "这项任务不归您处理。"

    await driver.press(OFFICER_ZH, "第1项完成")
    done = re.fullmatch(r"任务 (\S+) 已完成。", session_alerts(driver)[-1])
    assert done is not None
    open_ids = [t.id for t in await bank.list_officer_tasks(member.officer_id)]
    assert done.group(1) not in open_ids
    assert queue.edits == 3  # the picker, then the queue redrawn in place each time


async def test_overdue_borrowers_get_a_kind_and_a_next_step(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    await driver.send(OFFICER_EN, "/overdue")
    page = driver.last(OFFICER_EN)
    assert "Loan LN000002: 38 days overdue, special mention (关注); kind not recorded" in page.text

    await driver.press(OFFICER_EN, "willing, not able")
    assert "willing, not able" in page.text and "kind not recorded" not in page.text
    assert driver.last(OFFICER_EN).text == (
        "Next: a phone call, by Nov 23, 2026, 4:30\u202fPM. "
        "The follow-up task is moved to that day."
    )
    member = await desk.services.directory.by_chat(OFFICER_EN.user_id)
    assert member is not None
    (follow_up,) = [t for t in await bank.list_officer_tasks(member.officer_id)
                    if t.loan_id == "LN000002"]  # fmt: skip
    assert follow_up.due_on.isoformat() == "2026-11-23"


async def test_the_overdue_list_in_chinese(driver: ChatDriver, sms: RecordingSmsSender) -> None:
    await bind(driver, sms, OFFICER_ZH, "K001")
    await driver.send(OFFICER_ZH, "/overdue")
    assert "1. 贷款 LN000002：逾期 38 天，五级分类 关注；尚未分类" in driver.last(OFFICER_ZH).text
    await driver.press(OFFICER_ZH, "既无能力也无意愿")
    assert driver.last(OFFICER_ZH).text.startswith("下一步：电话联系，在 2026年11月23日")


async def test_the_supervisor_sees_the_team(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    await bind(driver, sms, OFFICER_ZH, "K001")
    await bind(driver, sms, SUPERVISOR_EN, "S001")
    lead_id = await submit(bank)
    await deliver(desk, driver)
    await driver.press(OFFICER_ZH, "认领")
    await deliver(desk, driver)  # the feed's subscriber keeps the figures /team reads
    await driver.send(SUPERVISOR_EN, "/team")
    text = driver.last(SUPERVISOR_EN).text
    assert text.startswith("Your team (officers who use the bot): this week / this month")
    assert "👤 李经理\nopen leads 1 / 1\nmedian time to claim 0 h 0 min / 0 h 0 min" in text
    assert "overdue loans owned: 1" in text
    assert (await bank.get_lead(lead_id)).claimed_at is not None

    await driver.send(OFFICER_ZH, "/team")
    assert driver.last(OFFICER_ZH).text == "/team 仅供主管使用。"


@pytest.mark.parametrize(
    ("language_code", "business"),
    [
        ("zh-hans", "零售，金牛区"),
        ("en", "Retail, Jinniu District"),
        ("ru", "Розничная торговля, район Цзиньню"),
    ],
)
async def test_the_card_names_industry_and_district_in_the_officers_language(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    language_code: str,
    business: str,
) -> None:
    officer = replace(OFFICER_ZH, language_code=language_code)
    await bind(driver, sms, officer, seed.OFFICER_STAFF_CODE)
    lead_id = await submit(bank)
    await deliver(desk, driver)
    assert business in card_of(driver, officer, lead_id)


async def test_edits_of_one_card_at_the_same_moment_get_their_own_revisions(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk
) -> None:
    await bind(driver, sms, OFFICER_EN, seed.OFFICER_STAFF_CODE)
    lead_id = await submit(bank)
    await deliver(desk, driver)
    cards, registry = desk.services.cards, desk.services.cards.registry
    lead = await bank.get_lead(lead_id)
    assert lead.officer_id is not None
    card = await registry.card(lead_id, lead.officer_id)
    member = await desk.services.directory.by_officer(lead.officer_id)
    assert card is not None and member is not None
    amounts = [Decimal(60_000 + 1_000 * n) for n in range(5)]
    versions = [lead.model_copy(update={"amount": amount}) for amount in amounts]

    await asyncio.gather(*(cards.edit(card, member, version) for version in versions))
    latest = await registry.card(lead_id, lead.officer_id)
    assert latest is not None and latest.revision == len(versions)  # 1 to 5, none shared
    await deliver(desk, driver)
    shown = card_of(driver, OFFICER_EN, lead_id)
    [winner] = [v for v, a in zip(versions, amounts, strict=True) if f"CN¥{a:,.2f}" in shown]
    await cards.edit(latest, member, winner)  # what the bot holds as shown is what is shown
    await deliver(desk, driver)
    assert card_of(driver, OFFICER_EN, lead_id) == shown
    assert len([s for s in driver.seen(OFFICER_EN) if lead_id in s.text]) == 1


async def test_the_team_figures_are_the_same_after_an_upgrade_adopts_the_feed(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, desk: Desk, redis: Redis
) -> None:
    await bind(driver, sms, OFFICER_ZH, "K001")
    await bind(driver, sms, SUPERVISOR_ZH, "S001")
    await submit(bank)
    await submit(bank, amount="80000")
    await deliver(desk, driver)
    await driver.press(OFFICER_ZH, "认领")
    await deliver(desk, driver)
    await driver.send(SUPERVISOR_ZH, "/team")
    kept = driver.last(SUPERVISOR_ZH).text
    assert "未结线索 2 / 2" in kept  # both leads are open, one of them claimed

    # as before the figures were kept: the feed was read, its history never recorded
    history = [key async for key in redis.scan_iter(OFFICERS.transitions("*"))]
    assert history and 0 < await redis.ttl(history[0]) <= 62 * 86_400  # not kept for ever
    await redis.delete(OFFICERS.routed_leads, OFFICERS.history_adopted, *history)
    await driver.send(SUPERVISOR_ZH, "/team")
    assert "未结线索 0 / 0" in driver.last(SUPERVISOR_ZH).text
    await desk.background.adopt_earlier_stores(desk.services.clock.now())
    await driver.send(SUPERVISOR_ZH, "/team")
    assert driver.last(SUPERVISOR_ZH).text == kept
