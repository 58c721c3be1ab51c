"""`python -m bot demo`: the real Dispatcher and the sandbox bank in a terminal chat.

Interactive: type as the current user; `[label]` presses a button, `[#2]` the second one,
`[label]@2` a button on the message before the latest, `[label]@#1005` one on message 1005,
`<contact>` shares your own phone, `<location LAT LON>` a location, `<photo FILE kind>` sends
a photo (compressed, so without EXIF) and tags it with the kind (premises, stock, books,
licence, household, guarantor, other), `<document FILE>` sends a file as a file (a photo
keeps its EXIF; press its kind next), `@as officer` switches user, `@clock +3d` moves the
simulated clock, `@web` prints the Mini Apps' addresses (with --web). `--script FILE` runs
such lines and prints the transcript; a line that cannot be carried out stops it with exit
code 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    SendContact,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError, ResponseError

from bot.background import Background
from bot.clock import SimulatedClock
from bot.config import Settings, SettingsError
from bot.demo.driver import ChatDriver, ChatUser, DriverError
from bot.demo.personas import PERSONAS, seat_the_colleague
from bot.demo.wiring import DEMO_TOKEN, DemoBot, DemoWiring
from bot.factory import build_bank, build_bot, build_storage
from bot.local_session import LocalSession
from integrations.bank.masking import mask_phone
from integrations.sms.outbound import RecordingSmsSender

ACT_AS = re.compile(r"^(?P<user>[a-z0-9_]+)>\s?(?P<text>.*)$")
PRESS = re.compile(r"^\[(?P<label>.+)\](?:@(?P<number>#)?(?P<which>\d+))?$")
LOCATION = re.compile(r"^<location\s+(?P<lat>-?\d+(\.\d+)?)\s+(?P<lon>-?\d+(\.\d+)?)>$")
PHOTO = re.compile(r"^<photo\s+(?P<file>\S+)\s+(?P<kind>[a-z]+)>$")
DOCUMENT = re.compile(r"^<document\s+(?P<file>\S+)>$")
RELATIVE = re.compile(r"^\+(?P<amount>\d+)(?P<unit>[dhm])$")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class DemoLineError(Exception):
    """A script line that cannot be carried out."""


@dataclass
class Transcript:
    """Prints what each user receives as it happens."""

    names: dict[int, str]
    phones: dict[str, str]
    write: Callable[[str], None] = print
    lines: list[str] = field(default_factory=list)

    def emit(self, line: str) -> None:
        self.lines.append(line)
        self.write(line)

    def on_request(self, method: TelegramMethod[Any], result: Any) -> None:
        """Each message with its number (`[label]@#N` presses a button on message N)."""
        chat_id = getattr(method, "chat_id", None)
        who = self.names.get(int(chat_id), f"chat {chat_id}") if chat_id is not None else "?"
        if isinstance(result, Message):
            who += f" #{result.message_id}"
        if isinstance(method, SendMessage):
            self._message(who, method.text, method.reply_markup)
        elif isinstance(method, SendDocument | SendPhoto):
            kind, file = (
                ("document", method.document)
                if isinstance(method, SendDocument)
                else ("photo", method.photo)
            )
            name = getattr(file, "filename", None) or "file"
            text = f"[{kind}: {name}] {method.caption or ''}".rstrip()
            self._message(who, text, method.reply_markup)
        elif isinstance(method, SendContact):
            contact = f"[contact: {method.first_name} {mask_phone(method.phone_number)}]"
            self._message(who, contact, method.reply_markup)
        elif isinstance(method, EditMessageText):
            self._message(who, f"(edited) {method.text}", method.reply_markup)
        elif isinstance(method, EditMessageCaption | EditMessageReplyMarkup):
            text = getattr(method, "caption", None) or ""
            self._message(who, f"(edited) {text}".rstrip(), method.reply_markup)
        elif isinstance(method, AnswerCallbackQuery) and method.text:
            self.emit(f"bot -> (alert): {method.text}")

    def on_sms(self, phone: str, text: str) -> None:
        self.emit(f"sms -> {self.phones.get(phone, phone)}: {text}")

    def _message(self, who: str, text: str, markup: Any) -> None:
        self.emit(f"bot -> {who}: {text}")
        for row in _button_rows(markup):
            self.emit("  " + " ".join(f"[{label}]" for label in row))


def _button_rows(markup: Any) -> list[list[str]]:
    if isinstance(markup, InlineKeyboardMarkup):
        return [[b.text for b in row] for row in markup.inline_keyboard]
    if isinstance(markup, ReplyKeyboardMarkup):
        return [[b if isinstance(b, str) else b.text for b in row] for row in markup.keyboard]
    return []


class DemoChat:
    def __init__(
        self,
        wiring: DemoWiring,
        demo_bot: DemoBot,
        sms: RecordingSmsSender,
        transcript: Transcript,
        user: str,
    ) -> None:
        self.wiring = wiring
        self.clock = wiring.clock
        self.sms = sms
        self.transcript = transcript
        self.current = self._persona(user)
        self._use(demo_bot)
        self.busy = asyncio.Lock()  # one line at a time, and the web's deliveries between
        self.on_web: Callable[[], None] = lambda: transcript.emit(
            "(web) the Mini Apps are served with demo --web"
        )

    def _use(self, demo_bot: DemoBot) -> None:
        self.driver: ChatDriver = demo_bot.driver
        self.background: Background = demo_bot.background

    async def _start_afresh(self) -> None:
        self.wiring.tell_starting_afresh()
        self._use(await self.wiring.fresh())

    async def _background_pass(self) -> None:
        """One worker pass; a consumer group that vanished with the database: start afresh."""
        try:
            await self.background.run_once(self.clock.now())
        except ResponseError as error:
            if "NOGROUP" not in str(error):
                raise
            await self._start_afresh()
            await self.background.run_once(self.clock.now())

    async def perform(self, line: str, *, echo: bool) -> None:
        async with self.busy:
            await self._perform(line, echo=echo)

    async def _perform(self, line: str, *, echo: bool) -> None:
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            return
        if echo:
            self.transcript.emit(
                stripped
                if ACT_AS.match(stripped) or stripped.startswith("@")
                else f"{self.current.name}> {stripped}"
            )
        if stripped.startswith("@as "):
            self.current = self._persona(stripped[4:].strip())
            return
        if stripped == "@web":
            self.on_web()
            return
        if stripped.startswith("@clock "):
            await self._move_clock(stripped[7:].strip())
            return
        acting = ACT_AS.match(stripped)
        if acting:
            self.current = self._persona(acting["user"])
            stripped = acting["text"].strip()
        if await self.wiring.emptied():
            await self._start_afresh()
        await self._act(self.current, stripped)
        await self._background_pass()

    async def _act(self, user: ChatUser, text: str) -> None:
        text = text.replace("{code}", self._latest_code(user))
        location, press = LOCATION.match(text), PRESS.match(text)
        photo, document = PHOTO.match(text), DOCUMENT.match(text)
        try:
            if photo:
                await self.driver.send_photo(user, _file(photo["file"]))
                await self.driver.press_ending(user, f"-{photo['kind']}")
            elif document:
                path = Path(document["file"])
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                await self.driver.send_file(user, _file(document["file"]), path.name, kind)
            elif press:
                await self._press(user, press)
            elif text == "<contact>":
                await self.driver.share_contact(user)
            elif location:
                await self.driver.share_location(
                    user, float(location["lat"]), float(location["lon"])
                )
            else:
                await self.driver.send(user, text)
        except DriverError as error:
            raise DemoLineError(str(error)) from None

    async def _press(self, user: ChatUser, press: re.Match[str]) -> None:
        """`[label]`, `[label]@N` (the N-th latest message, @1 the latest) or `[label]@#ID`."""
        label, which = press["label"], press["which"]
        if which is None:
            await self.driver.press(user, label)
        elif press["number"]:
            await self.driver.press(user, label, message_id=int(which))
        else:
            await self.driver.press(
                user, label, message_id=self.driver.message_back(user, int(which))
            )

    def _latest_code(self, user: ChatUser) -> str:
        for text in reversed(self.sms.messages_to(user.phone)):
            found = re.search(r"\b(\d{6})\b", text)
            if found:
                return found.group(1)
        return "{code}"

    async def _move_clock(self, when: str) -> None:
        relative = RELATIVE.match(when)
        try:
            if relative:
                amount = int(relative["amount"])
                self.clock.advance(timedelta(**{UNITS[relative["unit"]]: amount}))
            else:
                self.clock.move_to(datetime.strptime(when, "%Y-%m-%d %H:%M").replace(tzinfo=UTC))
        except ValueError as error:
            raise DemoLineError(f"cannot move the clock to {when!r}: {error}") from None
        self.transcript.emit(f"(clock) {self.clock.now():%Y-%m-%d %H:%M} UTC")
        await self._background_pass()

    @staticmethod
    def _persona(name: str) -> ChatUser:
        if name not in PERSONAS:
            known = ", ".join(PERSONAS)
            raise DemoLineError(f"unknown user {name!r}; the demo knows {known}")
        return PERSONAS[name]


DEMO_DATABASE = 15


async def connect_demo_redis(url: str) -> Redis:
    """Database 15 of the configured Redis, emptied: the demo's bank is seeded anew each run,
    so nothing kept from an earlier run may refer to it. `make demo` starts a private
    redis-server when none answers; without one, the dev extra's in-memory Redis (with a
    one-line warning), or an error saying what to do."""
    pool = ConnectionPool.from_url(url, socket_connect_timeout=1)
    pool.connection_kwargs["db"] = DEMO_DATABASE
    redis = Redis(connection_pool=pool)
    try:
        await redis.flushdb()
        return redis
    except (RedisError, OSError):
        await redis.aclose()
    try:
        import fakeredis
    except ImportError:
        raise SettingsError(
            f"no Redis answers at {url}: start one (`make demo` does) or set BOT_REDIS_URL"
        ) from None
    print(f"warning: no Redis at {url}; the demo keeps its state in memory", file=sys.stderr)
    return fakeredis.FakeAsyncRedis()


async def run_demo(
    settings: Settings, *, script: str | None, user: str, web_port: int | None = None
) -> int:
    """With ``web_port``, the Mini Apps are served on it too (see bot.demo.web)."""
    logging.getLogger().setLevel(logging.WARNING)
    async with demo_chat(settings, user) as chat, contextlib.AsyncExitStack() as web:
        if web_port is not None:
            from bot.demo.web import serve_mini_apps

            await web.enter_async_context(serve_mini_apps(chat, web_port))
        if script is not None:
            return await _run_script(chat, Path(script))
        return await _interactive(chat)


@contextlib.asynccontextmanager
async def demo_chat(
    settings: Settings, user: str, write: Callable[[str], None] = print
) -> AsyncIterator[DemoChat]:
    """The demo's chat over a fresh sandbox bank and the demo's Redis database."""
    redis = await connect_demo_redis(settings.redis_url)
    transcript = Transcript(
        names={u.user_id: u.name for u in PERSONAS.values()},
        phones={u.phone: u.name for u in PERSONAS.values()},
        write=write,
    )
    sms = RecordingSmsSender(echo=transcript.on_sms)
    clock = SimulatedClock(datetime.now(UTC))
    storage = build_storage(redis, settings)
    session = LocalSession(observer=transcript.on_request)
    bot = build_bot(DEMO_TOKEN, settings, storage, session=session)
    with tempfile.TemporaryDirectory() as folder:
        fresh_bank = settings.model_copy(
            update={"bank_adapter": "sandbox", "sandbox_db": Path(folder) / "sandbox.db"}
        )
        bank = build_bank(fresh_bank, clock, sms)
        await seat_the_colleague(bank)
        wiring = DemoWiring(settings, redis, storage, bank, clock, bot, session, sms)
        try:
            yield DemoChat(wiring, await wiring.fresh(), sms, transcript, user)
        finally:
            await storage.drain()
            await bank.aclose()
            await redis.aclose()


def _file(name: str) -> bytes:
    try:
        return Path(name).read_bytes()
    except OSError as error:
        raise DemoLineError(f"cannot read {name}: {error.strerror}") from None


async def _run_script(chat: DemoChat, path: Path) -> int:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        print(f"error: cannot read the script {path}: {error.strerror}", file=sys.stderr)
        return 1
    for number, line in enumerate(lines, start=1):
        try:
            await chat.perform(line, echo=True)
        except DemoLineError as error:
            print(f"error: {path}:{number}: {error}", file=sys.stderr)
            return 1
    return 0


async def _interactive(chat: DemoChat) -> int:
    print("Demo chat. Type as the user; [label] presses a button ([label]@2 on the message")
    print("before the latest, [label]@#1005 on message 1005), <contact> shares your phone,")
    print("<photo FILE kind> and <document FILE> send evidence, @as officer switches user,")
    print("@clock +1d moves time, @web the Mini Apps (--web), Ctrl-D leaves.")
    while True:
        try:
            line = await asyncio.to_thread(input, f"{chat.current.name}> ")
        except EOFError:
            print()
            return 0
        try:
            await chat.perform(line, echo=False)
        except DemoLineError as error:
            print(f"error: {error}")
