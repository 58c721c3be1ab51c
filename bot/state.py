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
a reply lost on the way cannot leave the mark behind for the lock's whole lifetime.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.dispatcher.event.bases import UNHANDLED
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
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 0
"""

DEDUPE_ONLY_SCRIPT = """
if redis.call('SET', KEYS[1], 'done', 'NX', 'EX', ARGV[1]) then return 1 end
return 0
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
    state_dirty: bool = False
    data_dirty: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

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


_current: ContextVar[Snapshot | None] = ContextVar("fsm_snapshot", default=None)


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
        self._dedupe_only = redis.register_script(DEDUPE_ONLY_SCRIPT)

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
                self._release_later(dedupe_key, keys[1], token)  # it may have run, unanswered
                raise
            if reply[0] == 0:
                return None
            if reply[0] == 2:
                state, data, stored_locale = (_text(value) for value in reply[1:4])
                parsed = json.loads(data) if data else {}
                return Snapshot(key, dedupe_key, token, state, parsed, stored_locale)
            await asyncio.sleep(wait)
            wait = min(wait * 2, BUSY_WAIT_MAX)

    async def flush(self, snapshot: Snapshot) -> None:
        """Write pending changes now, keeping the lock (an answer is about to leave)."""
        async with snapshot.lock:
            changes = snapshot.take_changes()
            if any(changes):
                await self._run_commit(snapshot, changes, finish=False)

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
        self._release_later(
            snapshot.dedupe_key, self.key_builder.build(snapshot.key, "lock"), snapshot.token
        )

    def _release_later(self, dedupe_key: str, lock_key: str, token: str) -> None:
        self._batch.submit(
            self._release, [dedupe_key, lock_key], [token], within=LOCK_MILLISECONDS / 1000
        )

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

    async def mark_handled(self, dedupe_key: str) -> bool:
        """For updates without a user: True the first time an update id is seen."""
        return bool(await self._batch.run(self._dedupe_only, [dedupe_key], [DONE_SECONDS]))


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
        dedupe = UPDATE_GATE.dedupe(bot.id, update.update_id)
        context = self.resolve_event_context(bot, data)
        data["fsm_storage"] = self.storage
        if context is None or user is None:
            if not await self.snapshots.mark_handled(dedupe):
                return UNHANDLED
            data["locale"] = self.default_locale
            return await handler(event, data)
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
            result = await handler(event, data)
        except UNREACHABLE:
            self.snapshots.release(snapshot)
            raise
        except BaseException:
            await self.snapshots.finish(snapshot, keep_changes=False)
            raise
        finally:
            _current.reset(reset)
        await self.snapshots.finish(snapshot, keep_changes=True)
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
        return await make_request(bot, method)
