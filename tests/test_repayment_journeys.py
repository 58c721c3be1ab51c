"""Early and partial repayment in the chat and by SMS: DK shows the payoff today, HK ALL
early in the term charges principal and interest to today only, an amount above what is due
asks lower installments or a shorter term and previews the new schedule, an overdue loan is
paid off; in Chinese and English (Russian where the text is new)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from decimal import Decimal
from functools import partial

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis
from test_sms_commands import SECRET, Phone

from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.redis_keys import SMS
from bot.sms_channel import SmsCommandChannel
from integrations.bank.models import LoanStatus
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import admin, seed
from integrations.bank.sandbox.core import SandboxBank
from integrations.sms.inbound import SmsAuth, build_sms_app
from integrations.sms.outbound import RecordingSmsSender

MERCHANT = seed.MERCHANT_CHAT_USER_ID
MERCHANT_ZH = ChatUser("merchant", MERCHANT, "陈小梅", "zh-hans", seed.MERCHANT_PHONE)
MERCHANT_EN = ChatUser("merchant", MERCHANT, "Mei", "en", seed.MERCHANT_PHONE)
MERCHANT_RU = ChatUser("merchant", MERCHANT, "Мэй", "ru", seed.MERCHANT_PHONE)
LOAN = "LN000001"


@pytest.fixture
async def gateway(app: App, redis: Redis, sms: RecordingSmsSender) -> AsyncIterator[TestClient]:
    channel = SmsCommandChannel(app.services.money_commands, sms, app.i18n, app.settings)
    web_app = build_sms_app(channel, redis, SmsAuth(hmac_secret=SECRET), SMS.seen)
    async with TestClient(TestServer(web_app)) as client:
        yield client


def latest_code(sms: RecordingSmsSender, phone: str = seed.MERCHANT_PHONE) -> str:
    found = re.search(r"[0-9]{6}", sms.last_to(phone) or "")
    assert found
    return found.group()


async def deposit(bank: BankAdapter, customer_id: str, amount: str) -> None:
    assert isinstance(bank, SandboxBank)
    [account] = (await bank.list_accounts(customer_id))[:1]
    await bank.run(partial(admin.deposit, account_id=account.id, amount=Decimal(amount)))


async def merchant_id(bank: BankAdapter) -> str:
    binding = await bank.get_binding(MERCHANT)
    assert binding.customer_id
    return binding.customer_id


async def test_dk_shows_the_next_installment_and_the_payoff_today(driver: ChatDriver) -> None:
    await driver.send(MERCHANT_ZH, "DK")
    assert driver.last(MERCHANT_ZH).text == (
        "贷款 LN000001（****0001）。\n下期还款 ¥2,665.46，到期日 2026年12月8日。\n"
        "今日结清：¥27,763.50（本金 ¥27,634.54 + 截至今日利息 ¥128.96）。"
    )
    await driver.send(MERCHANT_EN, "LOAN")
    assert "Pay off today: CN¥27,763.50 (principal CN¥27,634.54 + interest to today CN¥128.96)" in (
        driver.last(MERCHANT_EN).text
    )
    await driver.send(MERCHANT_RU, "DK")
    assert "Погасить сегодня: 27\xa0763,50\xa0CN¥ (основной долг" in driver.last(MERCHANT_RU).text


async def test_hk_all_early_in_the_term_charges_principal_and_interest_to_today(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    customer = await merchant_id(bank)
    await deposit(bank, customer, "30000")
    before = (await bank.list_accounts(customer))[0].available_balance
    await driver.send(MERCHANT_ZH, "HK ALL")
    preview = driver.last(MERCHANT_ZH).text
    assert "金额：¥27,763.50" in preview
    assert "今日结清：¥27,763.50（本金 ¥27,634.54 + 截至今日利息 ¥128.96）" in preview
    await driver.send(MERCHANT_ZH, f"QR {latest_code(sms)}")
    done = driver.last(MERCHANT_ZH).text
    assert "交易完成" in done and "贷款已结清。" in done
    assert "按顺序抵扣：罚息 ¥0.00，费用 ¥0.00，利息 ¥128.96，本金 ¥27,634.54。" in done
    assert (await bank.get_loan(LOAN)).status is LoanStatus.CLOSED
    after = (await bank.list_accounts(customer))[0].available_balance
    assert before - after == Decimal("27763.50")  # not the ¥29,320.11 of all unpaid rows


async def test_a_prepayment_in_the_chat_asks_the_kind_then_shows_the_new_schedule(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    await driver.send(MERCHANT_EN, "HK 5000")
    choice = driver.last(MERCHANT_EN)
    assert choice.text == (
        "CN¥5,000.00 is more than is due now: the extra repays principal early. Choose how:\n"
        "Lower installments: 10 left, about CN¥2,416.11 each, interest saved CN¥159.01.\n"
        "Shorter term: 10 left, the last CN¥56.71, interest saved CN¥274.26.\n"
        "Send HK 5000 JG for lower installments or HK 5000 SQ for a shorter term."
    )
    assert [b.text for b in choice.flat_buttons()] == ["Lower installments", "Shorter term"]
    await driver.press(MERCHANT_EN, "Shorter term")
    preview = driver.last(MERCHANT_EN).text
    assert (
        "Applied in this order: penalty interest CN¥0.00, fees CN¥0.00, interest CN¥128.96, "
        "principal CN¥4,871.04." in preview
    )
    assert (
        "New schedule:\n3. Jan 8, 2027 CN¥2,665.46\n4. Feb 8, 2027 CN¥2,665.46\n…\n"
        "12. Oct 8, 2027 CN¥56.71\nInterest saved: CN¥274.26" in preview
    )
    await driver.send(MERCHANT_EN, f"QR {latest_code(sms)}")
    assert "Done." in driver.last(MERCHANT_EN).text
    loan = await bank.get_loan(LOAN)
    assert loan.schedule[-1].total == Decimal("56.71")
    assert loan.outstanding_principal == Decimal("27634.54") - Decimal("4871.04")


async def test_a_prepayment_lowering_the_installments_in_chinese_and_a_stale_press(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    await driver.send(MERCHANT_ZH, "还款 5000")
    choice = driver.last(MERCHANT_ZH)
    assert "减少月供：剩余 10 期，每期约 ¥2,416.11，节省利息 ¥159.01。" in choice.text
    await driver.press(MERCHANT_ZH, "减少月供")
    preview = driver.last(MERCHANT_ZH).text
    assert "新还款计划：\n3. 2027年1月8日 ¥2,416.11" in preview and "节省利息：¥159.01" in preview
    await driver.send(MERCHANT_ZH, "QX")
    again = next(b for b in choice.flat_buttons() if b.text == "减少月供")
    await driver._press_inline(MERCHANT_ZH, choice, again)  # the old choice, pressed again
    assert driver.session.alerts[-1] == "此按钮已失效。"
    assert (await bank.get_loan(LOAN)).outstanding_principal == Decimal("27634.54")


async def test_prepayments_by_sms_name_their_kind_after_the_amount(
    gateway: TestClient, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    phone = Phone(gateway, sms)
    await phone.text("HK 5000")
    assert "发送 HK 5000 JG 减少月供，或 HK 5000 SQ 缩短期限。" in "".join(phone.inbox()[-4:])
    await phone.text("HK 5000 JG")
    assert "减少月供" in "".join(phone.inbox()[-6:])
    await phone.text(f"QR {phone.code()}")
    lowered = await bank.get_loan(LOAN)
    assert [item.total for item in lowered.schedule[2:4]] == [Decimal("2416.11")] * 2
    await deposit(bank, await merchant_id(bank), "3000")
    await phone.text("还款 3000 缩期")
    await phone.text(f"QR {phone.code()}")
    shortened = await bank.get_loan(LOAN)
    assert len(shortened.schedule) < len(lowered.schedule)
    assert sum(item.principal for item in shortened.schedule) == Decimal("30000.00")
    await phone.text("? HK")
    assert "JG" in "".join(phone.inbox()[-2:]) and "SQ" in "".join(phone.inbox()[-2:])


async def test_an_overdue_loan_is_paid_off_by_sms(
    gateway: TestClient, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    phone = Phone(gateway, sms, seed.OVERDUE_CUSTOMER_PHONE)
    await phone.text("DK")
    shown = "".join(phone.inbox()[-3:])
    assert "已逾期：¥8,884.88。" in shown and "今日结清：¥42,956.31" in shown
    customer = await bank.find_customer_by_phone(seed.OVERDUE_CUSTOMER_PHONE)
    await deposit(bank, customer.id, "50000")
    await phone.text("HK ALL")
    await phone.text(f"QR {phone.code()}")
    assert "贷款已结清。" in "".join(phone.inbox()[-4:])
    assert (await bank.get_loan("LN000002")).status is LoanStatus.CLOSED


async def test_the_repay_button_under_loans_starts_the_preview_and_the_code(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    await driver.send(MERCHANT_ZH, "📋 我的贷款")
    await driver.press(MERCHANT_ZH, "💸 还款 LN000001")
    offer = driver.last(MERCHANT_ZH)
    assert offer.text == "归还贷款 LN000001：请选择金额；银行会发送验证码供您确认。"
    assert [b.text for b in offer.flat_buttons()] == [
        "本期应还 ¥2,665.46", "今日结清 ¥27,763.50",
    ]  # fmt: skip
    await driver.press(MERCHANT_ZH, "本期应还")
    preview = driver.last(MERCHANT_ZH)
    assert "归还贷款 LN000001（****0001）" in preview.text and "金额：¥2,665.46" in preview.text
    assert [b.text for b in preview.flat_buttons()] == ["✅ 确认", "✖️ 取消"]
    await driver.send(MERCHANT_ZH, f"QR {latest_code(sms)}")
    assert "交易完成" in driver.last(MERCHANT_ZH).text
    loan = await bank.get_loan(LOAN)
    assert loan.next_due is not None and loan.next_due.installment_number == 3


async def test_the_choice_in_russian_and_a_payoff_by_sms_in_english(
    driver: ChatDriver, gateway: TestClient, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    await driver.send(MERCHANT_RU, "HK 5000")
    choice = driver.last(MERCHANT_RU)
    assert "Короче срок: осталось платежей 10, последний 56,71\xa0CN¥" in choice.text
    assert [b.text for b in choice.flat_buttons()] == ["Меньше платёж", "Короче срок"]
    await deposit(bank, await merchant_id(bank), "30000")
    phone = Phone(gateway, sms)
    await phone.text("REPAY ALL")
    await phone.text("OK " + phone.code())
    await phone.text("LOAN")
    assert phone.last() == "You have no active loans."
