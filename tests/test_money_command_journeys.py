"""Money commands in the chat: queries, preview with the payee name check, confirmation by
the SMS code (typed or after the Confirm button), wrong codes and the lockout, an expired
code, double confirmation, limits, insufficient funds, 一笔一清; in Chinese and English."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from integrations.bank.models import TransactionKind
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import seed
from integrations.bank.sandbox.core import SandboxBank
from integrations.sms.outbound import RecordingSmsSender

MERCHANT = seed.MERCHANT_CHAT_USER_ID
MERCHANT_ZH = ChatUser("merchant", MERCHANT, "陈小梅", "zh-hans", seed.MERCHANT_PHONE)
MERCHANT_EN = ChatUser("merchant", MERCHANT, "Mei", "en", seed.MERCHANT_PHONE)


def latest_code(sms: RecordingSmsSender) -> str:
    text = sms.last_to(seed.MERCHANT_PHONE) or ""
    found = re.search(r"[0-9]{6}", text)
    assert found, text
    return found.group()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def balance(bank: BankAdapter) -> Decimal:
    binding = await bank.get_binding(seed.MERCHANT_CHAT_USER_ID)
    assert binding.customer_id
    accounts = await bank.list_accounts(binding.customer_id)
    return accounts[0].available_balance


async def transfers_out(bank: BankAdapter) -> int:
    binding = await bank.get_binding(seed.MERCHANT_CHAT_USER_ID)
    assert binding.customer_id
    accounts = await bank.list_accounts(binding.customer_id)
    page = await bank.list_transactions(binding.customer_id, accounts[0].id, limit=50)
    return sum(1 for item in page.items if item.kind is TransactionKind.TRANSFER_OUT)


async def test_transfer_previewed_confirmed_by_code_in_chinese(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    before = await balance(bank)
    await driver.send(MERCHANT_ZH, "ZZ 张三 100")
    preview = driver.last(MERCHANT_ZH)
    assert "张三" in preview.text and "****1234" in preview.text
    assert "¥100.00" in preview.text and "请核对" in preview.text
    assert [b.text for b in preview.flat_buttons()] == ["✅ 确认", "✖️ 取消"]
    assert "张三" in (sms.last_to(seed.MERCHANT_PHONE) or "")
    await driver.send(MERCHANT_ZH, f"QR {latest_code(sms)}")
    done = driver.last(MERCHANT_ZH).text
    assert "完成" in done and "张三" in done
    assert await balance(bank) == before - Decimal("100")


@pytest.mark.parametrize(
    ("user", "written"), [(MERCHANT_ZH, "¥3,000.00"), (MERCHANT_EN, "CN¥3,000.00")]
)
async def test_the_chat_and_the_banks_text_write_money_alike(
    driver: ChatDriver, sms: RecordingSmsSender, user: ChatUser, written: str
) -> None:
    """The bank's code SMS once wrote ¥3000.00 beside the chat's ¥3,000.00."""
    await driver.send(user, "ZZ 张三 3000")
    assert written in driver.last(user).text
    code_text = sms.last_to(seed.MERCHANT_PHONE) or ""
    assert "张三 ¥3,000.00，" in code_text  # the bank texts in Chinese, Babel's zh_Hans format
    assert "3000.00" not in code_text


async def test_confirm_button_then_code_in_english(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    before = await balance(bank)
    await driver.send(MERCHANT_EN, "trf 张三 50")
    assert "Transfer to 张三 (****1234)" in driver.last(MERCHANT_EN).text
    await driver.press(MERCHANT_EN, "Confirm")
    assert "6-digit code" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, latest_code(sms))
    assert "Done." in driver.last(MERCHANT_EN).text
    assert await balance(bank) == before - Decimal("50")


async def test_queries_in_chinese(driver: ChatDriver) -> None:
    await driver.send(MERCHANT_ZH, "余额")
    assert "余额：" in driver.last(MERCHANT_ZH).text and "¥" in driver.last(MERCHANT_ZH).text
    await driver.send(MERCHANT_ZH, "MX 3")
    statement = driver.last(MERCHANT_ZH).text
    assert "最近 3 笔交易" in statement and "缴费" in statement
    await driver.send(MERCHANT_ZH, "DK")
    assert "下期还款" in driver.last(MERCHANT_ZH).text
    await driver.send(MERCHANT_ZH, "?")
    assert "ZZ / TRF / 转账" in driver.last(MERCHANT_ZH).text
    await driver.send(MERCHANT_ZH, "帮助 还款")
    assert "示例：HK 500" in driver.last(MERCHANT_ZH).text


async def test_queries_in_english(driver: ChatDriver) -> None:
    await driver.send(MERCHANT_EN, "BAL")
    assert driver.last(MERCHANT_EN).text.startswith("Balances:")
    await driver.send(MERCHANT_EN, "stmt")
    assert "Last 5 transactions" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, "loan")
    assert "Next payment" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, "YE 9999")
    assert "no account ending" in driver.last(MERCHANT_EN).text


async def test_a_wrong_command_gets_the_reason_and_an_example(driver: ChatDriver) -> None:
    await driver.send(MERCHANT_ZH, "ZZ 张三 1.234")
    assert driver.last(MERCHANT_ZH).text == "金额最多两位小数：“1.234”。\n示例：ZZ 张三 100"
    await driver.send(MERCHANT_EN, "pay tv 123 5")
    text = driver.last(MERCHANT_EN).text
    assert "Unknown biller “tv”" in text and "Example: JF ELEC 1234567 236.50" in text


async def test_bill_top_up_and_repayment_each_confirmed_by_code(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    start = await balance(bank)
    await driver.send(MERCHANT_EN, "JF ELEC 1234567 36.50")
    assert "Pay electricity bill ****4567" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, f"OK {latest_code(sms)}")
    assert "Done." in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, "topup 20")
    assert "Top up +86*******0001" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, f"QR {latest_code(sms)}")
    assert "Done." in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_ZH, "还款 100")
    assert "归还贷款" in driver.last(MERCHANT_ZH).text
    await driver.send(MERCHANT_ZH, f"确认 {latest_code(sms)}")
    assert "交易完成" in driver.last(MERCHANT_ZH).text
    assert await balance(bank) == start - Decimal("156.50")


async def test_double_confirmation_posts_once_and_shows_the_receipt_again(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    before, count = await balance(bank), await transfers_out(bank)
    await driver.send(MERCHANT_ZH, "ZZ 张三 100")
    code = latest_code(sms)
    await driver.send(MERCHANT_ZH, f"QR {code}")
    await driver.send(MERCHANT_ZH, f"QR {code}")
    again = driver.last(MERCHANT_ZH).text
    assert "该交易已完成" in again and "张三" in again
    assert await balance(bank) == before - Decimal("100")
    assert await transfers_out(bank) == count + 1


async def test_a_duplicate_update_acts_once(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    before = await balance(bank)
    await driver.send(MERCHANT_ZH, "ZZ 张三 100")
    update = driver.text_update(MERCHANT_ZH, f"QR {latest_code(sms)}")
    await driver.deliver(update)
    await driver.deliver(update)
    assert await balance(bank) == before - Decimal("100")


async def test_five_wrong_codes_cancel_and_lock_for_30_minutes(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, clock: SimulatedClock
) -> None:
    before = await balance(bank)
    await driver.send(MERCHANT_EN, "ZZ 张三 100")
    code = latest_code(sms)
    for attempts_left in (4, 3, 2, 1):
        await driver.send(MERCHANT_EN, f"QR {wrong(code)}")
        assert driver.last(MERCHANT_EN).text == f"Wrong code. Attempts left: {attempts_left}."
    await driver.send(MERCHANT_EN, f"QR {wrong(code)}")
    assert "locked for 30 min" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, f"QR {code}")
    assert "No transaction is waiting" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_ZH, "ZZ 张三 100")
    assert "锁定 30 分钟" in driver.last(MERCHANT_ZH).text
    await driver.send(MERCHANT_ZH, "YE")
    assert "余额：" in driver.last(MERCHANT_ZH).text  # queries stay open
    clock.advance(timedelta(minutes=31))
    await driver.send(MERCHANT_ZH, "ZZ 张三 100")
    assert "请核对" in driver.last(MERCHANT_ZH).text
    assert await balance(bank) == before


async def test_an_expired_code_cancels_the_transaction(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, clock: SimulatedClock
) -> None:
    before = await balance(bank)
    await driver.send(MERCHANT_ZH, "ZZ 张三 100")
    code = latest_code(sms)
    clock.advance(timedelta(minutes=6))
    await driver.send(MERCHANT_ZH, f"QR {code}")
    assert "验证码已过期" in driver.last(MERCHANT_ZH).text
    await driver.send(MERCHANT_ZH, f"QR {code}")
    assert "没有待确认的交易" in driver.last(MERCHANT_ZH).text
    assert await balance(bank) == before


async def test_one_pending_transaction_at_a_time(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    await driver.send(MERCHANT_EN, "ZZ 张三 100")
    await driver.send(MERCHANT_EN, "CZ 30")
    waiting = driver.last(MERCHANT_EN)
    assert "still waiting for its code: Transfer to 张三" in waiting.text
    await driver.press(MERCHANT_EN, "Cancel the waiting")
    assert "Cancelled: Transfer to 张三 (****1234) CN¥100.00" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, "CZ 30")
    assert "Top up" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, "QX")
    assert "Nothing was sent" in driver.last(MERCHANT_EN).text
    await driver.send(MERCHANT_EN, "cancel")
    assert "No transaction is waiting" in driver.last(MERCHANT_EN).text


async def test_a_stale_confirm_button_does_nothing(
    driver: ChatDriver, sms: RecordingSmsSender
) -> None:
    await driver.send(MERCHANT_EN, "ZZ 张三 100")
    await driver.send(MERCHANT_EN, "QX")
    await driver.press(MERCHANT_EN, "Confirm")
    assert driver.last(MERCHANT_EN).text.startswith("Cancelled:")


@pytest.mark.parametrize(
    ("text", "expected_en"),
    [
        ("ZZ 张三 999999", "above the limit per transaction. You can send up to CN¥50,000.00"),
        ("ZZ 李四 6000", "above the limit for a first payment to a new payee"),
        ("ZZ 张三 20000", "Not enough money"),
        ("ZZ 王五 10", "No saved payee or account by that name"),
        ("ZZ 6217000099999999 10", "No saved payee or account by that name"),
        ("HK 99999", "more than you owe"),
    ],
)
async def test_refusals_are_clear_and_nothing_is_posted(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter, text: str, expected_en: str
) -> None:
    before = await balance(bank)
    await driver.send(MERCHANT_EN, text)
    assert expected_en in driver.last(MERCHANT_EN).text
    assert sms.messages_to(seed.MERCHANT_PHONE) == []
    assert await balance(bank) == before


async def test_the_payee_name_check_shows_the_registered_name(driver: ChatDriver) -> None:
    await driver.send(MERCHANT_ZH, "ZZ 6217000010009012 10")
    preview = driver.last(MERCHANT_ZH).text
    assert "成都鑫源商贸有限公司" in preview and "****9012" in preview
    assert "首次向该收款人付款" in preview


async def test_an_unbound_user_is_offered_binding(driver: ChatDriver, alice: ChatUser) -> None:
    await driver.send(alice, "ZZ 张三 100")
    assert "/bind" in driver.last(alice).text


async def test_inside_a_form_the_text_belongs_to_the_form(driver: ChatDriver) -> None:
    await driver.send(MERCHANT_EN, "/calc")
    await driver.send(MERCHANT_EN, "OK 123456")
    assert "No transaction is waiting" not in driver.last(MERCHANT_EN).text


MERCHANT_RU = ChatUser("merchant", MERCHANT, "Мэй", "ru", seed.MERCHANT_PHONE)


@pytest.mark.parametrize(
    ("user", "bill", "han"),
    [
        (MERCHANT_ZH, "−¥236.50 缴费", True),
        (MERCHANT_EN, "−CN¥236.50 Bill", False),
        (MERCHANT_RU, "−236,50\xa0CN¥ Оплата счёта", False),
    ],
    ids=["zh_Hans", "en", "ru"],
)
async def test_the_short_statement_is_signed_and_worded_as_the_statement(
    driver: ChatDriver, user: ChatUser, bill: str, han: bool
) -> None:
    """MX once wrote "-¥236.50 电费 ****5678" where /statement wrote "−¥236.50"."""
    await driver.send(user, "MX 10")
    mx = driver.last(user).text
    await driver.send(user, "/statement")
    statement = driver.last(user).text
    assert bill in mx and "-" not in mx
    assert bill.split(" ", 1)[0] in statement
    assert bool(re.search("[\u4e00-\u9fff]", mx)) is han  # no bank's Chinese in en or ru


@pytest.mark.parametrize(
    ("user", "biller"),
    [(MERCHANT_ZH, "电费"), (MERCHANT_EN, "electricity"), (MERCHANT_RU, "электричество")],
    ids=["zh_Hans", "en", "ru"],
)
async def test_the_biller_is_named_in_the_users_language(
    driver: ChatDriver, user: ChatUser, biller: str
) -> None:
    await driver.send(user, "JF ELEC 1234567 36.50")
    preview = driver.last(user).text
    assert biller in preview and "****4567" in preview
    assert bool(re.search("[\\u4e00-\\u9fff]", preview)) is (user is MERCHANT_ZH)


async def test_an_amount_in_chinese_numerals(driver: ChatDriver) -> None:
    await driver.send(MERCHANT_ZH, "ZZ 张三 五百")
    preview = driver.last(MERCHANT_ZH).text
    assert "张三" in preview and "¥500.00" in preview and "请核对" in preview
    await driver.send(MERCHANT_ZH, "QX")
    await driver.send(MERCHANT_EN, "trf 张三 三千五")
    assert "CN¥3,500.00" in driver.last(MERCHANT_EN).text


@pytest.mark.parametrize(
    ("user", "bill", "top_up"),
    [
        (MERCHANT_EN, "Pay electricity bill ****4567: CN¥36.50",
         "Top up +86*******0001: CN¥20.00"),
        (MERCHANT_RU, "Оплата счёта электричество ****4567: 36,50\xa0CN¥",
         "Пополнение телефона +86*******0001: 20,00\xa0CN¥"),
    ],
    ids=["en", "ru"],
)  # fmt: skip
async def test_the_receipt_names_the_payee_in_the_users_language(
    driver: ChatDriver, sms: RecordingSmsSender, user: ChatUser, bill: str, top_up: str
) -> None:
    """The receipt once named the payee as the bank does, in Chinese: "电费 ****4567"."""
    for command, payee in (("JF ELEC 1234567 36.50", bill), ("topup 20", top_up)):
        await driver.send(user, command)
        code = latest_code(sms)
        await driver.send(user, f"QR {code}")
        done = driver.last(user).text
        assert payee in done.splitlines(), done
        assert not re.search("[\u4e00-\u9fff]", done), done
        await driver.send(user, f"QR {code}")  # the receipt again
        assert payee in driver.last(user).text.splitlines()


async def test_a_biller_the_bank_names_in_chinese_only_is_described(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    assert isinstance(bank, SandboxBank)
    await bank.run(
        lambda connection, _: connection.execute(
            "DELETE FROM reference_names WHERE kind = 'biller' AND locale = 'ru'"
        )
    )
    await driver.send(MERCHANT_RU, "JF ELEC 1234567 30")
    assert "Оплата счёта ****4567" in driver.last(MERCHANT_RU).text
    await driver.send(MERCHANT_RU, f"QR {latest_code(sms)}")
    done = driver.last(MERCHANT_RU).text
    assert "Оплата счёта ****4567: 30,00\xa0CN¥" in done.splitlines(), done
    await driver.send(MERCHANT_ZH, "JF ELEC 1234567 30")
    assert "缴纳电费，户号 ****4567" in driver.last(MERCHANT_ZH).text
