"""Reminders with the simulated clock: on time, once, never in quiet hours, by SMS when the
bot is blocked, and the buttons under them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from test_repayment_products import set_terms

from bot.background import Background, local_background
from bot.clock import SimulatedClock
from bot.config import Settings
from bot.demo.driver import ChatDriver, ChatUser
from bot.domain.reminders import Priority as ReminderPriority
from bot.factory import App, Outside, build_dispatcher, build_services, build_storage
from bot.local_session import LocalSession
from bot.pipeline.outbox import SaqOutbox
from bot.redis_keys import REMINDERS, SENDER
from bot.reminder_config import ReminderSettings
from bot.services.outbound import OutgoingMessage
from bot.worker import ReminderWorker
from integrations.bank.models import RepaymentRequest, RepaymentTerms
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender

MERCHANT = ChatUser(
    "merchant", seed.MERCHANT_CHAT_USER_ID, "陈小梅", "zh-hans", seed.MERCHANT_PHONE
)
LIU_EN = ChatUser("liu", 6001, "Liu", "en", seed.OVERDUE_CUSTOMER_PHONE)
REMINDER_MARKS = ("📅", "⚠️", "❗")


@pytest.fixture
def app(settings: Settings, redis: Redis, bank: BankAdapter, clock: SimulatedClock) -> App:
    quick = ReminderSettings(_env_file=None, chat_interval_ms=20)  # type: ignore[call-arg]
    return build_dispatcher(
        settings, redis, build_storage(redis, settings), Outside(bank, clock),
        reminder_settings=quick,
    )  # fmt: skip


class Time:
    """Moves the simulated clock (given in Shanghai time) and lets the worker catch up."""

    def __init__(self, clock: SimulatedClock, background: Background) -> None:
        self.clock, self.background = clock, background

    async def to(self, local: str) -> None:
        moment = datetime.fromisoformat(local + "+08:00").astimezone(UTC)
        self.clock.move_to(moment)
        await self.background.run_once(moment)


@pytest.fixture
def time(clock: SimulatedClock, background: Background) -> Time:
    return Time(clock, background)


@dataclass
class Site:
    """What every worker shares: Redis, the bank, the clock and the chats."""

    settings: Settings
    redis: Redis
    bank: BankAdapter
    clock: SimulatedClock
    session: LocalSession
    sms: RecordingSmsSender

    def worker(self) -> Background:
        """Another worker process: its own services and Sender."""
        quick = ReminderSettings(_env_file=None, chat_interval_ms=20)  # type: ignore[call-arg]
        services = build_services(self.settings, self.redis, Outside(self.bank, self.clock), quick)
        return local_background(services, self.session, self.sms, "42:TEST")


def reminders(driver: ChatDriver, user: ChatUser) -> list[str]:
    return [shown.text for shown in driver.seen(user) if shown.text.startswith(REMINDER_MARKS)]


async def test_the_3_day_reminder_comes_once_at_9_local(driver: ChatDriver, time: Time) -> None:
    await driver.send(MERCHANT, "/loans")
    await time.to("2026-12-05 08:59")
    assert reminders(driver, MERCHANT) == []
    await time.to("2026-12-05 09:00")
    assert reminders(driver, MERCHANT) == [
        "📅 提醒：贷款 LN000001 的 ¥2,665.46 将于 2026年12月8日到期，还有 3 天。"
        "请确保账户内余额充足。"
    ]
    buttons = [b.text for b in driver.last(MERCHANT).flat_buttons()]
    assert buttons == ["💸 立即还款", "✅ 我已还款", "🔕 关闭到期前提醒"]
    await time.to("2026-12-05 09:01")
    await time.to("2026-12-06 12:00")
    assert len(reminders(driver, MERCHANT)) == 1


async def test_quiet_hours_hold_until_8(
    driver: ChatDriver, time: Time, sms: RecordingSmsSender
) -> None:
    await time.to("2026-11-22 22:30")
    await driver.send(LIU_EN, "/loans")
    await driver.share_contact(LIU_EN)
    code = re.search(r"\d{6}", sms.last_to(LIU_EN.phone) or "")
    assert code is not None
    await driver.send(LIU_EN, code.group())
    await time.to("2026-11-22 23:00")
    await time.to("2026-11-23 07:59")
    assert reminders(driver, LIU_EN) == []
    await time.to("2026-11-23 08:00")
    assert reminders(driver, LIU_EN) == [
        "❗ Loan LN000002: CN¥4,442.44 has been overdue for 39 days (due Oct 15, 2026). "
        "Please repay it now. If you cannot, contact your loan officer today: the bank can "
        "discuss a plan with you."
    ]
    assert [b.text for b in driver.last(LIU_EN).flat_buttons()] == [
        "💸 Repay now",
        "✅ I have paid",
    ]  # fmt: skip  (overdue reminders cannot be muted)


async def test_the_overdue_sequence(driver: ChatDriver, time: Time) -> None:
    await driver.send(MERCHANT, "/loans")
    moments = [
        "2026-12-05 09:00", "2026-12-08 09:00", "2026-12-09 09:00", "2026-12-11 09:00",
        "2026-12-15 09:00", "2026-12-23 09:00", "2027-01-07 09:00",
    ]  # fmt: skip
    for moment in moments:
        await time.to(moment)
    sent = [
        text for text in reminders(driver, MERCHANT) if "2026年12月8日" in text or "今天" in text
    ]
    starts = [
        "📅 提醒：贷款 LN000001",
        "📅 今天是还款日：贷款 LN000001",
        "⚠️ 贷款 LN000001 的",
        "⚠️ 贷款 LN000001 的",
        "⚠️ 贷款 LN000001：",
        "❗ 贷款 LN000001：",
        "❗ 贷款 LN000001：",
    ]
    assert len(sent) == len(starts)
    assert all(text.startswith(start) for text, start in zip(sent, starts, strict=True))
    assert "已逾期 7 天" in sent[4] and "已逾期 30 天" in sent[6]


async def test_mute_stops_optional_reminders_only(driver: ChatDriver, time: Time) -> None:
    await driver.send(MERCHANT, "/loans")
    await time.to("2026-12-05 09:00")
    await driver.press(MERCHANT, "关闭到期前提醒")
    assert driver.last(MERCHANT).text.startswith("🔕 已关闭到期前提醒。逾期通知仍会发送。")
    await time.to("2026-12-08 09:00")
    assert len(reminders(driver, MERCHANT)) == 1
    await time.to("2026-12-09 09:00")
    assert reminders(driver, MERCHANT)[-1].startswith("⚠️ 贷款 LN000001 的 ¥2,665.46 已于")
    await driver.send(MERCHANT, "/reminders")
    await driver.press(MERCHANT, "开启提醒")
    assert driver.last(MERCHANT).text.startswith("🔔")


async def test_a_blocked_user_gets_one_sms(
    driver: ChatDriver, time: Time, session: LocalSession, sms: RecordingSmsSender
) -> None:
    await driver.send(MERCHANT, "/loans")
    blocked = TelegramForbiddenError(
        SendMessage(chat_id=MERCHANT.user_id, text=""), "Forbidden: bot was blocked by the user"
    )
    session.fail_next(blocked)
    await time.to("2026-12-05 09:00")
    await time.to("2026-12-05 10:00")
    texts = sms.messages_to(seed.MERCHANT_PHONE)
    assert len(texts) == 1
    assert texts[0].startswith("📅 提醒：贷款 LN000001 的 ¥2,665.46")
    assert texts[0].endswith("还款请发送短信：HK LN000001 2665.46")
    assert reminders(driver, MERCHANT) == []


async def test_two_workers_and_a_restart_send_each_reminder_once(
    driver: ChatDriver,
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    clock: SimulatedClock,
    session: LocalSession,
    sms: RecordingSmsSender,
) -> None:
    await driver.send(MERCHANT, "/loans")
    await driver.send(LIU_EN, "/loans")  # not bound: no reminders for this chat
    clock.move_to(datetime(2026, 12, 5, 1, 0, tzinfo=UTC))
    site = Site(settings, redis, bank, clock, session, sms)
    workers = [site.worker(), site.worker()]
    await asyncio.gather(*(worker.run_once(clock.now()) for worker in workers))
    await asyncio.gather(*(worker.run_once(clock.now()) for worker in workers))
    assert len(reminders(driver, MERCHANT)) == 1
    assert reminders(driver, LIU_EN) == []

    restarted = site.worker()
    for minutes in (1, 2, 30):
        clock.move_to(datetime(2026, 12, 5, 1, minutes, tzinfo=UTC))
        assert await restarted.reminders.tick(clock.now()) == 0  # nothing queued again
        await restarted.run_once(clock.now())
    assert len(reminders(driver, MERCHANT)) == 1
    assert await restarted.services.outbox.waiting() == 0


async def test_repay_now_and_i_have_paid(driver: ChatDriver, time: Time, bank: BankAdapter) -> None:
    await driver.send(MERCHANT, "/loans")
    await time.to("2026-12-05 09:00")
    await driver.press(MERCHANT, "立即还款")
    assert "HK LN000001 2665.46" in driver.last(MERCHANT).text
    await driver.press(MERCHANT, "我已还款")
    assert driver.last(MERCHANT).text.startswith(
        "银行尚未收到这笔还款（¥2,665.46，2026年12月8日到期）"
    )

    customer = await bank.get_binding(MERCHANT.user_id)
    assert customer.customer_id is not None
    await bank.repay_loan(
        RepaymentRequest(
            customer_id=customer.customer_id, loan_id="LN000001", amount=Decimal("1000")
        ),
        idempotency_key="test-partial",
    )
    await driver.press(MERCHANT, "我已还款")
    assert driver.last(MERCHANT).text.startswith("银行已收到这笔还款中的 ¥1,000.00")
    await time.to("2026-12-05 09:05")
    assert driver.last(MERCHANT).text.startswith("🧾 已收到还款：¥1,000.00")
    await bank.repay_loan(
        RepaymentRequest(
            customer_id=customer.customer_id, loan_id="LN000001", amount=Decimal("1665.46")
        ),
        idempotency_key="test-rest",
    )
    await driver.press(MERCHANT, "#2")  # I have paid, on the reminder
    assert driver.last(MERCHANT).text == "✅ 谢谢！银行已收到 2026年12月8日到期的还款。"
    await time.to("2026-12-08 09:00")
    assert len(reminders(driver, MERCHANT)) == 1  # paid: no due-day reminder


async def test_a_reminder_the_sender_before_the_pipeline_sent_is_not_sent_again(
    driver: ChatDriver, time: Time, redis: Redis
) -> None:
    await driver.send(MERCHANT, "/loans")
    for priority in ReminderPriority:
        for member in await redis.zrange(REMINDERS.due(priority), 0, -1):
            old_mark = SENDER.legacy_sent(f"reminder:{member.decode()}")
            await redis.set(old_mark, "sent")
    await time.to("2026-12-05 09:00")
    assert reminders(driver, MERCHANT) == []


async def test_overdue_reminders_show_the_penalty_interest_of_products_that_charge_it(
    driver: ChatDriver, time: Time, bank: BankAdapter, sms: RecordingSmsSender
) -> None:
    for loan_id in ("LN000001", "LN000002"):
        await set_terms(bank, loan_id, RepaymentTerms(penalty_uplift=Decimal(50)))
    await time.to("2026-11-23 07:00")
    await driver.send(LIU_EN, "/loans")
    await driver.share_contact(LIU_EN)
    code = re.search(r"\d{6}", sms.last_to(LIU_EN.phone) or "")
    assert code is not None
    await driver.send(LIU_EN, code.group())
    await time.to("2026-11-23 08:00")
    assert reminders(driver, LIU_EN) == [
        "❗ Loan LN000002: CN¥4,442.44 has been overdue for 39 days (due Oct 15, 2026). "
        "Please repay it now. If you cannot, contact your loan officer today: the bank can "
        "discuss a plan with you. Penalty interest so far: CN¥77.35; to settle this "
        "installment today: CN¥4,519.79."
    ]
    await driver.send(MERCHANT, "/loans")
    for moment in ("2026-12-08 09:00", "2026-12-09 09:00"):
        await time.to(moment)
    assert reminders(driver, MERCHANT)[-1] == (
        "⚠️ 贷款 LN000001 的 ¥2,665.46 已于 2026年12月8日到期，银行尚未收到。请今天还款。"
        "已经还了？请点击「我已还款」。截至今日罚息 ¥1.18，今日还清本期共需 ¥2,666.64。"
    )


class CrashingOutbox:
    """The outbox as a worker process sees it that dies after queuing the first `survive`
    messages of a batch (all of them: it dies before the keys leave the index)."""

    def __init__(self, outbox: SaqOutbox, survive: int) -> None:
        self.outbox, self.survive = outbox, survive

    async def enqueue(self, message: OutgoingMessage) -> bool:
        return await self.outbox.enqueue(message)

    async def enqueue_all(self, messages: Sequence[OutgoingMessage]) -> list[bool]:
        assert len(messages) == 2  # both chats' reminders in one batch
        await self.outbox.enqueue_all(messages[: self.survive])
        raise RedisConnectionError("the worker process died")


@pytest.mark.parametrize("survive", [0, 1, 2])
async def test_a_worker_dying_in_the_middle_of_a_batch_leaves_each_reminder_sent_once(
    survive: int,
    driver: ChatDriver,
    settings: Settings,
    redis: Redis,
    bank: BankAdapter,
    clock: SimulatedClock,
    session: LocalSession,
    sms: RecordingSmsSender,
    time: Time,
) -> None:
    await time.to("2026-11-22 22:30")  # quiet hours: nothing is sent yet
    await driver.send(MERCHANT, "/loans")
    await driver.send(LIU_EN, "/loans")
    await driver.share_contact(LIU_EN)
    code = re.search(r"\d{6}", sms.last_to(LIU_EN.phone) or "")
    assert code is not None
    await driver.send(LIU_EN, code.group())
    clock.move_to(datetime(2026, 12, 5, 1, 0, tzinfo=UTC))
    site = Site(settings, redis, bank, clock, session, sms)
    dying = site.worker()
    reminders_of = dying.services.reminders
    crashing = ReminderWorker(
        reminders_of, CrashingOutbox(dying.services.outbox, survive), dying.services.i18n,
        settings.currency, budget=100,
    )  # fmt: skip
    with pytest.raises(RedisConnectionError):
        await crashing.tick(clock.now())

    restarted = site.worker()
    for minutes in (0, 1, 30):
        clock.move_to(datetime(2026, 12, 5, 1, minutes, tzinfo=UTC))
        await restarted.run_once(clock.now())
    assert len(reminders(driver, MERCHANT)) == 1
    assert len(reminders(driver, LIU_EN)) == 1
    assert await restarted.reminders.tick(clock.now()) == 0  # nothing left to queue
    assert await restarted.services.outbox.waiting() == 0
