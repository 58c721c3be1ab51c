"""`python -m bot demo --web`: both Mini Apps on localhost, over the demo's bank and clock.

The addresses printed carry init data signed with the demo's token for each seeded user, in
the URL fragment, where Telegram puts it too; an ordinary browser stands in for Telegram.
What a page hands to the chat (Apply, a lead's card) appears in the transcript within a
second. `@web` prints fresh addresses (the data is valid for an hour of the demo's clock).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from urllib.parse import quote

from aiohttp import web

from bot.demo.personas import PERSONAS
from bot.demo.terminal import DemoChat
from bot.demo.wiring import DEMO_TOKEN
from bot.webapp.init_data import sign
from bot.webapp.server import MOUNT, build_mini_app

DEMO_HOST = "127.0.0.1"
DELIVERY_SECONDS = 1.0
PAGES = {"merchant": "", "officer": "desk", "supervisor": "desk"}


def addresses(base: str, now: datetime) -> list[tuple[str, str]]:
    """(who, address) for each user a page is for: the merchant's calculator, the desks."""
    found = []
    for name, page in PAGES.items():
        user = PERSONAS[name]
        person = {"id": user.user_id, "first_name": user.first_name}
        if user.language_code:
            person["language_code"] = user.language_code
        fields = {
            "user": json.dumps(person, ensure_ascii=False, separators=(",", ":")),
            "auth_date": str(int(now.timestamp())),
        }
        fragment = "tgWebAppData=" + quote(sign(fields, DEMO_TOKEN), safe="")
        found.append((name, f"{base}{page}#{fragment}&tgWebAppVersion=8.0"))
    return found


def print_addresses(base: str, now: datetime, write: Callable[[str], None]) -> None:
    write("(web) the Mini Apps, signed for the demo's users (officers link with /officer first):")
    for name, address in addresses(base, now):
        write(f"(web) {name}: {address}")


@contextlib.asynccontextmanager
async def serve_mini_apps(chat: DemoChat, port: int) -> AsyncIterator[str]:
    """The Mini Apps served on ``port`` (0: any free one) while the demo runs; yields /app/'s
    address."""
    root = web.Application()
    root.add_subapp(MOUNT, build_mini_app(chat.background.services, DEMO_TOKEN))
    runner = web.AppRunner(root, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, DEMO_HOST, port)
    await site.start()
    bound = runner.addresses[0][1]
    base = f"http://{DEMO_HOST}:{bound}{MOUNT}/"
    chat.on_web = lambda: print_addresses(base, chat.clock.now(), chat.transcript.emit)
    chat.on_web()
    delivery = asyncio.create_task(_deliver(chat))
    try:
        yield base
    finally:
        delivery.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivery
        await runner.cleanup()


async def _deliver(chat: DemoChat) -> None:
    """What the pages queued for the chat, delivered as the worker would, between lines."""
    while True:
        await asyncio.sleep(DELIVERY_SECONDS)
        async with chat.busy:
            await chat.background.outbound.run_due(chat.clock.now())
