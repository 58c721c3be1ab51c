"""The worksheet in the chat: the officer rebuilds the accounts (Back, Edit, resumable), a
30% sales mismatch is flagged with both figures, the co-investigator reviews (refused by the
bank before their check-in, then confirmed, or a dissent with a note), the presenter cannot
confirm for them, and forged presses change nothing. In Chinese and English."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiogram.types import CallbackQuery, Message, Update

from bot.background import Background
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.views.worksheets import OpenVerb, WorksheetOpen, WorksheetStep, WorksheetVerdict
from integrations.bank.models import LeadSubmission, RepaymentMethod
from integrations.bank.sandbox import SandboxBank, admin, seed
from integrations.bank.worksheet_models import ReviewVerdict
from integrations.sms.outbound import RecordingSmsSender
from tests.test_officer_journeys import (
    FORGED_UPDATE_IDS,
    OFFICER_ZH,
    Desk,
    bind,
    deliver,
    forge,
    session_alerts,
)

COLLEAGUE_ZH = ChatUser("colleague", 20004, "孙经理", "zh-hans", "+8613800000103")
OFFICER_EN = replace(OFFICER_ZH, language_code="en")
COLLEAGUE_EN = replace(COLLEAGUE_ZH, language_code="en")
MERCHANT = ChatUser("merchant", 30001, "张伟", "en", "+8613911112222")
# What the merchant declared: 55,000 a month, where the officer counts 38,200 (30.5% apart).
DECLARED = {
    "daily_sales": "1500", "monthly_sales": "55000", "monthly_costs": "2600",
    "household_spending": "3000", "debt_payments": "1000", "assets": ["home", "stock"],
}  # fmt: skip
ANSWERS = (
    "2000",
    "1500",
    "800",
    "26",
    "4",
    "4",
    None,
    "蔬菜 60% 20%\n水果 40% 30%",
    "2000",
    "0",
    "300",
    "200",
    "100",
    "0",
    "3000",
    "1000",
    "8000",
    "2000",
    "30000",
    "20000",
    "0",
    "100000",
    "5000",
    "10000/1000",
    "0",
)  # fmt: skip  (None: the seasonality, a button)


async def joint_lead(
    bank: SandboxBank,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    desk: Desk,
    officer: ChatUser,
    colleague: ChatUser,
) -> str:
    """A lead above the joint threshold, claimed by `officer`: `colleague` co-investigates."""
    await bank.run(
        lambda connection, context: admin.add_officer(
            connection, staff_code="K003", name="孙经理", phone=colleague.phone,
            territory_code=seed.NORTH, team_code=seed.RETAIL_TEAM,
        )
    )  # fmt: skip
    await bind(driver, sms, officer, "K001")
    await bind(driver, sms, colleague, "K003")
    submission = LeadSubmission(
        applicant_name="张伟", phone=MERCHANT.phone, district_code="JINNIU",
        industry_code="retail", amount=Decimal(150000), term_months=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT, purpose="进货", details=DECLARED,
    )  # fmt: skip
    lead = await bank.submit_lead(submission, idempotency_key="lead-worksheet")
    await deliver(desk, driver)
    await driver.press(officer, "#1")  # Claim: the officer presents, the colleague seconds
    claimed = await bank.get_lead(lead.id)
    member = await desk.services.directory.by_chat(officer.user_id)
    assert member is not None and claimed.officer_id == member.officer_id
    assert claimed.co_officer_id is not None
    return lead.id


@pytest.fixture
def desk(app: App, background: Background) -> Desk:
    return Desk(app.services.officers, background)


async def check_in(bank: SandboxBank, lead_id: str, officer_id: str) -> None:
    """The co-investigator's check-in, as the visit's part of the bank records it."""
    await bank.run(
        lambda connection, context: connection.execute(
            "INSERT INTO check_ins (id, lead_id, officer_id, at, latitude, longitude, live,"
            " distance_m, measured_from, within_limit, reason)"
            " VALUES ('CI000001', ?, ?, ?, 30.68, 104.05, 1, 80, 'merchant', 1, '')",
            (lead_id, officer_id, context.stamp),
        )
    )


async def fill(
    driver: ChatDriver, user: ChatUser, answers: tuple[str | None, ...], season: str
) -> None:
    for answer in answers:
        if answer is None:
            await driver.press(user, season)
        else:
            await driver.send(user, answer)  # fmt: skip


async def reviews(bank: SandboxBank, lead_id: str) -> list[tuple[str, str]]:
    latest = await bank.latest_worksheet(lead_id)
    return [(review.officer_id, review.verdict.value) for review in latest.reviews]


async def test_the_worksheet_flags_a_30_percent_sales_mismatch_and_the_colleague_confirms(
    driver: ChatDriver, sms: RecordingSmsSender, bank: SandboxBank, desk: Desk
) -> None:
    lead_id = await joint_lead(bank, driver, sms, desk, OFFICER_EN, COLLEAGUE_EN)
    lead = await bank.get_lead(lead_id)

    await driver.press(OFFICER_EN, "Worksheet")
    assert "1/25 · Sales" in driver.last(OFFICER_EN).text
    assert "Sales on a good day?" in driver.last(OFFICER_EN).text
    await fill(driver, OFFICER_EN, ANSWERS[:3], "Steady")
    await driver.press(OFFICER_EN, "Back")  # to the bad day again
    assert "3/25 · Sales" in driver.last(OFFICER_EN).text
    await driver.send(OFFICER_EN, "lots")
    assert "amount" in driver.last(OFFICER_EN).text.lower()
    await fill(driver, OFFICER_EN, ANSWERS[2:5], "Steady")
    await driver.send(OFFICER_EN, "30")  # good and bad days beyond the days worked
    assert "more than the days worked" in driver.last(OFFICER_EN).text
    await driver.send(OFFICER_EN, "/queue")  # away to something else: the draft waits
    await driver.press(OFFICER_EN, "Worksheet", message_id=_card_id(driver, OFFICER_EN, lead_id))
    assert "6/25 · Sales" in driver.last(OFFICER_EN).text  # resumed where it was
    await fill(driver, OFFICER_EN, ANSWERS[5:], "Steady")

    review = driver.last(OFFICER_EN).text
    assert "Monthly sales: CN¥38,200.00" in review
    assert "Gross margin: 24%" in review
    assert "Installment capacity: CN¥2,497.60" in review
    assert "above the capacity" in review
    assert "Largest affordable amount for this term and method: CN¥28,100.00" in review
    assert "• Monthly sales: declared CN¥55,000.00, worksheet CN¥38,200.00 (31% apart)" in review
    assert "Current ratio: 8.00" in review

    await driver.press(OFFICER_EN, "Household")
    assert "15/25 · Household" in driver.last(OFFICER_EN).text
    await fill(driver, OFFICER_EN, ("2500", "1000"), "Steady")
    assert "Installment capacity: CN¥2,847.60" in driver.last(OFFICER_EN).text
    await driver.press(OFFICER_EN, "Save version")
    assert f"Worksheet version 1 saved for lead {lead_id}." in driver.last(OFFICER_EN).text
    saved = await bank.latest_worksheet(lead_id)
    assert saved.body["household"]["spending"] == "2500"

    await deliver(desk, driver)  # the co-investigator hears of the version, in English
    notice = driver.last(COLLEAGUE_EN)
    assert f"李经理 saved worksheet version 1 of lead {lead_id}." in notice.text
    await driver.press(COLLEAGUE_EN, "Review worksheet", notice.message_id)
    shown = driver.last(COLLEAGUE_EN).text
    assert f"Worksheet version 1 of lead {lead_id}, by 李经理" in shown
    assert "declared CN¥55,000.00, worksheet CN¥38,200.00" in shown
    await driver.press(COLLEAGUE_EN, "Confirm")
    assert "Check in at the business first" in session_alerts(driver)[-1]
    assert await reviews(bank, lead_id) == []

    await check_in(bank, lead_id, str(lead.co_officer_id))
    await driver.press(COLLEAGUE_EN, "Confirm")
    assert f"You confirmed worksheet version 1 of lead {lead_id}." in session_alerts(driver)[-1]
    assert await reviews(bank, lead_id) == [(str(lead.co_officer_id), "confirmed")]


async def test_the_presenter_cannot_confirm_and_forged_presses_change_nothing(
    driver: ChatDriver, sms: RecordingSmsSender, bank: SandboxBank, desk: Desk
) -> None:
    lead_id = await joint_lead(bank, driver, sms, desk, OFFICER_ZH, COLLEAGUE_ZH)
    await driver.press(OFFICER_ZH, "调查表")
    await fill(driver, OFFICER_ZH, ANSWERS, "全年平稳")
    review = driver.last(OFFICER_ZH).text
    assert "月销售额：¥38,200.00" in review
    assert "申报 ¥55,000.00，调查表 ¥38,200.00" in review
    await driver.press(OFFICER_ZH, "保存")
    await check_in(bank, lead_id, str((await bank.get_lead(lead_id)).officer_id))  # presenter

    await forge(
        driver,
        OFFICER_ZH,
        WorksheetVerdict(lead=lead_id, version=1, verdict=ReviewVerdict.CONFIRMED).pack(),
    )
    assert session_alerts(driver)[-1] == "只有这条线索的协办客户经理（双人调查）才能审阅调查表。"
    await forge_on(driver, COLLEAGUE_ZH, WorksheetOpen(action=OpenVerb.FILL, lead=lead_id).pack())
    assert session_alerts(driver)[-1] == "这条线索不归您处理。"
    await forge(driver, COLLEAGUE_ZH, WorksheetStep(action="save").pack())
    await forge(driver, OFFICER_ZH, "wv:LD000001:x:confirmed")
    assert session_alerts(driver)[-2:] == ["此按钮已失效。"] * 2
    await forge(driver, MERCHANT, WorksheetOpen(action=OpenVerb.REVIEW, lead=lead_id).pack())
    assert "for the bank's loan officers" in session_alerts(driver)[-1]  # an English app
    assert await reviews(bank, lead_id) == []
    assert len(await bank.list_worksheets(lead_id)) == 1  # fmt: skip


async def test_the_colleague_dissents_with_a_note_before_and_after_checking_in(
    driver: ChatDriver, sms: RecordingSmsSender, bank: SandboxBank, desk: Desk
) -> None:
    lead_id = await joint_lead(bank, driver, sms, desk, OFFICER_ZH, COLLEAGUE_ZH)
    await driver.press(COLLEAGUE_ZH, "审阅调查表")
    assert f"线索 {lead_id} 还没有保存的调查表。" in driver.last(COLLEAGUE_ZH).text
    await driver.press(OFFICER_ZH, "调查表")
    await fill(driver, OFFICER_ZH, ANSWERS, "全年平稳")
    await driver.press(OFFICER_ZH, "保存")
    await deliver(desk, driver)  # the co-investigator hears of the version, in Chinese
    notice = driver.last(COLLEAGUE_ZH)
    assert f"李经理保存了线索 {lead_id} 的调查表第 1 版。" in notice.text

    await driver.press(COLLEAGUE_ZH, "审阅调查表", notice.message_id)
    await driver.press(COLLEAGUE_ZH, "不同意")
    await driver.send(COLLEAGUE_ZH, "库存比看到的少")
    assert "请先到店签到" in driver.last(COLLEAGUE_ZH).text
    await check_in(bank, lead_id, str((await bank.get_lead(lead_id)).co_officer_id))
    await driver.press(COLLEAGUE_ZH, "不同意")
    await driver.send(COLLEAGUE_ZH, "库存比看到的少")
    assert f"您对线索 {lead_id} 调查表第 1 版的异议已记录。" in driver.last(COLLEAGUE_ZH).text
    latest = await bank.latest_worksheet(lead_id)
    assert [(r.verdict, r.note) for r in latest.reviews] == [("dissent", "库存比看到的少")]


async def forge_on(driver: ChatDriver, user: ChatUser, data: str) -> None:
    """A press made by hand, on the user's last message."""
    shown = driver.last(user)
    message = Message(
        message_id=shown.message_id, date=datetime.now(UTC), chat=user.chat(), text=shown.text
    )
    query = CallbackQuery(
        id="forged", from_user=user.as_telegram_user(), chat_instance=str(user.user_id),
        message=message, data=data,
    )  # fmt: skip
    await driver.deliver(Update(update_id=next(FORGED_UPDATE_IDS), callback_query=query))


def _card_id(driver: ChatDriver, user: ChatUser, lead_id: str) -> int:
    cards = [
        shown
        for shown in driver.seen(user)
        if any((b.callback_data or "").startswith("wk:") for b in shown.flat_buttons())
        and lead_id in shown.text
    ]
    assert cards, f"{user.name} has no card for {lead_id}"
    return cards[-1].message_id
