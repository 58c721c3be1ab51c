"""Products with penalty interest, a prepayment fee and a minimum prepayment: /loans shows the
bank's payoff parts (a fee is not interest), overdue reminders show the penalty accrued, the
prepayment preview shows the fee and the minimum, refuses less, and the receipt charges the
fee; in Chinese and English."""

from __future__ import annotations

from decimal import Decimal

from aiohttp.test_utils import TestClient
from test_repayment_journeys import (
    LOAN,
    MERCHANT_EN,
    MERCHANT_RU,
    MERCHANT_ZH,
    deposit,
    latest_code,
    merchant_id,
)
from test_repayment_journeys import gateway as gateway  # the SMS gateway fixture
from test_sms_commands import Phone

from bot.demo.driver import ChatDriver
from integrations.bank.models import RepaymentTerms
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import admin
from integrations.bank.sandbox.core import SandboxBank
from integrations.sms.outbound import RecordingSmsSender


async def set_terms(bank: BankAdapter, loan_id: str, terms: RepaymentTerms) -> None:
    assert isinstance(bank, SandboxBank)
    product = (await bank.get_loan(loan_id)).product_code
    await bank.run(lambda connection, _: admin.set_repayment_terms(connection, product, terms))


async def test_loans_shows_a_prepayment_fee_apart_from_the_interest(
    driver: ChatDriver, bank: BankAdapter
) -> None:
    await set_terms(bank, LOAN, RepaymentTerms(prepayment_fee_rate=Decimal(1)))
    quote = await bank.payoff_quote(LOAN)
    assert quote.fees > 0
    await driver.send(MERCHANT_ZH, "📋 我的贷款")
    shown = driver.last(MERCHANT_ZH).text
    assert "截至今日利息 ¥128.96）" in shown, shown
    assert "含提前还款手续费 ¥276.35。" in shown, shown
    await driver.send(MERCHANT_EN, "/loans")
    shown = driver.last(MERCHANT_EN).text
    assert "(principal CN¥27,634.54 + interest to today CN¥128.96)" in shown, shown
    assert "Prepayment fee included: CN¥276.35." in shown, shown


FEE_AND_MINIMUM = RepaymentTerms(prepayment_fee_rate=Decimal(1), minimum_prepayment=Decimal(1000))


async def test_a_prepayment_with_a_fee_and_a_minimum_in_the_chat(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    await set_terms(bank, LOAN, FEE_AND_MINIMUM)
    customer = (await bank.get_loan(LOAN)).customer_id
    before = (await bank.list_accounts(customer))[0].available_balance
    await driver.send(MERCHANT_ZH, "HK 3000")  # ¥334.54 above the installment
    assert driver.last(MERCHANT_ZH).text == "提前还款的本金至少为 ¥1,000.00。未发生任何扣款。"
    await driver.send(MERCHANT_ZH, "HK 5000")
    await driver.press(MERCHANT_ZH, "缩短期限")
    preview = driver.last(MERCHANT_ZH).text
    assert "按顺序抵扣：罚息 ¥0.00，费用 ¥48.23，利息 ¥128.96，本金 ¥4,822.81。" in preview
    assert "最低提前还款额：¥1,000.00\n含提前还款手续费 ¥48.23。" in preview
    assert "手续费：" not in preview  # the bank's own fee is nothing: the fee is the one included
    await driver.send(MERCHANT_ZH, f"QR {latest_code(sms)}")
    done = driver.last(MERCHANT_ZH).text
    assert done.startswith("交易完成。") and done.endswith(
        "按顺序抵扣：罚息 ¥0.00，费用 ¥48.23，利息 ¥128.96，本金 ¥4,822.81。\n"
        "含提前还款手续费 ¥48.23。"
    )
    assert "手续费：" not in done
    after = (await bank.list_accounts(customer))[0].available_balance
    assert before - after == Decimal("5000.00")
    loan = await bank.get_loan(LOAN)
    assert loan.outstanding_principal == Decimal("27634.54") - Decimal("4822.81")


async def test_a_prepayment_with_a_fee_and_a_minimum_by_sms_in_english(
    gateway: TestClient, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    await set_terms(bank, LOAN, FEE_AND_MINIMUM)
    phone = Phone(gateway, sms)
    await phone.text("REPAY 3000 SHORTER")
    assert phone.last() == (
        "The smallest prepayment is CN¥1,000.00 of extra principal. Nothing was sent."
    )
    await phone.text("REPAY 5000 SHORTER")
    preview = "".join(phone.inbox()[-8:])
    assert "Shorter term" in preview
    assert "Smallest prepayment: CN¥1,000.00" in preview  # the messages split between lines
    assert "Prepayment fee included: CN¥48.23." in preview
    await phone.text(f"OK {phone.code()}")
    done = "".join(phone.inbox()[-5:])
    assert "Done." in done and done.endswith("Prepayment fee included: CN¥48.23.")
    assert "Fee: " not in done and "Fee: " not in preview
    loan = await bank.get_loan(LOAN)
    assert loan.outstanding_principal == Decimal("27634.54") - Decimal("4822.81")


async def test_the_receipt_in_russian_names_only_the_fee_charged(
    driver: ChatDriver, sms: RecordingSmsSender, bank: BankAdapter
) -> None:
    await driver.send(MERCHANT_RU, "HK 5000")
    await driver.press(MERCHANT_RU, "Короче срок")
    assert "Комиссия: 0,00\xa0CN¥" in driver.last(MERCHANT_RU).text  # a preview shows it
    await driver.send(MERCHANT_RU, f"QR {latest_code(sms)}")
    done = driver.last(MERCHANT_RU).text
    assert "Комиссия" not in done and "комиссию" not in done, done
    await set_terms(bank, LOAN, FEE_AND_MINIMUM)
    await deposit(bank, await merchant_id(bank), "5000")
    await driver.send(MERCHANT_RU, "HK 5000")
    await driver.press(MERCHANT_RU, "Короче срок")
    preview = driver.last(MERCHANT_RU).text
    assert "Включая комиссию за досрочное погашение: " in preview
    assert "Комиссия: " not in preview, preview
    await driver.send(MERCHANT_RU, f"QR {latest_code(sms)}")
    done = driver.last(MERCHANT_RU).text
    assert done.endswith("Включая комиссию за досрочное погашение: 49,51\xa0CN¥."), done
    assert "Комиссия: " not in done
