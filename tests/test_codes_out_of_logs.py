"""One-time codes reach phones, never a log or stdout: `run`, `worker` and `sandbox serve`
refuse to start without an SMS gateway; the development switch prints texts with the codes
masked. Only the demo shows codes (its script needs them)."""

from __future__ import annotations

import asyncio
import logging
import re
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.clock import SimulatedClock
from bot.config import Settings, SettingsError
from bot.demo.driver import ChatDriver, ChatUser
from bot.factory import Outside, build_bank, build_bot, build_dispatcher, build_storage
from bot.local_session import LocalSession
from bot.sms_channel import outbound_sms
from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.models import BindingStart
from integrations.bank.sandbox import seed

ROOT = Path(__file__).resolve().parent.parent
SIX_DIGITS = re.compile(r"(?<!\d)\d{6}(?!\d)")
NO_GATEWAY = (
    "error: BOT_SMS_GATEWAY_URL is not set: one-time codes are sent by SMS, so set the gateway "
    "(and BOT_SMS_GATEWAY_TOKEN), or for development only BOT_SMS_CONSOLE=1 to print texts "
    "with the codes masked"
)
LIU = ChatUser("liu", 6101, "Liu", "en", seed.OVERDUE_CUSTOMER_PHONE)


def _env(tmp_path: Path, **variables: str) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **variables}


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("mode", "variables"),
    [
        (("run",), {"BOT_TOKEN": "42:TEST"}),
        (("run", "--webhook"), {"BOT_TOKEN": "42:TEST", "BOT_WEBHOOK_SECRET": "s" * 32}),
        (("worker",), {"BOT_TOKEN": "42:TEST"}),
        (("sandbox", "serve"), {"BOT_BANK_API_TOKEN": "bank-token"}),
    ],
    ids=["run", "webhook", "worker", "sandbox-serve"],
)
def test_without_a_gateway_each_mode_refuses_with_one_line(
    tmp_path: Path, mode: tuple[str, ...], variables: dict[str, str]
) -> None:
    result = _cli(_env(tmp_path, **variables), *mode)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [NO_GATEWAY]
    assert result.stdout == ""


def test_a_gateway_without_its_token_is_named(tmp_path: Path) -> None:
    env = _env(tmp_path, BOT_TOKEN="42:TEST", BOT_SMS_GATEWAY_URL="http://127.0.0.1:9/sms")
    result = _cli(env, "worker")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: BOT_SMS_GATEWAY_TOKEN is not set: the SMS gateway at BOT_SMS_GATEWAY_URL "
        "needs its bearer token"
    ]


def test_the_sender_for_run_and_worker_refuses_too(settings: Settings) -> None:
    with pytest.raises(SettingsError, match="BOT_SMS_GATEWAY_URL is not set"):
        outbound_sms(settings)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_sandbox_serve_in_console_mode_prints_the_binding_text_with_the_code_masked(
    tmp_path: Path,
) -> None:
    port = _free_port()
    env = _env(
        tmp_path,
        BOT_SMS_CONSOLE="1",
        BOT_BANK_API_TOKEN="bank-token",
        BOT_SANDBOX_DB=str(tmp_path / "bank.db"),
    )
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sandbox", "serve", "--port", str(port),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        await _wait_until_listening(port)
        async with HttpBankAdapter(f"http://127.0.0.1:{port}", "bank-token") as bank:
            challenge = await bank.start_binding(
                BindingStart(chat_user_id=LIU.user_id, phone=LIU.phone)
            )
        line = (await asyncio.wait_for(server.stdout.readline(), 30)).decode()
    finally:
        server.terminate()
        rest, errors = await server.communicate()
    printed = line + rest.decode() + errors.decode()
    assert line.startswith(f"sms -> {challenge.masked_phone}: 【微贷助手】验证码 ******")
    assert SIX_DIGITS.search(printed) is None, printed


async def _wait_until_listening(port: int) -> None:
    for _ in range(300):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:  # still starting
            await asyncio.sleep(0.1)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError("the sandbox server did not start")


@pytest.fixture
async def console_driver(
    settings: Settings, redis: Redis, clock: SimulatedClock
) -> AsyncIterator[ChatDriver]:
    """The bot as `run` builds it with BOT_SMS_CONSOLE=1: the bank's texts go to stdout."""
    console = settings.model_copy(update={"sms_console": True})
    bank = build_bank(console, clock, outbound_sms(console))
    storage = build_storage(redis, console)
    app = build_dispatcher(console, redis, storage, Outside(bank, clock))
    session = LocalSession()
    bot = build_bot("42:TEST", console, storage, session=session)
    yield ChatDriver(app.dispatcher, bot, session)
    await bot.session.close()
    await bank.aclose()


async def test_binding_in_console_mode_never_shows_the_code(
    console_driver: ChatDriver, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await console_driver.send(LIU, "/bind")
    await console_driver.share_contact(LIU)
    assert console_driver.last(LIU).text.startswith("The bank has texted a 6-digit code")
    printed = capsys.readouterr()
    assert "sms -> +86*******0002: 【微贷助手】验证码 ******" in printed.out
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert SIX_DIGITS.search(printed.out + printed.err + logged) is None
