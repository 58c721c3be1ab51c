"""The Mini App's API on the bot's web server: signed users only, the CLI's numbers, bounds."""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.clock import SimulatedClock
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import App
from bot.schedule_cli import add_arguments, run
from bot.update_queue import UpdateQueue
from bot.webapp.server import build_mini_app
from bot.webhook import build_web_app
from tests.support.mini_app import BOT_TOKEN, authorization

TERMS = [
    ("50000", "12", "equal_installments", "2026-01-15"),
    ("120000", "6", "equal_principal", "2026-03-31"),
    ("8000", "24", "principal_every_3", "2026-02-28"),
]


@pytest.fixture
async def client(app: App, redis: Redis) -> AsyncIterator[TestClient]:
    web_app = build_web_app(
        queue=UpdateQueue(redis, consumer="test-1"),
        redis=redis,
        metrics=app.metrics,
        path="/webhook",
        secret="s3cret",
        mini_app=build_mini_app(app.services, BOT_TOKEN),
    )
    async with TestClient(TestServer(web_app)) as test_client:
        yield test_client


def _cli_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    parser = argparse.ArgumentParser(prog="schedule")
    add_arguments(parser)
    assert run(parser.parse_args([*argv, "--json"])) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(("principal", "months", "method", "start"), TERMS)
async def test_the_schedule_is_exactly_what_the_command_line_prints(
    client: TestClient,
    clock: SimulatedClock,
    bob: ChatUser,
    capsys: pytest.CaptureFixture[str],
    principal: str,
    months: str,
    method: str,
    start: str,
) -> None:
    headers = authorization(bob, clock.now())
    bounds = await (await client.get("/app/api/bounds", headers=headers)).json()
    query = {"principal": principal, "months": months, "method": method, "start": start}
    response = await client.get("/app/api/schedule", params=query, headers=headers)
    assert response.status == 200
    assert response.content_type == "application/json"
    plan = {"principal_every_3": ["--method", "equal_principal", "--principal-every", "3"]}
    cli = _cli_json(
        capsys,
        [
            *("--principal", principal, "--months", months, "--start", start),
            *("--annual-rate", bounds["annual_rate"]),
            *plan.get(method, ["--method", method]),
        ],
    )
    assert await response.text() + "\n" == cli
    quote = await client.get("/app/api/quote", params=query, headers=headers)
    assert (await quote.json())["schedule"] == json.loads(cli)


@pytest.mark.parametrize(
    ("user_name", "method_button", "schedule_button"),
    [("bob", "Equal principal", "Schedule"), ("alice", "按月等额本金", "还款计划")],
)
async def test_the_quote_says_what_the_chat_says(
    client: TestClient,
    driver: ChatDriver,
    clock: SimulatedClock,
    request: pytest.FixtureRequest,
    user_name: str,
    method_button: str,
    schedule_button: str,
) -> None:
    user: ChatUser = request.getfixturevalue(user_name)
    await driver.send(user, "/calc")
    await driver.send(user, "50000")
    await driver.send(user, "12")
    await driver.press(user, method_button)
    chat = driver.last(user).text.splitlines()
    await driver.press(user, schedule_button)
    table = [line.split() for line in driver.last(user).text.splitlines()]

    query = {"principal": "50000", "months": "12", "method": "equal_principal"}
    headers = authorization(user, clock.now())
    text = (await (await client.get("/app/api/quote", params=query, headers=headers)).json())[
        "text"
    ]
    assert text["payment"] in chat
    assert text["total_interest"] in chat
    assert text["rate"] in chat
    assert len(text["rows"]) == 12
    assert all(row in table for row in text["rows"])


async def test_the_language_is_the_one_chosen_in_the_bot_before_telegrams(
    client: TestClient, app: App, clock: SimulatedClock, bob: ChatUser
) -> None:
    await app.services.preferences.choose(bob.user_id, "ru")
    response = await client.get("/app/api/bounds", headers=authorization(bob, clock.now()))
    bounds = await response.json()
    assert bounds["locale"] == "ru"
    assert bounds["labels"]["amount"] == "Сумма"


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        ({"principal": "10", "months": "12", "method": "bullet"}, "less than the smallest loan"),
        ({"principal": "5万", "months": "999", "method": "bullet"}, "whole number of months"),
        ({"principal": "abc", "months": "12", "method": "bullet"}, "could not read an amount"),
        ({"principal": "50000", "months": "12", "method": "nope"}, "must be one of"),
        ({"principal": "50000", "months": "2", "method": "principal_every_3"}, "Not available"),
        ({"principal": "50000", "months": "12", "method": "bullet", "start": "x"}, "a date like"),
    ],
)
async def test_terms_outside_the_product_are_a_400_problem(
    client: TestClient, clock: SimulatedClock, bob: ChatUser, query: dict[str, str], detail: str
) -> None:
    response = await client.get(
        "/app/api/schedule", params=query, headers=authorization(bob, clock.now())
    )
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    problem = await response.json()
    assert problem["status"] == 400
    assert detail in problem["detail"]


async def test_forged_stale_missing_and_foreign_init_data_get_401(
    client: TestClient, clock: SimulatedClock, bob: ChatUser
) -> None:
    now = clock.now()
    cases = [
        {},
        {"Authorization": "Bearer abc"},
        authorization(bob, now, token="43:OTHER"),
        authorization(bob, now - timedelta(seconds=3601)),
        authorization(bob, now + timedelta(minutes=5)),
        {"Authorization": authorization(bob, now)["Authorization"].replace("5002", "5001")},
    ]
    for headers in cases:
        for path in ("/app/api/bounds", "/app/api/schedule", "/app/api/quote"):
            response = await client.get(path, headers=headers)
            assert response.status == 401, (headers, path)
            assert response.content_type == "application/problem+json"


async def test_pages_carry_a_content_security_policy(client: TestClient) -> None:
    page = await client.get("/app/")
    assert page.status == 200
    policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self' https://telegram.org/js/telegram-web-app.js" in policy
    assert "'unsafe-inline'" not in policy
    # Telegram's web clients (web.telegram.org/k and /a) frame the page; no one else may
    ancestors = "frame-ancestors 'self' https://web.telegram.org https://webk.telegram.org"
    assert ancestors in policy
    assert "X-Frame-Options" not in page.headers
    html = await page.text()
    assert "<script>" not in html
    script = await client.get("/app/static/calculator.js")
    assert script.status == 200
    assert "Content-Security-Policy" in script.headers


async def test_apply_needs_terms_the_product_offers(
    client: TestClient, clock: SimulatedClock, bob: ChatUser
) -> None:
    headers = authorization(bob, clock.now())
    broken = await client.post("/app/api/apply", data="not json", headers=headers)
    assert broken.status == 400
    assert broken.content_type == "application/problem+json"
    too_much = {"principal": "9000000", "months": "12", "method": "equal_installments"}
    refused = await client.post("/app/api/apply", json=too_much, headers=headers)
    assert refused.status == 400
    assert "more than this loan can be" in (await refused.json())["detail"]
    unsigned = await client.post("/app/api/apply", json={**too_much, "principal": "50000"})
    assert unsigned.status == 401
