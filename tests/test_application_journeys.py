"""The loan pre-application, as merchants go through it in Chinese and in English."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiogram.types import CallbackQuery, Message, Update
from redis.asyncio import Redis

from bot.background import Background, local_background
from bot.clock import SimulatedClock
from bot.config import Settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.demo.personas import PERSONAS
from bot.factory import App, Outside, build_bot, build_dispatcher, build_storage
from bot.i18n import locale_from_language_code
from bot.local_session import LocalSession
from bot.redis_keys import LATER
from bot.services.lead_outbox import LeadDelivery
from bot.supervision import supervise
from integrations.bank.errors import BankUnavailable
from integrations.bank.models import Lead, LeadStatusChanged, LeadSubmission
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender

CHEN = ChatUser("chen", 5101, "陈", "zh-hans", "+8613880000101")  # a Chengdu number
BEN = ChatUser("ben", 5102, "Ben", "en", "+8618980000102")
REFERENCE = re.compile(r"L[0-9A-Z-]+")

SOUND = {
    "name": "陈小梅",
    "industry": "零售",
    "district": "金牛区",
    "months_operating": "3年",
    "employees": "2",
    "daily_sales": "3000",
    "monthly_sales": "8万",
    "monthly_costs": "5万",
    "household_spending": "8000",
    "debt_payments": "0",
    "cards": "5万/1万",
    "amount": "5万",
    "months": "12",
    "purpose": "进货",
}


def seen_by(user: ChatUser, chinese_name: str) -> str:
    """The button label a user sees for the sandbox bank's industry or district of that name
    (any other label, like "#1", as it is)."""
    items = {item.name: item for item in (*seed.DISTRICTS, *seed.INDUSTRIES)}
    if chinese_name not in items:
        return chinese_name
    return items[chinese_name].name_in(locale_from_language_code(user.language_code) or "zh_Hans")


async def start_application(driver: ChatDriver, user: ChatUser, command: str = "/apply") -> None:
    await driver.send(user, command)
    await driver.press(user, "#1")  # agree
    await driver.press(user, "📱")  # share the contact


async def answer_all(driver: ChatDriver, user: ChatUser, **changes: str) -> None:
    """From the name to the summary, with the sound answers unless changed."""
    answers = {**SOUND, **changes}
    await driver.send(user, answers["name"])
    await driver.press(user, seen_by(user, answers["industry"]))
    await driver.press(user, seen_by(user, answers["district"]))
    await driver.send(user, answers["months_operating"])
    await driver.send(user, answers["employees"])
    await driver.press(user, "#1")  # premises owned
    for key in ("daily_sales", "monthly_sales", "monthly_costs", "household_spending"):
        await driver.send(user, answers[key])
    await driver.press(user, "#1")  # assets: home
    await driver.press(user, "#4")  # done
    await driver.send(user, answers["debt_payments"])
    await driver.send(user, answers["cards"])
    await driver.send(user, answers["amount"])
    await driver.send(user, answers["months"])
    await driver.press(user, "#1")  # equal installments
    await driver.send(user, answers["purpose"])
    await driver.press(user, "#2")  # guarantor: spouse
    await driver.press(user, "#1")  # call in the morning


def texts(driver: ChatDriver, user: ChatUser) -> str:
    return "\n".join(shown.text for shown in driver.seen(user))


def reference_of(driver: ChatDriver, user: ChatUser) -> str:
    found = REFERENCE.findall(texts(driver, user))
    assert found, texts(driver, user)[-500:]
    return str(found[-1])


@pytest.mark.parametrize(
    ("user", "progress", "received", "summary"),
    [
        (CHEN, "1/20", "已收到", "请核对"),
        (BEN, "1/20", "Received", "Please check your application"),
    ],
)
async def test_a_sound_application_reaches_the_right_officers_queue(
    driver: ChatDriver,
    bank: BankAdapter,
    user: ChatUser,
    progress: str,
    received: str,
    summary: str,
) -> None:
    await start_application(driver, user)
    assert progress in texts(driver, user)
    await answer_all(driver, user)
    assert summary in driver.last(user).text
    assert "5万" not in driver.last(user).text and "50,000" in driver.last(user).text.replace(
        "¥", ""
    ).replace("CN", "")
    await driver.press(user, "#7")  # submit
    assert received in texts(driver, user)
    lead = await bank.get_lead(reference_of(driver, user))
    assert lead.flags == [] and lead.score is not None
    assert lead.details["score_factors"]["guarantor"] == 50
    officer = await bank.get_officer(lead.officer_id or "")
    assert officer.staff_code == "K001"  # 金牛区 is the north territory, retail team
    assert lead.id in [queued.id for queued in await bank.list_officer_queue(officer.id)]
    report = await bank.delete_person_data(user.phone)  # shows what the bank kept
    assert "consents: 1" in report.deleted  # the consent and the 征信 authorisation, once


async def test_a_referral_link_is_recorded_on_the_lead(
    driver: ChatDriver, bank: BankAdapter
) -> None:
    await start_application(driver, BEN, "/start ref_K001")
    await answer_all(driver, BEN)
    await driver.press(BEN, "#7")
    lead = await bank.get_lead(reference_of(driver, BEN))
    assert lead.referral_code == "K001"


async def test_every_bad_answer_is_refused_with_the_reason_and_an_example(
    driver: ChatDriver,
) -> None:
    user = BEN
    await start_application(driver, user)
    await driver.send(user, "12345")
    assert "For example: 陈小梅" in driver.last(user).text
    await driver.send(user, "Ben Chen")
    await driver.send(user, "retail")  # must use the buttons
    assert "buttons" in texts(driver, user)
    await driver.press(user, seen_by(user, "零售"))
    await driver.press(user, seen_by(user, "金牛区"))
    await driver.send(user, "a while")
    assert "2 years" in driver.last(user).text
    await driver.send(user, "18 months")
    await driver.send(user, "many")
    assert "whole number" in driver.last(user).text
    await driver.press(user, "Skip")
    await driver.press(user, "#2")  # rented
    await driver.send(user, "0")
    assert "above zero" in driver.last(user).text
    await driver.send(user, "abc")
    assert "5万" in driver.last(user).text or "50000" in driver.last(user).text
    for answer in ("3000", "8万", "5万", "8000"):
        await driver.send(user, answer)
    await driver.press(user, "Skip")  # no assets
    await driver.press(user, "Skip")  # no loans
    await driver.send(user, "5万")
    assert "separated by /" in driver.last(user).text
    await driver.send(user, "1万/5万")
    assert "cannot be above the limit" in driver.last(user).text
    await driver.press(user, "Skip")
    await driver.send(user, "100")
    assert "Please send an amount from" in driver.last(user).text
    await driver.send(user, "5万")
    await driver.send(user, "99")
    assert "number of months from 1 to 24" in driver.last(user).text
    await driver.press(user, "12")
    await driver.press(user, "#1")
    await driver.send(user, "x")
    assert "what the loan is for" in driver.last(user).text


async def test_back_edit_and_cancel(driver: ChatDriver, redis: Redis) -> None:
    user = BEN
    await start_application(driver, user)
    await driver.send(user, "Ben Chen")
    await driver.press(user, "Back")
    assert "full name" in driver.last(user).text
    await driver.send(user, "Benjamin Chen")
    await driver.press(user, seen_by(user, "零售"))
    assert "3/20" not in driver.last(user).text and "4/20" in driver.last(user).text
    await driver.press(user, "Cancel")
    assert "will be deleted" in driver.last(user).text  # asked first
    await driver.press(user, "Yes, delete")
    assert "Nothing was kept" in driver.last(user).text
    await start_application(driver, user)
    await answer_all(driver, user, name="Ben Chen")
    await driver.press(user, "The loan")  # edit the loan section: only its questions
    assert "15/20" in driver.last(user).text
    await driver.send(user, "6万")
    await driver.send(user, "12")
    await driver.press(user, "#1")
    await driver.press(user, "Back")
    assert "17/20" in driver.last(user).text
    await driver.press(user, "#1")
    await driver.send(user, "new stock")
    summary = driver.last(user).text
    assert "60,000" in summary and "new stock" in summary and "Ben Chen" in summary
    await driver.press(user, "Cancel")
    await driver.press(user, "Yes, delete")
    assert "Nothing was kept" in driver.last(user).text


async def test_an_application_resumes_after_a_restart(
    driver: ChatDriver,
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    clock: SimulatedClock,
    session: LocalSession,
) -> None:
    user = CHEN
    await start_application(driver, user)
    await driver.send(user, "陈小梅")
    await driver.press(user, seen_by(user, "零售"))
    storage = build_storage(redis, settings)
    restarted = build_dispatcher(settings, redis, storage, Outside(bank, clock))
    bot = build_bot("42:TEST", settings, restarted.storage, session=session)
    again = ChatDriver(restarted.dispatcher, bot, session)
    await again.send(user, "/start")
    assert "4" in again.last(user).text and "20" in again.last(user).text
    await again.press(user, "#1")  # continue
    assert "4/20" in again.last(user).text
    await again.press(user, seen_by(user, "金牛区"))
    assert "5/20" in again.last(user).text
    await bot.session.close()


async def test_a_calculator_result_carries_its_loan_into_the_application(
    driver: ChatDriver, bank: BankAdapter
) -> None:
    user = BEN
    await driver.send(user, "/calc")
    await driver.send(user, "60000")
    await driver.press(user, "18")
    await driver.press(user, "#2")  # equal principal
    await driver.press(user, "Apply with these numbers")
    await driver.press(user, "#1")
    await driver.press(user, "📱")
    await driver.send(user, "Ben Chen")
    await driver.press(user, seen_by(user, "零售"))
    await driver.press(user, seen_by(user, "金牛区"))
    for answer in ("3 years", "2"):
        await driver.send(user, answer)
    await driver.press(user, "#1")
    for answer in ("3000", "8万", "5万", "8000"):
        await driver.send(user, answer)
    await driver.press(user, "Skip")
    await driver.press(user, "Skip")
    await driver.press(user, "Skip")
    assert "18/20" in driver.last(user).text  # amount, term and plan came from the calculator
    await driver.send(user, "stock")
    await driver.press(user, "#1")
    await driver.press(user, "#4")
    summary = driver.last(user).text
    assert "60,000" in summary and "18 months" in summary and "Equal principal" in summary


async def test_someone_elses_contact_is_refused(driver: ChatDriver) -> None:
    await driver.send(BEN, "/apply")
    await driver.press(BEN, "#1")
    await driver.share_contact(BEN, phone="+8613880009999", owner_id=777)
    assert "someone else's contact" in driver.last(BEN).text
    await driver.share_contact(BEN)
    assert "2/20" in driver.last(BEN).text


async def keys_naming(redis: Redis, user: ChatUser) -> list[str]:
    """Keys with the user's id as a whole number (a random update id may contain its digits)."""
    names_user = re.compile(rf"(?<!\d){user.user_id}(?!\d)")
    return [key.decode() for key in await redis.keys("*") if names_user.search(key.decode())]


async def test_declining_consent_keeps_nothing(driver: ChatDriver, redis: Redis, app: App) -> None:
    await driver.send(CHEN, "/apply")
    await driver.press(CHEN, "#2")  # decline
    await app.storage.drain()
    assert await keys_naming(redis, CHEN) == []


async def test_red_flags_send_the_lead_to_review_with_its_flags(
    driver: ChatDriver, bank: BankAdapter
) -> None:
    far_away = ChatUser("far", 5103, "Far", "en", "+8613911112222")  # a Beijing number
    await start_application(driver, far_away)
    await answer_all(driver, far_away, cards="10万/9万", daily_sales="5000")
    await driver.press(far_away, "#7")
    lead = await bank.get_lead(reference_of(driver, far_away))
    assert set(lead.flags) == {"phone_elsewhere", "card_use_high", "sales_mismatch"}
    assert lead.details["outcome"] == "review"


async def test_not_now_explains_why_and_offers_what_fits(driver: ChatDriver) -> None:
    user = BEN
    await start_application(driver, user)
    await answer_all(driver, user, amount="20万", months="6")
    await driver.press(user, "#7")
    shown = driver.last(user).text
    assert "Not now" in shown and "can spare" in shown
    assert "for the same term" in shown and "over 23 months" in shown
    await driver.press(user, "Borrow")
    assert "Please check your application" in driver.last(user).text
    await driver.press(user, "#7")
    assert "Received" in texts(driver, user)


async def test_not_now_can_remind_the_merchant_later(
    driver: ChatDriver, clock: SimulatedClock, background: Background
) -> None:
    user = CHEN
    await start_application(driver, user)
    await answer_all(driver, user, months_operating="3个月")
    await driver.press(user, "#7")
    assert "暂时不行" in driver.last(user).text or "不行" in driver.last(user).text
    await driver.press(user, "⏰")
    assert driver.last(user).text.startswith("好的。我会在 2027年2月22日 提醒您")  # in 3 months
    await background.run_once(clock.now())
    assert driver.last(user).text.startswith("好的。")  # not due yet
    clock.advance(timedelta(days=92))
    await background.run_once(clock.now())
    assert driver.last(user).text.startswith("您之前让我提醒您贷款的事。")
    count = len(driver.seen(user))
    await background.run_once(clock.now())
    assert len(driver.seen(user)) == count  # once


class FlakyBank:
    """The bank's lead intake is down for the first `failures` submissions."""

    def __init__(self, bank: BankAdapter, failures: int) -> None:
        self.bank = bank
        self.failures = failures
        self.calls = 0

    async def submit_lead(self, submission: LeadSubmission, *, idempotency_key: str) -> Lead:
        self.calls += 1
        if self.calls <= self.failures:
            raise BankUnavailable()
        return await self.bank.submit_lead(submission, idempotency_key=idempotency_key)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.bank, name)


@pytest.fixture
async def flaky(
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    clock: SimulatedClock,
    session: LocalSession,
    sms: RecordingSmsSender,
) -> AsyncIterator[tuple[ChatDriver, FlakyBank, App]]:
    outside_bank = FlakyBank(bank, failures=3)
    outside = Outside(outside_bank, clock)  # type: ignore[arg-type]
    app = build_dispatcher(settings, redis, build_storage(redis, settings), outside)
    bot = build_bot("42:TEST", settings, app.storage, session=session)
    outbound = local_background(app.services, session, sms, "42:TEST").outbound
    driver = ChatDriver(app.dispatcher, bot, session, settle=lambda: outbound.run_due(clock.now()))
    yield driver, outside_bank, app
    await bot.session.close()


async def test_the_bank_down_at_submit_still_gets_the_lead_exactly_once(
    flaky: tuple[ChatDriver, FlakyBank, App], bank: BankAdapter, settings: Settings
) -> None:
    driver, outside_bank, app = flaky
    await start_application(driver, BEN)
    await answer_all(driver, BEN)
    await driver.press(BEN, "#7")
    assert "Received" in texts(driver, BEN)
    assert "will reach a loan officer as soon as the bank is back" in driver.last(BEN).text
    assert not REFERENCE.search(texts(driver, BEN).split("Received")[-1])
    delivery: LeadDelivery = app.services.delivery
    messenger = app.services.lead_messenger
    stop = asyncio.Event()
    worker = asyncio.create_task(
        supervise("lead-delivery", lambda: delivery.run(messenger, stop), stop)
    )
    try:
        await driver.settle_until(lambda: "Reference number" in texts(driver, BEN), timeout=30)
    finally:
        stop.set()
        await worker
    assert outside_bank.calls == 4  # Submit's own try, two probes, the probe that got through
    reference = reference_of(driver, BEN)
    assert texts(driver, BEN).count("Reference number") == 1
    lead = await bank.get_lead(reference)
    queue = await bank.list_officer_queue(lead.officer_id or "")
    assert [queued.id for queued in queue].count(reference) == 1
    assert await delivery.retry_due(messenger) == 0
    assert not await delivery.bank_down()


async def test_submit_pressed_twice_or_delivered_twice_makes_one_lead(
    driver: ChatDriver, bank: BankAdapter
) -> None:
    await start_application(driver, BEN)
    await answer_all(driver, BEN)
    shown = driver.last(BEN)
    submit = shown.flat_buttons()[6]
    press = _press(BEN, shown.message_id, shown.text, submit.callback_data or "")
    await driver.deliver(press(1))
    await driver.deliver(press(1))  # the same update again
    await driver.deliver(press(2))  # pressed again
    assert texts(driver, BEN).count("Reference number") == 1
    reference = reference_of(driver, BEN)
    lead = await bank.get_lead(reference)
    queue = await bank.list_officer_queue(lead.officer_id or "")
    assert len([queued for queued in queue if queued.applicant_name == "陈小梅"]) == 1


def _press(user: ChatUser, message_id: int, text: str, data: str) -> Any:
    def update(number: int) -> Update:
        message = Message(
            message_id=message_id, date=datetime.now(UTC), chat=user.chat(), text=text
        )
        query = CallbackQuery(
            id=str(number),
            from_user=user.as_telegram_user(),
            chat_instance="1",
            message=message,
            data=data,
        )
        return Update(update_id=900000 + number, callback_query=query)

    return update


async def test_forget_deletes_everything_after_a_confirmation(
    driver: ChatDriver, bank: BankAdapter, redis: Redis, app: App
) -> None:
    await start_application(driver, BEN)
    await answer_all(driver, BEN)
    await driver.press(BEN, "#7")
    reference = reference_of(driver, BEN)
    await driver.send(BEN, "/forget")
    await driver.press(BEN, "Delete everything")
    assert "deleted everything" in driver.last(BEN).text
    await app.storage.drain()
    assert await keys_naming(redis, BEN) == []
    with pytest.raises(Exception):  # noqa: B017 - the bank erased the application
        await bank.get_lead(reference)


async def test_status_changes_reach_the_merchant_in_their_language(
    driver: ChatDriver, bank: BankAdapter, app: App, background: Background
) -> None:
    await start_application(driver, CHEN)
    await answer_all(driver, CHEN)
    await driver.press(CHEN, "#7")
    assert "申请编号" in texts(driver, CHEN)
    lead = await bank.get_lead(reference_of(driver, CHEN))
    await bank.claim_lead(lead.id, lead.officer_id or "")
    delivery: LeadDelivery = app.services.delivery
    messenger = app.services.lead_messenger
    for event in (await bank.list_events()).events:
        if isinstance(event, LeadStatusChanged):
            await delivery.relay(event, messenger)
    await background.outbound.run_due(app.services.clock.now())
    assert "李经理 正在处理您的申请" in driver.last(CHEN).text


async def test_drafts_expire_after_the_configured_days(
    driver: ChatDriver, redis: Redis, settings: Settings, app: App
) -> None:
    await start_application(driver, BEN)
    await driver.send(BEN, "Ben Chen")
    await app.storage.drain()
    data_keys = [key for key in await redis.keys(f"*fsm:*{BEN.user_id}*:data")]
    assert data_keys
    ttl = await redis.ttl(data_keys[0])
    assert settings.draft_ttl_seconds - 60 < ttl <= settings.draft_ttl_seconds


async def test_bad_answers_are_explained_in_chinese(driver: ChatDriver) -> None:
    await start_application(driver, CHEN)
    await driver.send(CHEN, "12345")
    assert "请用文字发送姓名" in driver.last(CHEN).text
    await driver.share_contact(CHEN, phone="+8613880009999", owner_id=777)
    assert "请使用下方按钮" in driver.last(CHEN).text or "别人" in driver.last(CHEN).text


async def test_the_merchant_hears_of_the_visit_and_is_reminded_the_day_before(
    driver: ChatDriver,
    bank: BankAdapter,
    clock: SimulatedClock,
    sms: RecordingSmsSender,
    background: Background,
) -> None:
    officer = PERSONAS["officer"]
    await driver.send(officer, "/officer")
    await driver.send(officer, "K001")
    code = re.search(r"\b(\d{6})\b", sms.last_to(officer.phone) or "")
    assert code is not None
    await driver.send(officer, code.group(1))

    await start_application(driver, CHEN)
    await answer_all(driver, CHEN)
    await driver.press(CHEN, "#7")
    await background.run_once(clock.now())  # the officer's card arrives
    await driver.press(officer, "认领")
    await driver.press(officer, "预约上门")
    await driver.press(officer, "#2")  # the second working day offered: Tuesday 24 November
    await driver.press(officer, "10:00")
    await background.run_once(clock.now())
    booked = driver.last(CHEN)
    assert booked.text.startswith("📅 李经理 将于 2026年11月24日 10:00 上门")

    clock.move_to(datetime(2026, 11, 23, 1, 59, tzinfo=UTC))  # Monday 09:59 in Shanghai
    await background.run_once(clock.now())
    assert driver.last(CHEN) is booked
    clock.move_to(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # a day before the visit
    await background.run_once(clock.now())
    assert driver.last(CHEN).text.startswith("⏰ 提醒：李经理 明天 2026年11月24日 10:00")
    await background.run_once(clock.now())
    assert len([m for m in driver.seen(CHEN) if m.text.startswith("⏰")]) == 1


async def test_what_the_store_before_the_pipeline_owed_is_still_sent(
    driver: ChatDriver, clock: SimulatedClock, background: Background, redis: Redis
) -> None:
    due = clock.now() + timedelta(days=1)
    payload = {"kind": "reapply", "user_id": BEN.user_id, "locale": "en", "details": {}}
    await redis.zadd(LATER.legacy_due, {f"{BEN.user_id}:reapply": due.timestamp()})
    await redis.hset(LATER.legacy_payload, f"{BEN.user_id}:reapply", json.dumps(payload))  # type: ignore[misc]  # redis-py 7 types
    await background.adopt_earlier_stores(clock.now())
    await background.run_once(clock.now())
    assert driver.seen(BEN) == []
    clock.advance(timedelta(days=1))
    await background.run_once(clock.now())
    assert driver.last(BEN).text.startswith("You asked me to remind you")
    assert not await redis.exists(LATER.legacy_due)


async def test_a_shorter_term_from_the_summary_asks_the_plan_again(driver: ChatDriver) -> None:
    """The loan edited to 3 months, then Back to the summary before the plan question was
    answered, once left "principal every 6 months" on a 3-month loan and submitted it."""
    user = BEN
    await start_application(driver, user)
    await answer_all(driver, user)
    await driver.press(user, "The loan")
    await driver.send(user, "5万")
    await driver.send(user, "12")
    await driver.press(user, "principal every 6 months")
    await driver.send(user, "stock")
    assert "principal every 6 months" in driver.last(user).text  # the summary
    await driver.press(user, "The loan")
    await driver.send(user, "5万")
    await driver.send(user, "3")
    asked = driver.last(user).text
    assert "17/20" in asked and "What you chose before is no longer offered" in asked, asked
    assert "principal every 6 months" not in str(driver.last(user).flat_buttons())
    for _ in range(3):  # back to the amount, then to the summary
        await driver.press(user, "Back")
    asked = driver.last(user).text
    assert "17/20" in asked and "Not available for 3 months" in asked, asked
    assert "What you chose before is no longer offered: please choose again." in asked
    await driver.press(user, "#1")  # equal installments
    summary = driver.last(user).text
    assert "Please check your application" in summary, summary
    assert "3 months" in summary and "Equal monthly installments" in summary
    assert "principal every 6 months" not in summary
