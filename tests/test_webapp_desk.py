"""The officers' and supervisors' dashboard Mini App in headless Chromium: the queue, the
figures and the overdue book are the chat's and the bank's; the role is checked on every call.
Screenshots at 360 px, light and dark, go to var/test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from test_officer_journeys import (
    OFFICER_EN,
    OFFICER_ZH,
    SUPERVISOR_EN,
    SUPERVISOR_ZH,
    Desk,
    bind,
    submit,
)

from bot.background import Background
from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.services.officers.staff import StaffMember
from bot.views import desk as desk_views
from bot.views import officers as views
from integrations.bank.models import TaskKind
from integrations.bank.protocol import BankAdapter
from integrations.sms.outbound import RecordingSmsSender
from tests.support.chromium import MISSING, chromium_installed, open_page
from tests.support.mini_app import authorization, page_url, server

__all__ = ["server"]  # the fixture
ARTIFACTS = Path("var/test-artifacts")
DESK_API = ("me", "queue", "week", "overdue", "team")
DARK = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
}
in_chromium = pytest.mark.skipif(not chromium_installed(), reason=MISSING)
LOCALES = {"zh-hans": "zh_Hans", "en": "en"}


@pytest.fixture
def desk(app: App, background: Background) -> Desk:
    return Desk(app.services.officers, background)


async def _member(app: App, user: ChatUser) -> StaffMember:
    member = await app.services.officers.directory.by_chat(user.user_id)
    assert member is not None
    return member


async def _get(
    server: TestServer, user: ChatUser, clock: SimulatedClock, name: str
) -> tuple[int, dict[str, object]]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(
            server.make_url(f"/app/api/desk/{name}"), headers=authorization(user, clock.now())
        ) as answer,
    ):
        return answer.status, await answer.json(content_type=None)


async def test_a_merchant_gets_403_from_every_dashboard_call(
    server: TestServer, app: App, clock: SimulatedClock, bob: ChatUser, alice: ChatUser
) -> None:
    for name in DESK_API:
        status, body = await _get(server, bob, clock, name)
        assert (status, body["title"]) == (403, "Forbidden"), name
        assert body["detail"].startswith("This is for the bank's loan officers.")
    status, body = await _get(server, alice, clock, "team")
    with app.i18n.context(), app.i18n.use_locale("zh_Hans"):
        assert (status, body["detail"]) == (403, desk_views.not_staff())
    assert "银行" in str(body["detail"])
    async with aiohttp.ClientSession() as http:
        opened = await http.post(
            server.make_url("/app/api/desk/open"),
            json={"lead": "LD1"},
            headers=authorization(bob, clock.now()),
        )
        assert opened.status == 403
        unsigned = await http.get(server.make_url("/app/api/desk/me"))
        assert unsigned.status == 401


async def test_an_officer_gets_403_from_the_supervisors_figures(
    server: TestServer, clock: SimulatedClock, driver: ChatDriver, sms: RecordingSmsSender
) -> None:
    await bind(driver, sms, OFFICER_EN, "K001")
    status, body = await _get(server, OFFICER_EN, clock, "team")
    assert (status, body["detail"]) == (403, "These figures are for supervisors.")
    status, me = await _get(server, OFFICER_EN, clock, "me")
    assert (status, me["role"]) == (200, "officer")


@in_chromium
@pytest.mark.parametrize("officer", [OFFICER_ZH, OFFICER_EN])
async def test_the_officers_dashboard_shows_the_queue_figures_and_overdue_loans(
    server: TestServer,
    app: App,
    clock: SimulatedClock,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    background: Background,
    officer: ChatUser,
) -> None:
    locale = LOCALES[officer.language_code or "en"]
    await bind(driver, sms, officer, "K001")
    lead_id = await submit(bank)
    await desk.deliver()
    member = await _member(app, officer)
    officers = app.services.officers
    with app.i18n.context(), app.i18n.use_locale(locale):
        queue = [
            desk_views.queue_item(item, clock.now(), "CNY", "Asia/Shanghai", locale)
            for item in await officers.tasks.queue(member)
        ]
        figures = views.team_lines(await officers.team.own(member), locale)
    tasks = await bank.list_officer_tasks(member.officer_id)
    loans = [
        await bank.get_loan(task.loan_id)
        for task in tasks
        if task.kind is TaskKind.OVERDUE_FOLLOW_UP
    ]
    assert loans  # the sandbox's seeded overdue loan

    async with open_page(page_url(server, officer, clock.now(), path="/app/desk")) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        shown = await page.evaluate(
            "[...document.querySelectorAll('#queue li')].map(li => [li.dataset.sla,"
            " li.querySelector('.sla').textContent, li.childNodes[1].textContent])"
        )
        assert shown == [[item["sla"], item["sla_text"], item["text"]] for item in queue]
        assert any(lead_id in text for _sla, _name, text in shown)
        lines = await page.evaluate(
            "[...document.querySelectorAll('#figures p')].map(p => p.textContent)"
        )
        assert lines == figures
        overdue = await page.evaluate(
            "[...document.querySelectorAll('#overdue li')]"
            ".map(li => [li.dataset.loan, li.textContent])"
        )
        assert [loan for loan, _text in overdue] == [
            loan.id for loan in sorted(loans, key=lambda loan: -loan.days_overdue)
        ]
        for (_loan, text), loan in zip(overdue, loans, strict=True):
            assert str(loan.days_overdue) in text
        counts = await page.evaluate(
            "[...document.querySelectorAll('#by-days rect')].map(r => Number(r.dataset.count))"
        )
        assert sum(counts) == len(loans) and len(counts) == 4
        assert await page.csp_violations() == []
        await page.screenshot(ARTIFACTS / f"desk-officer-{locale}-360.png")

        before = len(driver.seen(officer))
        await page.evaluate("document.querySelector('#queue li button').click()")
        notice = await page.wait_for(
            "(() => { const notice = document.getElementById('notice');"
            " return !notice.hidden && notice.textContent; })()"
        )
        assert notice
    await background.outbound.run_due(clock.now())
    assert len(driver.seen(officer)) == before + 1
    assert lead_id in driver.last(officer).text  # the card again, its buttons at work there


@in_chromium
@pytest.mark.parametrize("supervisor", [SUPERVISOR_EN, SUPERVISOR_ZH])
async def test_the_supervisors_dashboard_shows_what_team_shows(
    server: TestServer,
    app: App,
    clock: SimulatedClock,
    driver: ChatDriver,
    sms: RecordingSmsSender,
    bank: BankAdapter,
    desk: Desk,
    supervisor: ChatUser,
) -> None:
    locale = LOCALES[supervisor.language_code or "en"]
    await bind(driver, sms, OFFICER_ZH, "K001")
    await bind(driver, sms, supervisor, "S001")
    await submit(bank)
    await desk.deliver()
    await driver.press(OFFICER_ZH, "认领")
    await desk.deliver()
    await driver.send(supervisor, "/team")
    team_text = driver.last(supervisor).text

    theme = DARK if supervisor is SUPERVISOR_EN else None
    async with open_page(
        page_url(server, supervisor, clock.now(), path="/app/desk", theme=theme)
    ) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        blocks = await page.evaluate(
            "[...document.querySelectorAll('#figures .officer')]"
            ".map(block => [...block.querySelectorAll('p')].map(p => p.textContent).join('\\n'))"
        )
        assert blocks and all(block in team_text for block in blocks)
        assert blocks[0].startswith("👤 李经理\n")
        overdue = await page.evaluate(
            "[...document.querySelectorAll('#overdue li')].map(li => li.dataset.loan)"
        )
        member = await _member(app, OFFICER_ZH)
        assert overdue == [
            case.loan.id for case in await app.services.officers.team.overdue(member)
        ]
        classes = await page.evaluate(
            "[...document.querySelectorAll('#by-classification rect')]"
            ".map(r => Number(r.dataset.count))"
        )
        assert len(classes) == 5 and sum(classes) == len(overdue)
        if theme:
            background_color = await page.evaluate(
                "getComputedStyle(document.body).backgroundColor"
            )
            assert background_color == "rgb(23, 33, 43)"
        assert await page.csp_violations() == []
        shade = "dark" if theme else "light"
        await page.screenshot(ARTIFACTS / f"desk-supervisor-{locale}-{shade}-360.png")
