"""Products with penalty interest, a prepayment fee and a minimum prepayment: /loans shows the
bank's payoff parts (a fee is not interest), overdue reminders show the penalty accrued, the
prepayment preview shows the fee and the minimum, refuses less, and the receipt charges the
fee; in Chinese and English."""

from __future__ import annotations

from decimal import Decimal

from test_repayment_journeys import LOAN, MERCHANT_EN, MERCHANT_ZH

from bot.demo.driver import ChatDriver
from integrations.bank.models import RepaymentTerms
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import admin
from integrations.bank.sandbox.core import SandboxBank


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
