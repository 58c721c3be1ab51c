"""Building the adapter from settings, and `sandbox serve` on a real port."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import aiohttp
import pytest

from integrations.bank.factory import build_bank_adapter
from integrations.bank.http_adapter import HttpBankAdapter
from integrations.bank.protocol import BankAdapter
from integrations.bank.rest_server import serve
from integrations.bank.sandbox import SandboxBank
from integrations.bank.sandbox.seed import MERCHANT_CHAT_USER_ID, MERCHANT_PHONE
from integrations.sms.outbound import RecordingSmsSender

from .support import TOKEN, MutableClock


def build(
    kind: str, tmp_path: Path, bank_url: str | None = None, api_token: str | None = None
) -> BankAdapter:
    return build_bank_adapter(
        kind,
        sandbox_db=str(tmp_path / "var" / "sandbox.db"),
        bank_url=bank_url,
        api_token=api_token,
        clock=MutableClock(),
        sms=RecordingSmsSender(),
    )


async def test_the_sandbox_is_created_and_seeded_once(tmp_path: Path) -> None:
    first = build("sandbox", tmp_path)
    assert isinstance(first, SandboxBank)
    merchant = await first.find_customer_by_phone(MERCHANT_PHONE)
    await first.aclose()

    second = build("sandbox", tmp_path)
    assert isinstance(second, SandboxBank)
    products = await second.list_products()
    binding = await second.get_binding(MERCHANT_CHAT_USER_ID)
    await second.aclose()

    assert len(products) == 1
    assert binding.customer_id == merchant.id


async def test_the_http_adapter_needs_url_and_token(tmp_path: Path) -> None:
    adapter = build("http", tmp_path, bank_url="http://127.0.0.1:8081", api_token=TOKEN)
    assert isinstance(adapter, HttpBankAdapter)
    await adapter.aclose()
    with pytest.raises(ValueError, match="BOT_BANK_URL"):
        build("http", tmp_path)
    with pytest.raises(ValueError, match="unknown bank adapter"):
        build("core-banking", tmp_path)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_answers_with_the_seeded_sandbox(tmp_path: Path) -> None:
    port = free_port()
    server = asyncio.create_task(serve("127.0.0.1", port, str(tmp_path / "bank.db"), TOKEN))
    try:
        await _wait_until_listening(port)
        async with HttpBankAdapter(f"http://127.0.0.1:{port}", TOKEN) as adapter:
            customer = await adapter.find_customer_by_phone(MERCHANT_PHONE)
        async with aiohttp.ClientSession() as session:
            document = await session.get(f"http://127.0.0.1:{port}/openapi.json")
            assert document.status == 200
    finally:
        server.cancel()
        with pytest.raises(asyncio.CancelledError):
            await server

    assert customer.phone == MERCHANT_PHONE


async def _wait_until_listening(port: int) -> None:
    for _ in range(100):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:  # still starting
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError("sandbox serve did not come up")


async def test_a_payoff_quote_for_a_bad_or_past_date_is_a_problem_400(tmp_path: Path) -> None:
    port = free_port()
    server = asyncio.create_task(serve("127.0.0.1", port, str(tmp_path / "bank.db"), TOKEN))
    url = f"http://127.0.0.1:{port}/v1/loans/LN000001/payoff-quote"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        await _wait_until_listening(port)
        async with aiohttp.ClientSession(headers=headers) as session:
            today = await session.get(url)
            assert today.status == 200
            quote = await today.json()
            answers = [
                await session.get(url, params={"on": on})
                for on in ("2026-13-01", "yesterday!", "2000-01-01")
            ]
            assert [answer.status for answer in answers] == [400, 400, 400]
            assert {answer.content_type for answer in answers} == {"application/problem+json"}
    finally:
        server.cancel()
        with pytest.raises(asyncio.CancelledError):
            await server
    assert set(quote) >= {"amount", "overdue", "principal", "interest", "fees", "penalty", "on"}
