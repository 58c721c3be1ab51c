"""Customers bind their chat and look up balances, loans, due dates and statements."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.views.reminders import ReminderButton
from handlers.accounts import LoanButton
from integrations.bank.sandbox import seed
from integrations.sms.outbound import RecordingSmsSender
from tests.test_forged_callbacks import Point

MERCHANT = ChatUser(
    "merchant", seed.MERCHANT_CHAT_USER_ID, "陈小梅", "zh-hans", seed.MERCHANT_PHONE
)
LIU_EN = ChatUser("liu", 6001, "Liu", "en", seed.OVERDUE_CUSTOMER_PHONE)
ZHOU_ZH = ChatUser("zhou", 6002, "周敏", "zh-hans", seed.CUSTOMER_WITHOUT_LOAN_PHONES[0])
NEWCOMER = ChatUser("newcomer", 6003, "Ming", "en", seed.NEWCOMER_PHONE)


def latest_code(sms: RecordingSmsSender, user: ChatUser) -> str:
    found = re.search(r"\b(\d{6})\b", sms.last_to(user.phone) or "")
    assert found is not None, "the bank sent no code"
    return found.group(1)


def wrong(code: str) -> str:
    return str((int(code[0]) + 1) % 10) + code[1:]


async def test_binding_with_own_contact_then_the_balance(
    driver: ChatDriver, sms: RecordingSmsSender
) -> None:
    await driver.send(LIU_EN, "💳 Balance")
    assert driver.last(LIU_EN).text.startswith("To show your balance and loans, I need to link")
    await driver.share_contact(LIU_EN, owner_id=999)
    assert driver.last(LIU_EN).text.startswith("That is someone else's contact.")
    assert sms.messages_to(LIU_EN.phone) == []

    await driver.press(LIU_EN, "Share my phone number")
    assert driver.last(LIU_EN).text == (
        "The bank has texted a 6-digit code to +86*******0002. Type it here; "
        "it is valid for 5 minutes."
    )
    await driver.send(LIU_EN, "12 34")
    assert driver.last(LIU_EN).text.startswith("The code has 6 digits")
    code = latest_code(sms, LIU_EN)
    await driver.send(LIU_EN, wrong(code))
    assert driver.last(LIU_EN).text == "That code is not right. Tries left: 4."
    await driver.send(LIU_EN, code)
    texts = [shown.text for shown in driver.seen(LIU_EN)[-2:]]
    assert texts[0] == "Done: this chat is linked to your bank account."
    assert texts[1] == "💳 Your accounts\nCurrent account ****0002: available CN¥2,615.12"


async def test_five_wrong_codes_block_binding_for_30_minutes(
    driver: ChatDriver, sms: RecordingSmsSender, clock: SimulatedClock
) -> None:
    await driver.send(ZHOU_ZH, "/bind")
    await driver.share_contact(ZHOU_ZH)
    code = latest_code(sms, ZHOU_ZH)
    for tries_left in (4, 3, 2, 1):
        await driver.send(ZHOU_ZH, wrong(code))
        assert driver.last(ZHOU_ZH).text == f"验证码不正确，还可以尝试 {tries_left} 次。"
    await driver.send(ZHOU_ZH, wrong(code))
    assert driver.last(ZHOU_ZH).text.startswith("错误次数过多。为了您的安全，绑定已暂停 30 分钟")
    await driver.send(ZHOU_ZH, "/bind")
    await driver.share_contact(ZHOU_ZH)
    assert driver.last(ZHOU_ZH).text.startswith("错误次数过多")
    assert len(sms.messages_to(ZHOU_ZH.phone)) == 1

    clock.advance(timedelta(minutes=31))
    await driver.send(ZHOU_ZH, "/bind")
    await driver.share_contact(ZHOU_ZH)
    await driver.send(ZHOU_ZH, latest_code(sms, ZHOU_ZH))
    assert driver.seen(ZHOU_ZH)[-1].text == "完成：此对话已绑定您的银行账户。"


async def test_an_expired_code_and_a_stranger(
    driver: ChatDriver, sms: RecordingSmsSender, clock: SimulatedClock
) -> None:
    await driver.send(LIU_EN, "/loans")
    await driver.share_contact(LIU_EN)
    clock.advance(timedelta(minutes=6))
    await driver.send(LIU_EN, latest_code(sms, LIU_EN))
    assert driver.last(LIU_EN).text.startswith("This code has expired or was already used.")

    await driver.send(NEWCOMER, "/balance")
    await driver.share_contact(NEWCOMER)
    assert driver.last(NEWCOMER).text.startswith("The bank has no customer with this phone number.")
    assert sms.messages_to(NEWCOMER.phone) == []


async def test_balance_loans_and_due_in_chinese(driver: ChatDriver) -> None:
    await driver.send(MERCHANT, "💳 余额")
    assert driver.last(MERCHANT).text == "💳 您的账户\n活期账户 ****0001：可用余额 ¥5,098.04"
    await driver.send(MERCHANT, "📋 我的贷款")
    loans = driver.last(MERCHANT)
    assert loans.text == (
        "📋 贷款 LN000001\n剩余本金：¥27,634.54\n下期还款：2026年12月8日 ¥2,665.46\n"
        "今日结清：¥27,763.50（本金 ¥27,634.54 + 截至今日利息 ¥128.96）。"
    )
    assert [b.text for b in loans.flat_buttons()] == [
        "📅 还款计划 LN000001", "💸 还款 LN000001", "🧾 交易明细",
    ]  # fmt: skip
    await driver.send(MERCHANT, "/due")
    assert (
        driver.last(MERCHANT).text
        == "📅 2026年12月8日应还 ¥2,665.46（还有 16 天），贷款 LN000001。"
    )


async def test_loans_overdue_and_schedule_in_english(
    driver: ChatDriver, sms: RecordingSmsSender
) -> None:
    await driver.send(LIU_EN, "/loans")
    await driver.share_contact(LIU_EN)
    await driver.send(LIU_EN, latest_code(sms, LIU_EN))
    text = driver.last(LIU_EN).text
    assert "⚠️ 38 days overdue" in text and "Outstanding principal: CN¥" in text
    assert "special" not in text.lower() and "关注" not in text  # never the classification
    await driver.send(LIU_EN, "/due")
    assert driver.last(LIU_EN).text == (
        "⚠️ CN¥4,442.44 was due on Oct 15, 2026 (38 days ago), loan LN000002."
    )
    await driver.press(LIU_EN, "Schedule")
    table = driver.last(LIU_EN)
    assert table.text.startswith("Schedule of loan LN000002, page 1 of 1 (✓ paid)")
    rows = table.text.splitlines()
    assert rows[3].startswith("✓") and rows[4].startswith("✓") and rows[5].startswith("!")
    await driver.press(LIU_EN, "CSV")
    document = driver.last(LIU_EN)
    assert document.file_name == "LN000002.csv"
    data = document.file_bytes or b""
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with the BOM Excel needs
    lines = data.decode("utf-8-sig").splitlines()
    assert lines[0] == "No.,Due,Principal,Interest,Payment,Amount paid,Status"
    assert lines[1] == "1,2026-08-15,3942.44,500.00,4442.44,4442.44,Paid"
    assert lines[3].endswith(",0.00,Overdue")
    await driver.press(LIU_EN, "Repay")
    offer = driver.last(LIU_EN)
    assert [b.text for b in offer.flat_buttons()] == [
        "This installment CN¥13,327.32", "All overdue CN¥8,884.88", "Pay off today CN¥42,956.31",
    ]  # fmt: skip
    await driver.press(LIU_EN, "All overdue")
    assert driver.last(LIU_EN).text == "Not enough money: CN¥2,615.12 available. Nothing was sent."


async def test_statement_pages_edit_in_place(driver: ChatDriver) -> None:
    await driver.send(MERCHANT, "/statement")
    first = driver.last(MERCHANT)
    assert first.text.startswith("🧾 ****0001 交易明细，第 1 页")
    assert "贷款还款  −¥2,665.46" in first.text
    await driver.press(MERCHANT, "更早")
    assert first.text.startswith("🧾 ****0001 交易明细，第 2 页") and first.edits == 1
    assert "存入  +¥6,000.00" in first.text
    await driver.press(MERCHANT, "较新")
    assert first.text.startswith("🧾 ****0001 交易明细，第 1 页") and first.edits == 2


async def test_every_statement_page_says_what_its_balances_are(driver: ChatDriver) -> None:
    """Page 2 once said "最新余额：¥11,000.00" (after its own newest line) beside ¥4,898.04."""
    await driver.send(MERCHANT, "/balance")
    assert "可用余额 ¥5,098.04" in driver.last(MERCHANT).text
    await driver.send(MERCHANT, "/statement")
    await driver.press(MERCHANT, "更早")
    older = driver.last(MERCHANT).text.splitlines()
    assert older[:3] == ["🧾 ****0001 交易明细，第 2 页", "当前可用余额：¥5,098.04", ""]
    assert older[3] == "2026年9月23日  存入  +¥6,000.00  （交易后余额：¥6,000.00）"
    await driver.send(MERCHANT, "/language")
    await driver.press(MERCHANT, "English")
    await driver.send(MERCHANT, "/statement")
    newest = driver.last(MERCHANT).text.splitlines()
    assert newest[1] == "Available balance now: CN¥5,098.04"
    assert newest[3] == "Nov 4, 2026  Loan repayment  −CN¥2,665.46  (balance after: CN¥5,098.04)"
    await driver.send(MERCHANT, "/language")
    await driver.press(MERCHANT, "Русский")
    await driver.send(MERCHANT, "/statement")
    assert driver.last(MERCHANT).text.splitlines()[1] == "Доступно сейчас: 5\xa0098,04\xa0CN¥"


async def test_unbind_asks_first(driver: ChatDriver) -> None:
    await driver.send(MERCHANT, "/unbind")
    await driver.press(MERCHANT, "不")
    assert driver.last(MERCHANT).text == "未做任何更改：此对话仍保持绑定。"
    await driver.send(MERCHANT, "/unbind")
    await driver.press(MERCHANT, "解除绑定")
    assert driver.last(MERCHANT).text.startswith("此对话已不再绑定您的银行账户。")
    await driver.send(MERCHANT, "/balance")
    assert driver.last(MERCHANT).text.startswith("要查看余额和贷款")


async def test_another_customers_loan_button_says_it_is_not_theirs(
    driver: ChatDriver, app: App, sms: RecordingSmsSender
) -> None:
    olga = ChatUser("olga", 6004, "Ольга", "ru", seed.CUSTOMER_WITHOUT_LOAN_PHONES[1])
    for user in (LIU_EN, olga):
        await driver.send(user, "/loans")
        await driver.share_contact(user)
        await driver.send(user, latest_code(sms, user))
    await driver.send(MERCHANT, "/loans")
    pressed = {
        MERCHANT: (
            LoanButton(action="schedule", loan="LN000002").pack(),
            "这笔贷款不属于此对话绑定的银行账户。",
        ),
        LIU_EN: (
            LoanButton(action="repay", loan="LN000001").pack(),
            "This loan is not on the bank account linked to this chat.",
        ),
        olga: (
            ReminderButton(action="repay", loan="LN000001", number=1).pack(),
            "Этот кредит не относится к банковскому счёту, привязанному к этому чату.",
        ),
    }
    for user, (data, said) in pressed.items():
        seen = len(driver.seen(user))
        done = await Point(driver, app, user).press(data)
        assert [(call.text, call.show_alert) for call in done] == [(said, True)]  # type: ignore[attr-defined]
        assert len(driver.seen(user)) == seen
    done = await Point(driver, app, LIU_EN).press(
        LoanButton(action="schedule", loan="LN999999").pack()
    )
    assert [call.text for call in done] == ["This button is no longer active."]  # type: ignore[attr-defined]
