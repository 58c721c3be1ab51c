"""What officers read is words in their language, never the bank's or the judgement's
codes: score factors, red flags, territories and teams, and how late an escalated lead is."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from test_officer_journeys import (
    MONDAY_0929,
    OFFICER_EN,
    OFFICER_ZH,
    SUPERVISOR_EN,
    SUPERVISOR_ZH,
    Desk,
    bind,
    card_of,
)

from bot.background import Background
from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from integrations.bank.models import District, Industry, LeadSubmission, RepaymentMethod
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxBank, admin
from integrations.sms.outbound import RecordingSmsSender

EAST = ChatUser("east", 20009, "周经理", "zh-hans", "+8613800000109")
OFFICER_RU = replace(OFFICER_ZH, language_code="ru")
SUPERVISOR_RU = replace(SUPERVISOR_ZH, language_code="ru")
FACTORS = {
    "coverage": 150,
    "months_operating": 72,
    "guarantor": 50,
    "owns_home": 50,
    "flag:phone_elsewhere": -80,
}
CODES = ("coverage", "months_operating", "owns_home", "flag:", "phone_elsewhere", "CD-N", "RETAIL")


@pytest.fixture
def desk(app: App, background: Background) -> Desk:
    return Desk(app.services.officers, background)


async def submit_judged(bank: BankAdapter) -> str:
    submission = LeadSubmission(
        applicant_name="张伟",
        phone="+8613911112222",
        district_code="JINNIU",
        industry_code="retail",
        amount=Decimal(50000),
        term_months=12,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        purpose="进货",
        score=742,
        flags=["phone_elsewhere"],
        details={"score_factors": FACTORS},
    )
    return (await bank.submit_lead(submission, idempotency_key="lead-judged")).id


@pytest.mark.parametrize(
    ("user", "linked", "factors"),
    [
        (
            OFFICER_ZH,
            "片区：成都北片，团队：零售批发组。",
            "评分因素：现金流可覆盖月供 +150、经营月数 +72、有保证人 +50、自有住房 +50、"
            "手机号属外地 -80",
        ),
        (
            OFFICER_EN,
            "territory Chengdu North, team retail and wholesale.",
            "Score factors: room in the cash flow for the payment +150, months in business +72, "
            "a guarantor +50, owns a home +50, phone from another city -80",
        ),
        (
            OFFICER_RU,
            "участок Чэнду, север, команда розница и опт.",
            "Факторы балла: запас денежного потока под платёж +150, месяцы работы бизнеса +72, "
            "есть поручитель +50, своё жильё +50, телефон из другого города -80",
        ),
    ],
)
async def test_score_factors_territory_and_team_are_words(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    user: ChatUser,
    linked: str,
    factors: str,
) -> None:
    await bind(driver, sms, user, "K001")
    assert linked in driver.last(user).text
    await driver.send(user, "/officer")
    assert linked in driver.last(user).text

    lead_id = await submit_judged(bank)
    await desk.deliver()
    await driver.press(user, "#3")  # Details
    card = card_of(driver, user, lead_id)
    assert factors in card
    assert not any(code in card for code in CODES), card


async def test_a_territory_and_team_the_bot_has_no_words_for_are_named_by_their_parts(
    driver: ChatDriver, sms: RecordingSmsSender, bank: SandboxBank
) -> None:
    def east(connection: sqlite3.Connection, context: object) -> None:
        admin.add_territory(connection, "CD-E", "成都东片")
        admin.add_district(connection, District(
            code="LONGQUAN", name="龙泉驿区", city="成都市", province="四川省",
            territory_code="CD-E", latitude=30.56, longitude=104.27,
        ))  # fmt: skip
        admin.add_industry_team(connection, "FARM", "农业组")
        admin.add_industry(connection, Industry(code="orchard", name="果园", team_code="FARM"))
        admin.add_industry(connection, Industry(code="poultry", name="养殖", team_code="FARM"))
        admin.add_officer(
            connection, staff_code="K009", name="周经理", phone=EAST.phone,
            territory_code="CD-E", team_code="FARM",
        )  # fmt: skip

    await bank.run(east)
    await bind(driver, sms, EAST, "K009")
    assert "片区：龙泉驿区，团队：果园、养殖。" in driver.last(EAST).text


@pytest.mark.parametrize(
    ("supervisor", "late", "later"),
    [
        (
            SUPERVISOR_ZH,
            ("⏰ 应于 2026年11月23日 11:30", "前认领，已超时 1 分钟（工作时间）"),
            "已超时 1 小时 1 分（工作时间）",
        ),
        (
            SUPERVISOR_EN,
            ("⏰ Claim was due by Nov 23, 2026, 11:30", "AM: 1 min of working time overdue"),
            "1 h 1 min of working time overdue",
        ),
        (
            SUPERVISOR_RU,
            (
                "⏰ Взять нужно было до 23 нояб. 2026\u202fг., 11:30",
                ": просрочено на 1 мин рабочего времени",
            ),
            "просрочено на 1 ч 1 мин рабочего времени",
        ),
    ],
)
async def test_an_escalated_card_says_how_long_the_claim_is_overdue(
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    clock: SimulatedClock,
    supervisor: ChatUser,
    late: tuple[str, str],
    later: str,
) -> None:
    await bind(driver, sms, OFFICER_ZH, "K001")
    await bind(driver, sms, supervisor, "S001")
    lead_id = await submit_judged(bank)
    await desk.deliver()
    clock.move_to(MONDAY_0929 + timedelta(minutes=2))
    await desk.sla_checks()  # the officer is reminded
    clock.advance(timedelta(hours=2))
    assert await desk.sla_checks() == 1  # nobody claimed: the supervisor gets it
    card = card_of(driver, supervisor, lead_id)
    assert all(part in card for part in late), card  # the time is shown with or without seconds
    assert not any(word in card for word in ("剩余", "left", "осталось"))

    clock.advance(timedelta(hours=1))
    await driver.send(supervisor, "/queue")
    await driver.press(supervisor, "#1")
    assert later in card_of(driver, supervisor, lead_id)
