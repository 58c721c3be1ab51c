"""One amount parser: the calculator and the money commands read "1万", "80к" and "7.5k"
alike, in the merchant's language, and the transfer posts exactly that amount."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bot.demo.driver import ChatDriver, ChatUser
from integrations.bank.sandbox import admin, seed
from integrations.bank.sandbox.core import SandboxBank
from integrations.sms.outbound import RecordingSmsSender

MERCHANT = seed.MERCHANT_CHAT_USER_ID
MERCHANT_ZH = ChatUser("merchant", MERCHANT, "陈小梅", "zh-hans", seed.MERCHANT_PHONE)
MERCHANT_EN = ChatUser("merchant", MERCHANT, "Mei", "en", seed.MERCHANT_PHONE)
MERCHANT_RU = ChatUser("merchant", MERCHANT, "Мэй", "ru", seed.MERCHANT_PHONE)


async def balance(bank: SandboxBank) -> Decimal:
    return (await bank.list_accounts(await merchant_id(bank)))[0].available_balance


async def merchant_id(bank: SandboxBank) -> str:
    binding = await bank.get_binding(MERCHANT)
    assert binding.customer_id
    return binding.customer_id


async def fund_merchant(bank: SandboxBank, amount: Decimal) -> None:
    account_id = (await bank.list_accounts(await merchant_id(bank)))[0].id
    await bank.run(
        lambda connection, context: admin.deposit(connection, context, account_id, amount)
    )


def latest_code(sms: RecordingSmsSender) -> str:
    found = re.search(r"[0-9]{6}", sms.last_to(seed.MERCHANT_PHONE) or "")
    assert found
    return found.group()


@pytest.mark.parametrize(
    ("user", "typed", "shown", "amount"),
    [
        (MERCHANT_ZH, "1万", "¥10,000.00", Decimal(10_000)),
        (MERCHANT_RU, "25 тыс.", "25 000,00 CN¥", Decimal(25_000)),
        (MERCHANT_RU, "8к", "8 000,00 CN¥", Decimal(8_000)),
        (MERCHANT_EN, "7.5k", "CN¥7,500.00", Decimal(7_500)),
    ],
)
async def test_the_calculator_and_a_transfer_read_the_same_amount(
    driver: ChatDriver,
    bank: SandboxBank,
    sms: RecordingSmsSender,
    user: ChatUser,
    typed: str,
    shown: str,
    amount: Decimal,
) -> None:
    await fund_merchant(bank, Decimal(100_000))
    await driver.send(user, "/calc")
    await driver.send(user, typed)
    await driver.send(user, "12")
    assert shown in driver.last(user).text.replace("\xa0", " ")
    await driver.send(user, "/cancel")

    before = await balance(bank)
    await driver.send(user, f"ZZ 张三 {typed}")
    assert shown in driver.last(user).text.replace("\xa0", " ")
    await driver.send(user, f"QR {latest_code(sms)}")
    assert await balance(bank) == before - amount


async def test_80k_in_russian_is_read_in_both_and_the_transfer_limit_says_so(
    driver: ChatDriver, bank: SandboxBank
) -> None:
    await fund_merchant(bank, Decimal(100_000))
    await driver.send(MERCHANT_RU, "/calc")
    await driver.send(MERCHANT_RU, "80к")
    await driver.send(MERCHANT_RU, "12")
    assert "80 000,00 CN¥ на 12 месяцев" in driver.last(MERCHANT_RU).text.replace("\xa0", " ")
    await driver.send(MERCHANT_RU, "/cancel")

    before = await balance(bank)
    await driver.send(MERCHANT_RU, "ZZ 张三 80 к")
    refusal = driver.last(MERCHANT_RU).text.replace("\xa0", " ")
    assert "выше лимита" in refusal and "50 000,00 CN¥" in refusal
    assert await balance(bank) == before
