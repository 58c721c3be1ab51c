"""The calculator Mini App in a real headless Chromium, served by the bot's own web server.

Telegram opens the page with the signed init data in the URL fragment (#tgWebAppData=...);
telegram.org cannot be reached here, so the page reads the fragment itself, as it does in an
ordinary browser. Screenshots at 360 px go to var/test-artifacts/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from aiogram.fsm.storage.base import StorageKey
from aiogram.utils.i18n import gettext as _t
from aiohttp.test_utils import TestServer

from bot.background import Background
from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.i18n import amount, money
from bot.schedule_cli import add_arguments, run
from bot.views import calculator as calculator_views
from tests.support.chromium import MISSING, Page, chromium_installed, open_page
from tests.support.mini_app import page_url, server

__all__ = ["server"]  # the fixture
pytestmark = pytest.mark.skipif(not chromium_installed(), reason=MISSING)
ARTIFACTS = Path("var/test-artifacts")
AMOUNTS = ("principal", "interest", "total", "balance")
SCHEDULE_ROWS = (
    "[...document.querySelectorAll('#schedule tbody tr')]"
    ".map(row => [...row.cells].map(cell => cell.textContent))"
)


def _page_url(server: TestServer, user: ChatUser, clock: SimulatedClock) -> str:
    return page_url(server, user, clock.now())


def _cli_schedule(
    capsys: pytest.CaptureFixture[str],
    principal: str,
    months: str,
    rate: str,
    start: str,
    *,
    method: str = "equal_installments",
    extra: list[str] | None = None,
) -> dict[str, object]:
    parser = argparse.ArgumentParser(prog="schedule")
    add_arguments(parser)
    argv = ["--principal", principal, "--months", months, "--annual-rate", rate]
    argv += ["--method", method, "--start", start, "--json", *(extra or [])]
    assert run(parser.parse_args(argv)) == 0
    return dict(json.loads(capsys.readouterr().out))


async def _move(page: Page, element_id: str, value: str) -> None:
    await page.evaluate(
        f"(() => {{ const input = document.getElementById({json.dumps(element_id)});"
        f" input.value = {json.dumps(value)};"
        " input.dispatchEvent(new Event('input', {bubbles: true})); })()"
    )


@pytest.mark.parametrize(
    ("user_name", "moved", "each_payment"),
    [("bob", "amount-range", "Each payment: {amount}"), ("alice", "amount", "每期还款：{amount}")],
)
async def test_the_shown_monthly_payment_is_the_engines(
    server: TestServer,
    app: App,
    clock: SimulatedClock,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
    user_name: str,
    moved: str,
    each_payment: str,
) -> None:
    user: ChatUser = request.getfixturevalue(user_name)
    locale = "en" if user_name == "bob" else "zh_Hans"
    bounds = await app.services.calculator.bounds()
    today = app.services.calculator.today().isoformat()
    async with open_page(_page_url(server, user, clock)) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        assert await page.evaluate("document.getElementById('amount-range').min") == str(
            bounds.min_amount
        )
        await _move(page, moved, "120000")
        expected = _cli_schedule(capsys, "120000", "12", str(bounds.annual_rate), today)
        rows = expected["installments"]
        assert isinstance(rows, list)
        first = money(Decimal(rows[0]["total"]), "CNY", locale)
        line = json.dumps(each_payment.format(amount=first))
        shown = await page.wait_for(
            "(() => { const text = document.getElementById('payment').textContent;"
            f" return text.startsWith({line}) && text; }})()"
        )
        assert shown.startswith(each_payment.format(amount=first))
        other = "amount" if moved == "amount-range" else "amount-range"
        assert await page.evaluate(f"document.getElementById('{other}').value") == "120000"
        table = await page.evaluate(SCHEDULE_ROWS)
        assert len(table) == 12
        assert table[-1][1:] == [
            rows[-1]["due_date"],
            *(amount(Decimal(rows[-1][key]), locale) for key in AMOUNTS),
        ]
        assert await page.evaluate("document.getElementById('problem').hidden")
        assert await page.csp_violations() == []
        await page.screenshot(ARTIFACTS / f"calculator-{locale}-360.png")


async def test_without_signed_init_data_the_page_shows_the_refusal(
    server: TestServer, bob: ChatUser, clock: SimulatedClock
) -> None:
    async with open_page(str(server.make_url("/app/"))) as page:
        problem = await page.wait_for(
            "(() => { const problem = document.getElementById('problem');"
            " return problem && !problem.hidden && problem.textContent; })()"
        )
        assert "tma <initData>" in problem
        assert await page.evaluate("document.getElementById('terms').hidden")


async def test_methods_that_need_a_longer_term_cannot_be_chosen(
    server: TestServer, bob: ChatUser, clock: SimulatedClock
) -> None:
    async with open_page(_page_url(server, bob, clock)) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        await page.evaluate("document.getElementById('method').value = 'principal_every_6'")
        await _move(page, "months", "3")
        await page.wait_for("document.getElementById('method').value === 'equal_installments'")
        disabled = await page.evaluate(
            "[...document.getElementById('method').options]"
            ".filter(option => option.disabled).map(option => option.value)"
        )
        assert disabled == [
            "principal_every_6",
            "grace_3_installments",
            "grace_3_principal_every_2",
        ]
        await page.wait_for("document.querySelectorAll('#schedule tbody tr').length === 3")
        assert await page.evaluate("document.getElementById('problem').hidden")


async def test_every_methods_schedule_on_the_page_is_the_command_lines(
    server: TestServer,
    app: App,
    bob: ChatUser,
    clock: SimulatedClock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    bounds = await app.services.calculator.bounds()
    today = app.services.calculator.today().isoformat()
    async with open_page(_page_url(server, bob, clock)) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        await _move(page, "amount", "86000")
        for plan in bounds.plans_for(12):
            cli = _cli_schedule(
                capsys,
                "86000",
                "12",
                str(bounds.annual_rate),
                today,
                method=plan.method.value,
                extra=[
                    *("--grace-principal", str(plan.grace_principal)),
                    *("--principal-every", str(plan.principal_every)),
                ],
            )
            expected = [
                [
                    str(row["number"]),
                    row["due_date"],
                    *(amount(Decimal(row[key]), "en") for key in AMOUNTS),
                ]
                for row in cli["installments"]  # type: ignore[attr-defined]
            ]
            await page.evaluate(
                "(() => { const select = document.getElementById('method');"
                f" select.value = {json.dumps(plan.plan_id)};"
                " select.dispatchEvent(new Event('change')); })()"
            )
            wanted = json.dumps(json.dumps(expected))
            with contextlib.suppress(TimeoutError):  # the assertion below shows the difference
                await page.wait_for(f"JSON.stringify({SCHEDULE_ROWS}) === {wanted}")
            shown = await page.evaluate(SCHEDULE_ROWS)
            assert shown == expected, plan.plan_id
            total = money(Decimal(cli["totals"]["interest"]), "CNY", "en")  # type: ignore[index]
            assert (
                await page.evaluate("document.getElementById('total-interest').textContent")
                == f"Total interest: {total}"
            )


COMPARE_ROWS = (
    "[...document.querySelectorAll('#compare tbody tr')]"
    ".map(row => [row.dataset.method, ...[...row.cells].map(cell => cell.textContent)])"
)


@pytest.mark.parametrize(("user_name", "locale"), [("bob", "en"), ("alice", "zh_Hans")])
async def test_compare_shows_every_method_side_by_side_as_the_chat_does(
    server: TestServer,
    app: App,
    clock: SimulatedClock,
    request: pytest.FixtureRequest,
    user_name: str,
    locale: str,
) -> None:
    user: ChatUser = request.getfixturevalue(user_name)
    calculator = app.services.calculator
    bounds = await calculator.bounds()
    async with open_page(_page_url(server, user, clock)) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        await _move(page, "amount", "90000")
        await _move(page, "months", "4")
        await page.wait_for("document.getElementById('months').value === '4'")
        await page.wait_for(
            "document.querySelector('#compare tbody tr')?.cells[1].textContent !== ''"
            " && document.getElementById('loan-terms').textContent.includes('4')"
        )
        with app.i18n.context(), app.i18n.use_locale(locale):
            expected = []
            for result in calculator.compare(bounds, Decimal("90000"), 4):
                name = calculator_views.plan_name(result.plan)
                if result.schedule is None:
                    shown = [name, _t("not available for this term"), "", ""]
                else:
                    shown = [
                        name,
                        calculator_views.payment_line(result.schedule, "CNY", locale),
                        money(result.schedule.total_interest, "CNY", locale),
                        amount(result.schedule.apr, locale) + "%",
                    ]
                expected.append([result.plan.plan_id, *shown])
        wanted = json.dumps(json.dumps(expected))
        with contextlib.suppress(TimeoutError):
            await page.wait_for(f"JSON.stringify({COMPARE_ROWS}) === {wanted}")
        assert await page.evaluate(COMPARE_ROWS) == expected
        unavailable = [row[0] for row in expected if row[3] == ""]
        assert unavailable == ["principal_every_6", "grace_3_principal_every_2"]
        chosen = await page.evaluate("document.querySelector('#compare tr.chosen').dataset.method")
        assert chosen == "equal_installments"
        await page.screenshot(ARTIFACTS / f"calculator-compare-{locale}-360.png")


async def test_the_chart_stacks_each_payments_principal_and_interest(
    server: TestServer, app: App, bob: ChatUser, clock: SimulatedClock
) -> None:
    bounds = await app.services.calculator.bounds()
    schedule = app.services.calculator.schedule(bounds, Decimal("60000"), 6, "equal_principal")
    async with open_page(_page_url(server, bob, clock)) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        await page.evaluate(
            "(() => { const select = document.getElementById('method');"
            " select.value = 'equal_principal'; select.dispatchEvent(new Event('change'));"
            " const months = document.getElementById('months'); months.value = '6';"
            " const amount = document.getElementById('amount'); amount.value = '60000';"
            " amount.dispatchEvent(new Event('input')); })()"
        )
        await page.wait_for("document.querySelectorAll('#chart rect').length === 12")
        bars = await page.evaluate(
            "[...document.querySelectorAll('#chart rect')].map(rect => [rect.getAttribute('class'),"
            " rect.dataset.amount, Number(rect.getAttribute('y')),"
            " Number(rect.getAttribute('height'))])"
        )
        expected = [
            (part, str(getattr(row, part)))
            for row in schedule.installments
            for part in ("principal", "interest")
        ]
        assert [(kind, value) for kind, value, _y, _h in bars] == expected
        # the interest sits on its principal, and the first (largest) payment fills the chart
        for principal, interest in zip(bars[::2], bars[1::2], strict=True):
            assert interest[2] + interest[3] == pytest.approx(principal[2])
        assert bars[1][2] == pytest.approx(4)
        assert bars[3][2] > bars[1][2]  # the payments fall, so the bars do
        legend = await page.evaluate("document.querySelector('.legend').textContent")
        assert "Principal" in legend and "Interest" in legend


async def test_apply_with_these_numbers_continues_in_the_chat_at_the_application(
    server: TestServer,
    app: App,
    bob: ChatUser,
    clock: SimulatedClock,
    driver: ChatDriver,
    background: Background,
) -> None:
    async with open_page(_page_url(server, bob, clock)) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        await page.evaluate(
            "(() => { const select = document.getElementById('method');"
            " select.value = 'equal_principal'; select.dispatchEvent(new Event('change')); })()"
        )
        await _move(page, "amount", "75000")
        await page.wait_for("document.getElementById('loan-terms').textContent.includes('75')")
        await page.evaluate("document.getElementById('apply').click()")
        handed = await page.wait_for(
            "!document.getElementById('handed-over').hidden"
            " && document.getElementById('handed-over').textContent"
        )
        assert handed.startswith("Your numbers are in the chat")
        await page.evaluate("document.getElementById('apply').click()")  # twice: one message
        await page.wait_for("!document.getElementById('apply').disabled")
    await background.outbound.run_due(clock.now())
    [summary] = driver.seen(bob)
    assert "Equal principal" in summary.text
    assert "¥75,000.00 for 12 months" in summary.text
    await driver.press(bob, "Apply with these numbers")
    assert driver.last(bob).text.startswith("📝 Loan pre-application")
    key = StorageKey(bot_id=42, chat_id=bob.user_id, user_id=bob.user_id)
    answers = (await app.storage.get_data(key))["apply"]["answers"]
    assert (Decimal(answers["amount"]), answers["months"], answers["plan"]) == (
        Decimal("75000"),
        12,
        "equal_principal",
    )
    assert len(driver.seen(bob)) == 2  # pressing Apply twice sent the numbers once
