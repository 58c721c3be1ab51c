"""`python -m bot run` as a real process, talking to a stand-in Bot API and a given Redis."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from tests.support.bot_api import TOKEN, StandInBotApi
from tests.support.redis_process import _free_port

ROOT = Path(__file__).resolve().parent.parent.parent
WEBHOOK_SECRET = "fault-test-secret"


@dataclass
class BotProcess:
    base_url: str
    http: aiohttp.ClientSession
    log: Path
    process: asyncio.subprocess.Process

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with self.http.get(f"{self.base_url}/healthz") as response:
            return response.status, await response.json()

    async def post_update(self, update: dict[str, Any]) -> int:
        """One delivery attempt, as Telegram makes it; the HTTP status."""
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        async with self.http.post(
            f"{self.base_url}/webhook", data=json.dumps(update), headers=headers
        ) as response:
            return response.status

    async def deliver(self, update: dict[str, Any], timeout: float = 60) -> None:
        """Deliver as Telegram does: again after any answer but 200."""
        deadline = time.monotonic() + timeout
        while await self.post_update(update) != 200:
            assert time.monotonic() < deadline, "the webhook never accepted the update"
            await asyncio.sleep(0.2)

    async def wait_healthy(self, healthy: bool, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                status, body = await self.health()
                if (status == 200) == healthy:
                    return body
            if self.process.returncode is not None:
                raise AssertionError(f"the bot exited: {self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"/healthz never became {'200' if healthy else '503'}")
            await asyncio.sleep(0.05)


@contextlib.asynccontextmanager
async def bot_process(
    telegram: StandInBotApi, redis_url: str, folder: Path, *, webhook: bool, **env: str
) -> AsyncIterator[BotProcess]:
    port = _free_port()
    settings = {
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": telegram.base_url,
        "BOT_REDIS_URL": redis_url,
        "BOT_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "BOT_WEBHOOK_HOST": "127.0.0.1",
        "BOT_WEBHOOK_PORT": str(port),
        "BOT_SANDBOX_DB": str(folder / "sandbox.db"),
        "BOT_SMS_CONSOLE": "1",
        **env,
    }
    log = folder / f"bot-{port}.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", *(["--webhook"] if webhook else []),
            cwd=ROOT, env={**os.environ, **settings}, stdout=output, stderr=output,
        )  # fmt: skip
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as http:
        running = BotProcess(f"http://127.0.0.1:{port}", http, log, process)
        try:
            await running.wait_healthy(True)
            yield running
        except BaseException:
            # pytest shows captured stderr with the failure: what the bot saw, next to it
            tail = log.read_text(errors="replace")[-8000:]
            print(f"--- tail of {log} ---\n{tail}", file=sys.stderr)
            raise
        finally:
            if process.returncode is None:
                process.terminate()
                await asyncio.wait_for(process.wait(), 30)
