"""The supervisor's part of the dashboard Mini App: the funnel from new lead to payout with
the SLA breaches and the districts, and reassigning a lead from the page, which goes through
the chat's service with its checks and notices. A headless Chromium test reassigns a lead."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis
from test_officer_journeys import (
    OFFICER2_ZH,
    OFFICER_ZH,
    SUPERVISOR_EN,
    SUPERVISOR_ZH,
    Desk,
    bind,
    card_of,
    forge,
    submit,
)

from bot.background import Background
from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.redis_keys import OFFICERS
from bot.views.officers import LeadAction, LeadVerb
from integrations.bank.models import (
    District,
    LeadStatus,
    StaffRole,
    StatusUpdate,
)
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxBank, admin, seed
from integrations.bank.sandbox.context import Context
from integrations.sms.outbound import RecordingSmsSender
from tests.support.chromium import MISSING, chromium_installed, open_page
from tests.support.mini_app import authorization, page_url, server

__all__ = ["server"]  # the fixture
ARTIFACTS = Path("var/test-artifacts")
MONDAY_NOON = datetime(2026, 11, 23, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai: a new week
in_chromium = pytest.mark.skipif(not chromium_installed(), reason=MISSING)


@pytest.fixture
def desk(app: App, background: Background) -> Desk:
    return Desk(app.services.officers, background)


async def _call(
    server: TestServer,
    user: ChatUser,
    clock: SimulatedClock,
    name: str,
    body: object = None,
) -> tuple[int, Any]:
    headers = authorization(user, clock.now())
    url = server.make_url(f"/app/api/desk/{name}")
    async with aiohttp.ClientSession() as http:
        if body is None:
            answer = await http.get(url, headers=headers)
        elif isinstance(body, bytes):
            answer = await http.post(url, data=body, headers=headers)
        else:
            answer = await http.post(url, json=body, headers=headers)
        async with answer:
            return answer.status, await answer.json(content_type=None)


async def _officer_id(app: App, user: ChatUser) -> str:
    member = await app.services.officers.directory.by_chat(user.user_id)
    assert member is not None
    return member.officer_id


async def _team(driver: ChatDriver, sms: RecordingSmsSender, supervisor: ChatUser) -> None:
    for user, code in ((OFFICER_ZH, "K001"), (OFFICER2_ZH, "K002"), (supervisor, "S001")):
        await bind(driver, sms, user, code)


async def test_merchants_and_officers_get_403_from_the_funnel_and_reassignment(
    server: TestServer,
    app: App,
    clock: SimulatedClock,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    bob: ChatUser,
) -> None:
    await _team(driver, sms, SUPERVISOR_EN)
    lead_id = await submit(bank)
    await desk.deliver()
    move = {"lead": lead_id, "officer": await _officer_id(app, OFFICER2_ZH)}
    for user, detail in (
        (bob, "This is for the bank's loan officers."),
        (OFFICER_ZH, "这些数据仅供主管查看。"),
    ):
        for name, body in (("funnel", None), ("reassignable", None), ("reassign", move)):
            status, answer = await _call(server, user, clock, name, body)
            assert (status, answer["title"]) == (403, "Forbidden"), (user.name, name)
            assert str(answer["detail"]).startswith(detail)
    lead = await bank.get_lead(lead_id)
    assert (
        lead.officer_id == await _officer_id(app, OFFICER_ZH) and lead.status is LeadStatus.ROUTED
    )


async def test_the_funnel_counts_this_week_and_month_with_breaches_and_districts(
    server: TestServer,
    clock: SimulatedClock,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
) -> None:
    await _team(driver, sms, SUPERVISOR_EN)
    claimed = await submit(bank)  # Sunday 10:00, Jinniu: 李经理's
    await submit(bank, amount="60000", district="WUHOU")  # 王经理's, never claimed
    await desk.deliver()
    await driver.press(OFFICER_ZH, "认领")
    await desk.deliver()
    assert (await bank.get_lead(claimed)).status is LeadStatus.CLAIMED

    status, funnel = await _call(server, SUPERVISOR_EN, clock, "funnel")
    assert status == 200
    stages = [(row["stage"], row["week"], row["month"]) for row in funnel["stages"]]
    assert stages == [
        ("new", 2, 2),
        ("claimed", 1, 1),
        ("visited", 0, 0),
        ("committee", 0, 0),
        ("approved", 0, 0),
        ("paid_out", 0, 0),
    ]
    assert funnel["stages"][0]["label"] == "new leads"
    districts = {row["label"]: (row["week"], row["month"]) for row in funnel["districts"]}
    assert districts == {
        "Jinniu District": (1, 1),
        "Chenghua District": (0, 0),
        "Wuhou District": (1, 1),
        "Jinjiang District": (0, 0),
        "Qingyang District": (0, 0),
    }
    breaches = [(row["week"], row["month"]) for row in funnel["breaches"]]
    assert breaches == [(0, 0), (0, 0), (0, 0)]

    clock.move_to(MONDAY_NOON)  # past 11:30, the escalation of the lead nobody claimed
    status, funnel = await _call(server, SUPERVISOR_ZH, clock, "funnel")
    assert status == 200
    stages = [(row["label"], row["week"], row["month"]) for row in funnel["stages"]]
    assert stages[:2] == [("新线索", 0, 2), ("已认领", 0, 1)]  # this week began today
    breaches = [(row["label"], row["month"]) for row in funnel["breaches"]]
    assert breaches == [("超时次数", 1), ("未按时认领", 1), ("未按时联系", 0)]


async def test_the_funnel_knows_the_territory_of_an_officer_who_does_not_use_the_bot(
    server: TestServer,
    app: App,
    clock: SimulatedClock,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    redis: Redis,
) -> None:
    await bind(driver, sms, OFFICER2_ZH, "K002")
    await bind(driver, sms, SUPERVISOR_EN, "S001")
    lead_id = await submit(bank)  # Jinniu: 李经理's, who has not linked the bot
    await desk.deliver()
    status, funnel = await _call(server, SUPERVISOR_EN, clock, "funnel")
    assert (status, funnel["stages"][0]["month"]) == (200, 1)
    assert {"label": "Jinniu District", "week": 1, "month": 1} in funnel["districts"]

    await redis.delete(OFFICERS.lead_place(lead_id))  # recorded before leads had a place
    assert (await _call(server, SUPERVISOR_EN, clock, "funnel"))[1] == funnel
    assert await redis.exists(OFFICERS.lead_place(lead_id))  # asked of the bank once

    to = await _officer_id(app, OFFICER2_ZH)
    status, _answer = await _call(
        server, SUPERVISOR_EN, clock, "reassign", {"lead": lead_id, "officer": to}
    )
    assert (status, (await bank.get_lead(lead_id)).officer_id) == (200, to)


async def test_a_supervisor_reassigns_from_the_page_and_both_officers_hear_of_it(
    server: TestServer,
    app: App,
    clock: SimulatedClock,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    background: Background,
) -> None:
    await _team(driver, sms, SUPERVISOR_EN)
    lead_id = await submit(bank)
    await desk.deliver()
    await driver.press(OFFICER_ZH, "认领")
    await desk.deliver()
    status, listed = await _call(server, SUPERVISOR_EN, clock, "reassignable")
    [item] = listed["leads"]
    assert item["lead"] == lead_id and "claimed" in item["text"] and "李经理" in item["text"]
    assert "张伟" not in item["text"]  # no applicant's name on the page
    to = await _officer_id(app, OFFICER2_ZH)
    assert item["officers"] == [{"id": to, "name": "王经理"}]

    status, answer = await _call(
        server, SUPERVISOR_EN, clock, "reassign", {"lead": lead_id, "officer": to}
    )
    assert (status, answer["text"]) == (200, "Reassigned to 王经理.")
    lead = await bank.get_lead(lead_id)
    assert (lead.officer_id, lead.status, lead.claimed_at) == (to, LeadStatus.ROUTED, None)
    await background.outbound.run_due(clock.now())
    assert f"新线索 {lead_id}" in driver.last(OFFICER2_ZH).text  # as from the chat's button
    was_theirs = driver.last(OFFICER_ZH)
    assert lead_id in was_theirs.text and was_theirs.flat_buttons() == []  # edited in place
    assert "王经理" in card_of(driver, OFFICER_ZH, lead_id)

    status, again = await _call(
        server, SUPERVISOR_ZH, clock, "reassign", {"lead": lead_id, "officer": to}
    )
    assert (status, again["detail"]) == (409, "这条线索已经在这位客户经理手上。")


async def test_forged_ids_and_other_territories_are_refused_and_change_nothing(
    server: TestServer,
    app: App,
    clock: SimulatedClock,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: SandboxBank,
    desk: Desk,
) -> None:
    await _team(driver, sms, SUPERVISOR_EN)
    await bank.run(_west_territory)
    ours = await submit(bank)
    theirs = await submit(bank, district="PIDU")  # another supervisor's territory
    contacted = await submit(bank, amount="70000")
    await desk.deliver()
    first, second = await _officer_id(app, OFFICER_ZH), await _officer_id(app, OFFICER2_ZH)
    await bank.claim_lead(contacted, first)
    await bank.update_lead_status(
        contacted, StatusUpdate(officer_id=first, status=LeadStatus.CONTACTED)
    )
    before = {lead: await bank.get_lead(lead) for lead in (ours, theirs, contacted)}
    unreadable = "Choose a lead and an officer."
    refused = [
        ({"lead": "LD999999", "officer": second}, 404, "There is no such lead."),
        ({"lead": theirs, "officer": second}, 403, "This lead is outside your team's territory."),
        ({"lead": ours, "officer": "OF999"}, 403, "This officer is not in your team."),
        (
            {"lead": ours, "officer": await _officer_id(app, SUPERVISOR_EN)},
            403,
            "This officer is not in your team.",
        ),
        ({"lead": ours, "officer": first}, 409, "The lead is already with this officer."),
        (
            {"lead": contacted, "officer": second},
            409,
            "Only a lead nobody has claimed, or claimed and not yet contacted, can be reassigned.",
        ),
        ({"lead": "../v1/leads", "officer": second}, 400, unreadable),
        ({"lead": ours, "officer": 2}, 400, unreadable),
        ({"lead": ours}, 400, unreadable),
        ({"lead": ours, "officer": second, "as": "S002"}, 400, unreadable),
        (b"{not json", 400, unreadable),
        (b"[]", 400, unreadable),
    ]
    for body, status, detail in refused:
        got, answer = await _call(server, SUPERVISOR_EN, clock, "reassign", body)
        assert (got, answer["detail"]) == (status, detail), body
    status, answer = await _call(
        server, SUPERVISOR_ZH, clock, "reassign", {"lead": theirs, "officer": second}
    )
    assert (status, answer["detail"]) == (403, "这条线索不在您团队的片区内。")
    for lead_id, lead in before.items():
        assert await bank.get_lead(lead_id) == lead
    status, listed = await _call(server, SUPERVISOR_EN, clock, "reassignable")
    assert [item["lead"] for item in listed["leads"]] == [ours]


async def test_the_chats_reassign_button_is_refused_for_the_same_reasons(
    app: App,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: SandboxBank,
    desk: Desk,
) -> None:
    await _team(driver, sms, SUPERVISOR_ZH)
    await bank.run(_west_territory)
    theirs = await submit(bank, district="PIDU")
    await desk.deliver()
    to = await _officer_id(app, OFFICER2_ZH)
    before = await bank.get_lead(theirs)
    await forge(
        driver, SUPERVISOR_ZH, LeadAction(action=LeadVerb.REASSIGN, lead=theirs, arg=to).pack()
    )
    assert driver.session.alerts[-1] == "这条线索不在您团队的片区内。"
    assert await bank.get_lead(theirs) == before


def _west_territory(connection: sqlite3.Connection, _context: Context) -> None:
    """A territory with its own supervisor and officer, outside 赵主管's team."""
    admin.add_territory(connection, "CD-W", "成都西片")
    admin.add_district(
        connection,
        District(
            code="PIDU", name="郫都区", city="成都市", province="四川省",
            territory_code="CD-W", latitude=30.81, longitude=103.89,
        ),
    )  # fmt: skip
    supervisor = admin.add_officer(
        connection,
        staff_code="S002", name="钱主管", phone="+8613800000901", territory_code=seed.HEADQUARTERS,
        team_code=seed.RETAIL_TEAM, role=StaffRole.SUPERVISOR,
    )  # fmt: skip
    admin.add_officer(
        connection,
        staff_code="K009", name="吴经理", phone="+8613800000109", territory_code="CD-W",
        team_code=seed.RETAIL_TEAM, supervisor_id=supervisor,
    )  # fmt: skip


@in_chromium
async def test_the_supervisor_page_shows_the_funnel_and_reassigns_after_a_confirmation(
    server: TestServer,
    app: App,
    clock: SimulatedClock,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    background: Background,
) -> None:
    await _team(driver, sms, SUPERVISOR_ZH)
    lead_id = await submit(bank)
    await desk.deliver()
    status, funnel = await _call(server, SUPERVISOR_ZH, clock, "funnel")
    assert status == 200
    to = await _officer_id(app, OFFICER2_ZH)

    async with open_page(page_url(server, SUPERVISOR_ZH, clock.now(), path="/app/desk")) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        rows = await page.evaluate(
            "[...document.querySelectorAll('#funnel tr')].slice(1)"
            ".map(tr => [...tr.cells].map(td => td.textContent))"
        )
        expected = [*funnel["stages"], *funnel["breaches"]]
        assert rows == [[row["label"], str(row["week"]), str(row["month"])] for row in expected]
        assert rows[0] == ["新线索", "1", "1"]
        bars = await page.evaluate(
            "[...document.querySelectorAll('#funnel-chart rect')].map(r => Number(r.dataset.count))"
        )
        assert bars == [row["month"] for row in funnel["stages"]]
        districts = await page.evaluate(
            "[...document.querySelectorAll('#districts tr')].slice(1)"
            ".map(tr => tr.cells[0].textContent + tr.cells[2].textContent)"
        )
        assert "金牛区1" in districts
        assert await page.evaluate("document.querySelector('#reassign li').dataset.lead") == lead_id
        await page.evaluate("document.querySelector('#reassign li button').click()")
        question = await page.wait_for(
            "!document.getElementById('confirm').hidden"
            " && document.getElementById('confirm-question').textContent"
        )
        assert question == f"把线索 {lead_id} 改派给王经理？"
        assert (await bank.get_lead(lead_id)).officer_id != to  # nothing before the confirmation
        await page.evaluate("document.getElementById('confirm').scrollIntoView({block: 'center'})")
        await page.screenshot(ARTIFACTS / "desk-supervisor-reassign-zh_Hans-360.png")
        await page.evaluate("document.getElementById('confirm-yes').click()")
        notice = await page.wait_for(
            f"document.body.dataset.reassigned === '{lead_id}'"
            " && document.getElementById('notice').textContent"
        )
        assert notice == "已改派给 王经理。"
        assert await page.csp_violations() == []
    assert (await bank.get_lead(lead_id)).officer_id == to
    await background.outbound.run_due(clock.now())
    assert f"新线索 {lead_id}" in driver.last(OFFICER2_ZH).text
