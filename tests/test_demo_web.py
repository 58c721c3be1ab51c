"""`python -m bot demo --web`: the printed addresses open the Mini Apps in an ordinary
browser (headless Chromium here), signed for the demo's users, and Apply reaches the chat."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.support.chromium import MISSING, chromium_installed, open_page

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.skipif(not chromium_installed(), reason=MISSING)


class DemoProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def line_with(self, text: str, timeout: float = 120.0) -> str:
        async with asyncio.timeout(timeout):
            while True:
                found = next((line for line in self.lines if text in line), None)
                if found is not None:
                    return found
                assert self.process.stdout is not None
                raw = await self.process.stdout.readline()
                assert raw, "the demo ended:\n" + "\n".join(self.lines)
                self.lines.append(raw.decode().rstrip("\n"))


@pytest.fixture
async def demo(redis_url: str) -> AsyncIterator[DemoProcess]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "bot", "demo", "--web", "0"),
        cwd=ROOT,
        env={**os.environ, "BOT_REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    running = DemoProcess(process)
    yield running
    assert process.stdin is not None
    process.stdin.close()  # Ctrl-D
    async with asyncio.timeout(30):
        assert await process.wait() == 0


def _address(line: str) -> str:
    return line.split(": ", 1)[1]


async def test_the_printed_address_opens_the_calculator_and_apply_reaches_the_chat(
    demo: DemoProcess,
) -> None:
    merchant = _address(await demo.line_with("(web) merchant: http://127.0.0.1:"))
    assert "#tgWebAppData=" in merchant
    async with open_page(merchant) as page:
        await page.wait_for("document.body?.dataset.ready === 'true'")
        assert await page.evaluate("document.getElementById('title').textContent") == "贷款计算器"
        await page.evaluate("document.getElementById('apply').click()")
        await page.wait_for("!document.getElementById('handed-over').hidden")
    summary = await demo.line_with("bot -> merchant")
    assert "🧮" in summary
    assert "[📝 按这个方案申请]" in await demo.line_with("[📝 按这个方案申请]")


async def test_the_officers_address_opens_the_dashboard_once_the_officer_is_linked(
    demo: DemoProcess,
) -> None:
    officer = _address(await demo.line_with("(web) officer: http://127.0.0.1:"))
    async with open_page(officer) as page:
        refusal = await page.wait_for(
            "(() => { const problem = document.getElementById('problem');"
            " return problem && !problem.hidden && problem.textContent; })()"
        )
        assert "/officer" in refusal  # not linked yet: the role comes from the bank binding
