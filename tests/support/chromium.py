"""Debian's headless Chromium driven over the DevTools protocol: just what the tests need.

Playwright's browser download cannot work here, and the protocol is a WebSocket of JSON
messages, which aiohttp speaks. Every host but loopback resolves to nothing, so a page that
reaches for the network (telegram.org's script) fails at once instead of waiting.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MISSING = "Debian's chromium is not installed (scripts/ensure-chromium.sh installs it)"
START_TIMEOUT_SECONDS = 30.0
# what the page's Content-Security-Policy blocked, for `Page.csp_violations`
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def chromium_installed() -> bool:
    return Path(CHROMIUM).is_file()


class Page:
    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        message_id = next(self.ids)
        await self.socket.send_json({"id": message_id, "method": method, "params": params})
        async for message in self.socket:
            reply = json.loads(message.data)
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return dict(reply["result"])
        raise RuntimeError("the browser closed the connection")

    async def evaluate(self, expression: str) -> Any:
        reply = await self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"{expression}: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 15.0) -> Any:
        """The expression's value once it is truthy; fails after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while not (value := await self.evaluate(expression)):
                await asyncio.sleep(0.05)
        return value

    async def csp_violations(self) -> list[str]:
        return list(await self.evaluate("window.__cspViolations"))

    async def screenshot(self, path: Path) -> None:
        reply = await self.call("Page.captureScreenshot", format="png")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(reply["data"]))


@contextlib.asynccontextmanager
async def open_page(url: str, *, width: int = 360, height: int = 740) -> AsyncIterator[Page]:
    """A fresh browser with one tab on ``url``, closed afterwards."""
    with tempfile.TemporaryDirectory(prefix="chromium-", ignore_cleanup_errors=True) as profile:
        process = await asyncio.create_subprocess_exec(
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # as root in a container
            "--disable-gpu",
            "--no-first-run",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            port = await _devtools_port(Path(profile))
            async with aiohttp.ClientSession() as session:
                new = f"http://127.0.0.1:{port}/json/new?about:blank"
                async with session.put(new) as response:
                    target = await response.json()
                async with session.ws_connect(
                    target["webSocketDebuggerUrl"], max_msg_size=64 * 1024 * 1024
                ) as socket:
                    page = Page(socket)
                    await page.call("Page.enable")
                    await page.call(
                        "Emulation.setDeviceMetricsOverride",
                        width=width,
                        height=height,
                        deviceScaleFactor=1,
                        mobile=True,
                    )
                    await page.call(
                        "Page.addScriptToEvaluateOnNewDocument", source=RECORD_CSP_VIOLATIONS
                    )
                    await page.call("Page.navigate", url=url)
                    yield page
        finally:
            process.terminate()
            await process.wait()


async def _devtools_port(profile: Path) -> int:
    """Chromium writes the port it chose into the profile once it listens."""
    announced = profile / "DevToolsActivePort"
    async with asyncio.timeout(START_TIMEOUT_SECONDS):
        while not announced.exists() or not announced.read_text().strip():
            await asyncio.sleep(0.05)
    return int(announced.read_text().split()[0])
