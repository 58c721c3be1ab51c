"""Conversation state in Redis with few round trips per update.

Stock aiogram spends about six Redis round trips on one form step (lock, get state, set
state, get and set data, unlock). The update gate does the same work in at most three:
one script takes the per-user lock, marks the update as in progress (dedupe) and fetches
state, data and the stored language; the handler then reads and writes an in-memory
snapshot; dirty state is written before any request leaves for Telegram (so an answer the
user sees is never ahead of what Redis holds); one last script writes what is left, marks
the update done and releases the lock.

When Redis drops in the middle, the update goes back to the queue instead: its in-progress
mark and the lock are released (again until Redis is back) so that the retry runs it, and
a reply lost on the way cannot leave the mark behind for the lock's whole lifetime; unless
part of its answer already reached the user: then it is marked done (again until Redis is
back), so that the retry does not answer twice; an update cut short by a shutdown is
treated the same way. An update whose first request to Telegram
failed on Telegram's side (a 5xx) goes back to the queue too: nothing reached
the user yet, so the state it wrote goes back to how the update found it and the queue
runs it again (up to its dead-letter bound) instead of leaving it unanswered.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.exceptions import TelegramServerError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StateType, StorageKey
from aiogram.fsm.storage.memory import DisabledEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import TelegramObject, Update, User
from redis.asyncio import Redis

from bot.i18n import choose_locale
from bot.redis_batch import UNREACHABLE, ScriptBatcher
from bot.redis_keys import UPDATE_GATE, conversation_key_builder

log = logging.getLogger(__name__)

LOCK_MILLISECONDS = 60_000
DONE_SECONDS = 86_400
BUSY_WAIT_FIRST = 0.002
BUSY_WAIT_MAX = 0.05
# Telegram's front end failed the request (502, 503): it did not reach the chat. A network
# error is left out on purpose: a timeout may come after the message was delivered.
NOT_DELIVERED = (TelegramServerError,)


class ReplyNotDelivered(Exception):
    """The update's first reply failed on Telegram's side: the queue runs the update again."""


OPEN_SCRIPT = """
local seen = redis.call('GET', KEYS[1])
if seen == 'done' then return {0} end
if seen then return {1} end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return {1} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {2, redis.call('GET', KEYS[3]), redis.call('GET', KEYS[4]), redis.call('GET', KEYS[5])}
"""

COMMIT_SCRIPT = """
local function write(key, op, value)
  if op == 'set' then redis.call('SET', key, value, 'EX', ARGV[7])
  elseif op == 'del' then redis.call('DEL', key) end
end
write(KEYS[3], ARGV[3], ARGV[4])
write(KEYS[4], ARGV[5], ARGV[6])
local owned = redis.call('GET', KEYS[1]) == ARGV[1]
if ARGV[2] == '1' then
  redis.call('SET', KEYS[2], 'done', 'EX', ARGV[8])
  if owned then redis.call('DEL', KEYS[1]) end
end
if owned then return 1 end
return 0
"""

RELEASE_SCRIPT = """
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key) end
end
return 0
"""

# Updates without a user (so without a lock or state): the in-progress mark alone.
START_ALONE_SCRIPT = """
local seen = redis.call('GET', KEYS[1])
if seen == 'done' then return 0 end
if seen then return 1 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 2
"""

DONE_ALONE_SCRIPT = """
redis.call('SET', KEYS[1], 'done', 'EX', ARGV[1])
return 1
"""


@dataclass
class Snapshot:
    """One user's state and data as fetched when the update began, plus what changed."""

    key: StorageKey
    dedupe_key: str
    token: str
    state: str | None
    data: dict[str, Any]
    stored_locale: str | None
    opened_data: str | None = None  # the data as the update found it (JSON), for `roll_back`
    state_dirty: bool = False
    data_dirty: bool = False
    flushed: bool = False  # changes were written before the update finished
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    opened_state: str | None = field(init=False)

    def __post_init__(self) -> None:
        self.opened_state = self.state

    def take_changes(self) -> tuple[str, str, str, str]:
        state_op, state_value = _operation(self.state_dirty, self.state)
        data_op, data_value = _operation(
            self.data_dirty, json.dumps(self.data) if self.data else None
        )
        self.state_dirty = self.data_dirty = False
        return state_op, state_value, data_op, data_value


def _operation(dirty: bool, value: str | None) -> tuple[str, str]:
    if not dirty:
        return "", ""
    return ("set", value) if value is not None else ("del", "")


@dataclass
class Attempt:
    """One run of one update's handler."""

    answered: bool = False  # a request to Telegram went through: the user may have seen it


_current: ContextVar[Snapshot | None] = ContextVar("fsm_snapshot", default=None)
_attempt: ContextVar[Attempt | None] = ContextVar("update_attempt", default=None)


class Ending(Protocol):
    """How the gate closes an update: done, or back to the queue."""

    async def done(self, *, keep_changes: bool) -> None: ...

    async def undo(self) -> None:
        """Nothing reached the user: back to the queue as if it had not run."""
        ...

    def release(self) -> None:
        """Redis went away: back to the queue, changes dropped."""
        ...


@dataclass(frozen=True)
class UserEnding:
    storage: SnapshotRedisStorage
    snapshot: Snapshot

    async def done(self, *, keep_changes: bool) -> None:
        await self.storage.finish(self.snapshot, keep_changes=keep_changes)

    async def undo(self) -> None:
        await self.storage.roll_back(self.snapshot)

    def release(self) -> None:
        self.storage.release(self.snapshot)


@dataclass(frozen=True)
class AloneEnding:
    """An update without a user: no state, no lock, only its in-progress mark."""

    storage: SnapshotRedisStorage
    dedupe_key: str
    token: str

    async def done(self, *, keep_changes: bool) -> None:
        self.storage.finish_alone(self.dedupe_key)

    async def undo(self) -> None:
        self.release()

    def release(self) -> None:
        self.storage.release_alone(self.dedupe_key, self.token)


class SnapshotRedisStorage(RedisStorage):
    """RedisStorage that serves the current update's own key from the gate's snapshot."""

    def __init__(self, redis: Redis, ttl_seconds: int) -> None:
        super().__init__(
            redis,
            key_builder=conversation_key_builder(),
            state_ttl=ttl_seconds,
            data_ttl=ttl_seconds,
        )
        self.ttl_seconds = ttl_seconds
        self._batch = ScriptBatcher(redis)
        self._open = redis.register_script(OPEN_SCRIPT)
        self._commit = redis.register_script(COMMIT_SCRIPT)
        self._release = redis.register_script(RELEASE_SCRIPT)
        self._start_alone = redis.register_script(START_ALONE_SCRIPT)
        self._done_alone = redis.register_script(DONE_ALONE_SCRIPT)

    @staticmethod
    def _snapshot_for(key: StorageKey) -> Snapshot | None:
        snapshot = _current.get()
        return snapshot if snapshot is not None and snapshot.key == key else None

    async def get_state(self, key: StorageKey) -> str | None:
        snapshot = self._snapshot_for(key)
        return snapshot.state if snapshot else await super().get_state(key)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        snapshot = self._snapshot_for(key)
        if snapshot is None:
            await super().set_state(key, state)
            return
        snapshot.state = state.state if isinstance(state, State) else state
        snapshot.state_dirty = True

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        snapshot = self._snapshot_for(key)
        return dict(snapshot.data) if snapshot else await super().get_data(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        snapshot = self._snapshot_for(key)
        if snapshot is None:
            await super().set_data(key, data)
            return
        snapshot.data = dict(data)
        snapshot.data_dirty = True

    async def open(self, dedupe_key: str, key: StorageKey, user_id: int) -> Snapshot | None:
        """Lock the user's key and fetch everything; None when the update was already handled."""
        token = secrets.token_hex(8)
        keys = [
            dedupe_key,
            self.key_builder.build(key, "lock"),
            self.key_builder.build(key, "state"),
            self.key_builder.build(key, "data"),
            UPDATE_GATE.locale(user_id),
        ]
        wait = BUSY_WAIT_FIRST
        while True:
            try:
                reply = await self._batch.run(self._open, keys, [token, LOCK_MILLISECONDS])
            except UNREACHABLE:
                self._release_later(keys[:2], token)  # it may have run, unanswered
                raise
            if reply[0] == 0:
                return None
            if reply[0] == 2:
                state, data, stored_locale = (_text(value) for value in reply[1:4])
                parsed = json.loads(data) if data else {}
                return Snapshot(key, dedupe_key, token, state, parsed, stored_locale, data)
            await asyncio.sleep(wait)
            wait = min(wait * 2, BUSY_WAIT_MAX)

    async def flush(self, snapshot: Snapshot) -> None:
        """Write pending changes now, keeping the lock (an answer is about to leave)."""
        async with snapshot.lock:
            changes = snapshot.take_changes()
            if any(changes):
                await self._run_commit(snapshot, changes, finish=False)
                snapshot.flushed = True

    async def finish(self, snapshot: Snapshot, *, keep_changes: bool) -> None:
        """Write what is left, mark the update done and unlock.

        When nothing is left to write, the call rides along with the next batch and nobody
        waits for it: the next update of the same user is queued behind it anyway. It must
        land even if Redis drops meanwhile (else the update counts as in progress and the
        user stays locked until the lock expires), so it is sent again until Redis is back.
        """
        async with snapshot.lock:
            if not keep_changes:
                snapshot.state_dirty = snapshot.data_dirty = False
            changes = snapshot.take_changes()
            if any(changes):
                await self._run_commit(snapshot, changes, finish=True)
            else:
                self._batch.submit(
                    self._commit,
                    self._commit_keys(snapshot),
                    self._commit_args(snapshot, changes, finish=True),
                    within=LOCK_MILLISECONDS / 1000,
                )

    def release(self, snapshot: Snapshot) -> None:
        """The update was not handled (Redis went away): unmark it and unlock the user, so
        that the queue's retry runs it; changes are dropped."""
        lock_key = self.key_builder.build(snapshot.key, "lock")
        self._release_later([snapshot.dedupe_key, lock_key], snapshot.token)

    async def roll_back(self, snapshot: Snapshot) -> None:
        """Nothing reached the user: state and data go back to how the update found them,
        and the update is unmarked and unlocked, so that the queue's retry runs it afresh."""
        async with snapshot.lock:
            if snapshot.flushed:
                state_op, state = _operation(True, snapshot.opened_state)
                data_op, data = _operation(True, snapshot.opened_data)
                await self._run_commit(snapshot, (state_op, state, data_op, data), finish=False)
        self.release(snapshot)

    def _release_later(self, keys: list[str], token: str) -> None:
        self._batch.submit(self._release, keys, [token], within=LOCK_MILLISECONDS / 1000)

    async def _run_commit(
        self, snapshot: Snapshot, changes: tuple[str, str, str, str], *, finish: bool
    ) -> None:
        keys = self._commit_keys(snapshot)
        args = self._commit_args(snapshot, changes, finish=finish)
        if finish:  # the update was handled: its end must land (see `finish`)
            landed = self._batch.run_until_landed(
                self._commit, keys, args, within=LOCK_MILLISECONDS / 1000
            )
        else:  # an answer waits for it: failing is the way to keep it from leaving
            landed = self._batch.run(self._commit, keys, args)
        if not await landed:
            log.warning("state lock expired before the update finished")

    def _commit_keys(self, snapshot: Snapshot) -> list[str]:
        return [
            self.key_builder.build(snapshot.key, "lock"),
            snapshot.dedupe_key,
            self.key_builder.build(snapshot.key, "state"),
            self.key_builder.build(snapshot.key, "data"),
        ]

    def _commit_args(
        self, snapshot: Snapshot, changes: tuple[str, str, str, str], *, finish: bool
    ) -> list[Any]:
        return [snapshot.token, "1" if finish else "0", *changes, self.ttl_seconds, DONE_SECONDS]

    async def drain(self) -> None:
        await self._batch.drain()

    async def start_alone(self, dedupe_key: str) -> str | None:
        """For updates without a user: mark it in progress; None when it was handled before.
        Marked done only once handled (`finish_alone`), as the rest."""
        token = secrets.token_hex(8)
        wait = BUSY_WAIT_FIRST
        while True:
            try:
                reply = await self._batch.run(
                    self._start_alone, [dedupe_key], [token, LOCK_MILLISECONDS]
                )
            except UNREACHABLE:
                self._release_later([dedupe_key], token)  # it may have run, unanswered
                raise
            if reply == 0:
                return None
            if reply == 2:
                return token
            await asyncio.sleep(wait)  # another process is handling it right now
            wait = min(wait * 2, BUSY_WAIT_MAX)

    def finish_alone(self, dedupe_key: str) -> None:
        """Mark it done; nobody waits for it, and it is sent again until Redis is back."""
        self._batch.submit(
            self._done_alone, [dedupe_key], [DONE_SECONDS], within=LOCK_MILLISECONDS / 1000
        )

    def release_alone(self, dedupe_key: str, token: str) -> None:
        self._release_later([dedupe_key], token)


def _text(value: bytes | str | None) -> str | None:
    return value.decode() if isinstance(value, bytes) else value


class UpdateGate(FSMContextMiddleware):
    """Dedupe, per-user isolation, state prefetch and the language, in one Redis script.

    Replaces aiogram's FSM middleware; `resolve_context` and `get_context` stay as they are,
    so `dispatcher.fsm.get_context(...)` still reaches any user's state.
    """

    def __init__(self, storage: SnapshotRedisStorage, default_locale: str) -> None:
        super().__init__(storage=storage, events_isolation=DisabledEventIsolation())
        self.snapshots = storage
        self.default_locale = default_locale

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        bot = cast(Bot, data["bot"])
        update = cast(Update, event)
        user = cast(User | None, data.get("event_from_user"))
        dedupe = UPDATE_GATE.dedupe(
            bot.id, update.update_id, user.id if user is not None else update.update_id
        )
        context = self.resolve_event_context(bot, data)
        data["fsm_storage"] = self.storage
        if context is None or user is None:
            token = await self.snapshots.start_alone(dedupe)
            if token is None:
                return UNHANDLED
            data["locale"] = self.default_locale
            return await self._run(handler, event, data, AloneEnding(self.snapshots, dedupe, token))
        snapshot = await self.snapshots.open(dedupe, context.key, user.id)
        if snapshot is None:
            return UNHANDLED
        data.update(
            state=context,
            raw_state=snapshot.state,
            locale=choose_locale(snapshot.stored_locale, user.language_code, self.default_locale),
        )
        reset = _current.set(snapshot)
        try:
            return await self._run(handler, event, data, UserEnding(self.snapshots, snapshot))
        finally:
            _current.reset(reset)

    @staticmethod
    async def _run(
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
        ending: Ending,
    ) -> Any:
        attempt = Attempt()
        reset = _attempt.set(attempt)
        try:
            result = await handler(event, data)
        except (*UNREACHABLE, asyncio.CancelledError):  # Redis away, or cut by shutdown
            if attempt.answered:  # the answer is out: done, so that the retry does not repeat it
                await ending.done(keep_changes=False)
            else:
                ending.release()
            raise
        except NOT_DELIVERED as error:
            if attempt.answered:  # part of the answer is out: running it again repeats that
                await ending.done(keep_changes=False)
                raise
            await ending.undo()
            raise ReplyNotDelivered from error
        except BaseException:
            await ending.done(keep_changes=False)
            raise
        finally:
            _attempt.reset(reset)
        await ending.done(keep_changes=True)
        return result


class WriteStateBeforeSending(BaseRequestMiddleware):
    """Session middleware: pending state reaches Redis before any answer reaches the user."""

    def __init__(self, storage: SnapshotRedisStorage) -> None:
        self.storage = storage

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        snapshot = _current.get()
        if snapshot is not None and (snapshot.state_dirty or snapshot.data_dirty):
            await self.storage.flush(snapshot)
        result = await make_request(bot, method)
        attempt = _attempt.get()
        if attempt is not None:
            attempt.answered = True
        return result


KEPT_DATA = ("apply",)  # the application's draft: resumable for days, whatever else happens


async def leave_flow(state: FSMContext) -> None:
    """End the flow the user is in (the calculator's, a command's) but keep a paused
    application draft, so that /apply can resume it."""
    data = await state.get_data()
    await state.set_state(None)
    await state.set_data({key: data[key] for key in KEPT_DATA if key in data})
