"""The merchant's offer after the loan committee decides, in Chinese and English: the offer
with its schedule (table, chart, CSV), Accept with a wrong then the right texted code and
the payout notice; an expired offer; a decline in plain words; forged presses; and the
lead's timeline for the officer and the supervisor."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from functools import partial

import pytest
from aiogram.methods import SendDocument, SendPhoto
from aiogram.types import CallbackQuery, Update
from test_application_journeys import BEN, CHEN, answer_all, reference_of, start_application
from test_officer_journeys import OFFICER_EN, OFFICER_ZH, SUPERVISOR_ZH, bind

from bot.background import Background
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.local_session import LocalSession
from integrations.bank.offer_models import OfferStatus
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxBank, seed
from integrations.sms.outbound import RecordingSmsSender
from tests.support.committee_cases import approve, decline

FORGED_UPDATE_IDS = itertools.count(910_000_000)


async def applied(driver: ChatDriver, bank: BankAdapter, user: ChatUser) -> str:
    """The merchant applies in the chat and an officer claims the lead."""
    await start_application(driver, user)
    await answer_all(driver, user)
    await driver.press(user, "#7")
    lead = await bank.get_lead(reference_of(driver, user))
    await bank.claim_lead(lead.id, lead.officer_id or "")
    return lead.id


async def approved(
    driver: ChatDriver, bank: BankAdapter, background: Background, app: App, user: ChatUser
) -> str:
    lead_id = await applied(driver, bank, user)
    assert isinstance(bank, SandboxBank)
    offer_id = await bank.run(partial(approve, lead_id=lead_id))
    await background.run_once(app.services.clock.now())
    return offer_id


def code_in(sms: RecordingSmsSender, phone: str) -> str:
    match = re.search(r"\b(\d{6})\b", sms.last_to(phone) or "")
    assert match is not None
    return match.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


async def forge(driver: ChatDriver, user: ChatUser, data: str) -> None:
    query = CallbackQuery(
        id="forged", from_user=user.as_telegram_user(), chat_instance=str(user.user_id), data=data
    )
    await driver.deliver(Update(update_id=next(FORGED_UPDATE_IDS), callback_query=query))


@pytest.mark.parametrize(
    ("user", "words"),
    [
        (
            CHEN,
            (
                "贷审会已批准",
                "¥50,000.00",
                "12 个月",
                "每月还款",
                "年化综合成本",
                "总利息",
                "担保人（配偶）",
                "新开的结算账户",
            ),
        ),
        (
            BEN,
            (
                "committee approved your loan",
                "CN¥50,000.00",
                "12 months",
                "Monthly payment",
                "APR",
                "Total interest",
                "Guarantor (Spouse)",
                "a new current account",
            ),
        ),
    ],
)
async def test_the_offer_shows_its_terms_and_its_schedule(
    driver: ChatDriver,
    bank: BankAdapter,
    background: Background,
    app: App,
    session: LocalSession,
    user: ChatUser,
    words: tuple[str, ...],
) -> None:
    offer_id = await approved(driver, bank, background, app, user)

    offer = driver.last(user).text
    offer_message = driver.last(user).message_id
    for word in (offer_id, *words):
        assert word in offer, word
    assert "12.68" in offer  # the APR of 12% a year paid monthly

    await driver.press(user, "📋")
    table = driver.last(user).text
    assert offer_id in table and "1/1" not in table
    assert table.count("\n") >= 13  # the title, a blank, the header, 12 installments
    await driver.press(user, "CSV")
    await driver.press(user, "📈", message_id=offer_message)
    assert any(isinstance(call, SendDocument) for call in session.calls)
    assert any(isinstance(call, SendPhoto) for call in session.calls)


@pytest.mark.parametrize(
    ("user", "sent", "wrong_text", "done", "paid"),
    [
        (CHEN, "验证码", "验证码不正确", "您已接受要约", "💰"),
        (
            BEN,
            "6-digit code",
            "That code is not right. 4 attempts left.",
            "You accepted offer",
            "💰",
        ),
    ],
)
async def test_accepting_with_a_wrong_then_the_right_code_pays_out(
    driver: ChatDriver,
    bank: BankAdapter,
    background: Background,
    app: App,
    sms: RecordingSmsSender,
    user: ChatUser,
    sent: str,
    wrong_text: str,
    done: str,
    paid: str,
) -> None:
    offer_id = await approved(driver, bank, background, app, user)

    await driver.press(user, "✅")
    assert sent in driver.last(user).text and "****" in driver.last(user).text
    code = code_in(sms, user.phone)
    assert offer_id in (sms.last_to(user.phone) or "")
    await driver.send(user, wrong(code))
    assert wrong_text in driver.last(user).text
    await driver.send(user, code)
    assert done in driver.last(user).text

    offer = await bank.get_offer(offer_id)
    assert offer.status is OfferStatus.ACCEPTED
    assert (await bank.get_lead(offer.lead_id)).status == "disbursed"
    await background.run_once(app.services.clock.now())
    assert paid in driver.last(user).text and offer.loan_id is not None
    await driver.send(user, code)  # the flow is over: the code is no answer to anything now
    assert (await bank.get_offer(offer_id)).status is OfferStatus.ACCEPTED


@pytest.mark.parametrize(
    ("user", "expired"),
    [(CHEN, "过期，无法再接受"), (BEN, "expired on")],
)
async def test_an_expired_offer_says_so_and_cannot_be_accepted(
    driver: ChatDriver,
    bank: BankAdapter,
    background: Background,
    app: App,
    sms: RecordingSmsSender,
    user: ChatUser,
    expired: str,
) -> None:
    offer_id = await approved(driver, bank, background, app, user)
    offer_message = driver.last(user).message_id
    clock = app.services.clock
    assert hasattr(clock, "advance")
    clock.advance(timedelta(days=7, minutes=1))
    await background.run_once(clock.now())

    assert expired in driver.last(user).text and offer_id in driver.last(user).text
    texts_before = len(sms.messages_to(user.phone))
    await driver.press(user, "✅", message_id=offer_message)
    assert expired in driver.last(user).text
    assert len(sms.messages_to(user.phone)) == texts_before  # no code for an expired offer


@pytest.mark.parametrize(
    ("user", "words"),
    [
        (CHEN, ("很抱歉", "现有负债", "先还清一张信用卡", "欢迎您再次申请")),
        (
            BEN,
            (
                "We are sorry",
                "existing debts are already high",
                "先还清一张信用卡",
                "welcome to apply again",
            ),
        ),
    ],
)
async def test_a_declined_case_is_told_respectfully_with_its_reason(
    driver: ChatDriver,
    bank: BankAdapter,
    background: Background,
    app: App,
    user: ChatUser,
    words: tuple[str, ...],
) -> None:
    lead_id = await applied(driver, bank, user)
    assert isinstance(bank, SandboxBank)
    await bank.run(
        partial(decline, lead_id=lead_id, reason="debt_too_high", note="先还清一张信用卡")
    )
    await background.run_once(app.services.clock.now())

    told = driver.last(user).text
    for word in words:
        assert word in told, word
    assert "debt_too_high" not in told


async def test_an_unknown_reason_is_never_shown_as_a_code(
    driver: ChatDriver, bank: BankAdapter, background: Background, app: App
) -> None:
    lead_id = await applied(driver, bank, BEN)
    assert isinstance(bank, SandboxBank)
    await bank.run(partial(decline, lead_id=lead_id, reason="R-17b", note=None))
    await background.run_once(app.services.clock.now())

    told = driver.last(BEN).text
    assert "did not find the loan right for your business" in told and "R-17b" not in told


async def test_forged_offer_presses_are_refused_and_change_nothing(
    driver: ChatDriver,
    bank: BankAdapter,
    background: Background,
    app: App,
    sms: RecordingSmsSender,
    session: LocalSession,
) -> None:
    offer_id = await approved(driver, bank, background, app, CHEN)
    texts_before = len(sms.messages_to(CHEN.phone))

    await forge(driver, BEN, f"of:accept:{offer_id}:0")  # someone else's offer
    await forge(driver, BEN, "of:accept:OR999999:0")  # no such offer
    await forge(driver, CHEN, f"of:accept:{offer_id}:-5")  # does not parse
    await forge(driver, BEN, f"tl:{offer_id}:0:0")  # a timeline, not staff

    alerts = [call.text for call in session.calls if type(call).__name__ == "AnswerCallbackQuery"]
    assert alerts.count("This offer is not yours, or no longer there.") == 2
    assert len(sms.messages_to(CHEN.phone)) == texts_before
    assert (await bank.get_offer(offer_id)).status is OfferStatus.OPEN


async def test_the_officer_and_the_supervisor_page_through_the_timeline(
    driver: ChatDriver,
    bank: BankAdapter,
    background: Background,
    app: App,
    sms: RecordingSmsSender,
) -> None:
    await bind(driver, sms, OFFICER_ZH, seed.OFFICER_STAFF_CODE)
    await bind(driver, sms, SUPERVISOR_ZH, seed.SUPERVISOR_STAFF_CODE)
    lead_id = await applied(driver, bank, CHEN)
    for number in range(12):
        await bank.add_lead_note(lead_id, (await bank.get_lead(lead_id)).officer_id or "",
                                 f"第{number}次记录")  # fmt: skip
    assert isinstance(bank, SandboxBank)
    await bank.run(partial(approve, lead_id=lead_id))
    await background.run_once(app.services.clock.now())

    await driver.press(OFFICER_ZH, "🕘")
    first = driver.last(OFFICER_ZH)
    assert f"{lead_id}" in first.text and "第 1 页" in first.text and "收到申请" in first.text
    await driver.press(OFFICER_ZH, "▶")
    last = driver.last(OFFICER_ZH)
    assert last.message_id == first.message_id and "第 2 页" in last.text
    assert "投票同意" in last.text and "发出要约" in last.text

    await driver.send(SUPERVISOR_ZH, f"/timeline {lead_id}")
    assert "收到申请" in driver.last(SUPERVISOR_ZH).text
    await driver.send(CHEN, f"/timeline {lead_id}")
    assert "收到申请" not in driver.last(CHEN).text


async def test_the_timeline_in_english_after_the_offer_is_accepted(
    driver: ChatDriver,
    bank: BankAdapter,
    background: Background,
    app: App,
    sms: RecordingSmsSender,
) -> None:
    await bind(driver, sms, OFFICER_EN, seed.OFFICER_STAFF_CODE)
    offer_id = await approved(driver, bank, background, app, BEN)
    await driver.press(BEN, "✅")
    await driver.send(BEN, code_in(sms, BEN.phone))
    lead_id = (await bank.get_offer(offer_id)).lead_id

    await driver.send(OFFICER_EN, f"/timeline {lead_id}")

    shown = driver.last(OFFICER_EN).text
    for words in (
        "page 1 of 1",
        "application received",
        "voted to approve",
        "offer made: CN¥50,000.00 over 12 months (accepted)",
        "the merchant: offer accepted with the SMS code",
        "loan paid out",
    ):
        assert words in shown, words
