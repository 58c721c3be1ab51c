"""A stand-in Telegram Bot API on loopback: the bot talks HTTP to it as it would to Telegram.

It serves `getUpdates` (long polling from updates the test feeds; the offset confirms them,
as Telegram does), records every call, and answers the sending methods with real `Message`
objects. Faults are scripted per chat: a chat that blocked the bot (403), flood control
(429 with `retry_after`), a message that can no longer be edited (400), Telegram's front end
failing a few requests (502).

    async with StandInBotApi() as telegram:
        settings = Settings(api_base_url=telegram.base_url, ...)
        telegram.feed({"update_id": 1, "message": {...}})
        await telegram.wait_for(lambda: telegram.texts_to(5001))
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import web

TOKEN = "42:STAND-IN"
SENDING = {"sendMessage", "sendPhoto", "sendDocument"}
EDITING = {"editMessageText", "editMessageReplyMarkup", "editMessageCaption"}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    at: float  # time.monotonic() when it arrived
    refused: int | None = None  # the error code it got, if it was refused

    @property
    def chat_id(self) -> int | None:
        raw = self.params.get("chat_id")
        return int(raw) if raw is not None else None


@dataclass
class Faults:
    blocked: set[int] = field(default_factory=set)  # chats answering 403
    retry_after: dict[int, list[int]] = field(default_factory=dict)  # chat -> 429s to give
    gone: set[int] = field(default_factory=set)  # message ids that can no longer be edited
    down: bool = False  # every method answers 502, as when Telegram's front end is down
    server_errors: dict[int, int] = field(default_factory=dict)  # chat -> 502s to give
    # seconds each sent message takes; one whose request is cut meanwhile is not delivered
    slow: float = 0.0


class StandInBotApi:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.faults = Faults()
        self.when_called: dict[str, Callable[[], None]] = {}  # method -> run once, on arrival
        self._updates: list[dict[str, Any]] = []
        self._arrived = asyncio.Condition()
        self._message_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._serve)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)  # not a long poll
        await self._runner.setup()
        self.port = _free_port()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def feed(self, update: dict[str, Any]) -> None:
        """Make an update available to getUpdates."""
        async with self._arrived:
            self._updates.append(update)
            self._arrived.notify_all()

    def unconfirmed(self) -> list[int]:
        """Update ids Telegram still holds: not yet confirmed by a later offset."""
        return [update["update_id"] for update in self._updates]

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def texts_to(self, chat_id: int) -> list[str]:
        """What reached the chat, in order: sent texts and captions, and edits."""
        return [
            str(call.params.get("text") or call.params.get("caption") or "")
            for call in self.calls
            if call.chat_id == chat_id
            and (call.method in SENDING or call.method in EDITING)
            and call.refused is None
        ]

    async def wait_for(self, condition: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll `condition` until it is truthy; fail the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not (result := condition()):
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met within {timeout}s")
            await asyncio.sleep(0.02)
        return result

    async def _serve(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = {key: _decode(value) for key, value in (await request.post()).items()}
        if self.faults.slow and method in SENDING:
            await asyncio.sleep(self.faults.slow)
            if request.transport is None or request.transport.is_closing():
                return _error(499, "Client Closed Request")
        call = Call(method, params, time.monotonic())
        if method in self.when_called:
            self.when_called.pop(method)()
        refusal = self._refusal(call)
        if refusal is not None:
            self.calls.append(Call(method, params, call.at, refused=refusal.status))
            return refusal
        self.calls.append(call)
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        return _ok(self._result(call))

    def _refusal(self, call: Call) -> web.Response | None:
        if self.faults.down:
            return _error(502, "Bad Gateway")
        chat = call.chat_id
        if chat is not None and chat in self.faults.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        if chat is not None and self.faults.server_errors.get(chat):
            self.faults.server_errors[chat] -= 1
            return _error(502, "Bad Gateway")
        waits = self.faults.retry_after.get(chat) if chat is not None else None
        if waits:
            seconds = waits.pop(0)
            return _error(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )
        if call.method in EDITING and int(call.params.get("message_id", 0)) in self.faults.gone:
            return _error(400, "Bad Request: message to edit not found")
        return None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        async with self._arrived:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            if not self._updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), timeout)
            return list(self._updates)

    def _result(self, call: Call) -> Any:
        if call.method == "getMe":
            return {"id": 42, "is_bot": True, "first_name": "Stand-in", "username": "stand_in_bot"}
        if call.method in SENDING:
            return self._message(call, next(self._message_ids))
        if call.method in EDITING and call.params.get("chat_id") is not None:
            return self._message(call, int(call.params["message_id"]))
        return True

    def _message(self, call: Call, message_id: int) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": call.chat_id, "type": "private"},
        }
        if "text" in call.params:
            message["text"] = call.params["text"]
        if "reply_markup" in call.params and isinstance(call.params["reply_markup"], dict):
            markup = call.params["reply_markup"]
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
        return message


def _decode(value: Any) -> Any:
    """aiogram sends objects and lists JSON-encoded, strings and numbers as they are."""
    if not isinstance(value, str):
        return "<file>"
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters is not None:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
