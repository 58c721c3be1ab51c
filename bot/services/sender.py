"""What every process shares about outgoing messages, in Redis: the send schedule, the
record of what was queued and sent, and the dead letters.

`SendRateLimiter` is one schedule shared by every process through Redis (GCRA: each send
reserves the next free slot of the global rate and of its chat, so there is no burst to
trip Telegram's limits); `pause_everyone` moves that schedule past a 429's `retry_after`.
`DeliveryRecord` knows, per idempotency key, whether a message was queued, is being sent,
and how it ended (the chat and message id it was sent as, by SMS, dead). `DeadLetters` is
the stream of messages given up on, with a reason and no personal data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from redis.asyncio import Redis

from bot.redis_keys import SENDER

RESERVE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local global_free = tonumber(redis.call('GET', KEYS[1]) or '0')
local chat_free = tonumber(redis.call('GET', KEYS[2]) or '0')
local at = math.max(now, global_free)
if chat_free > at then
  -- the chat is busy until later: take no global slot now (that would leave it idle)
  return string.format('-%.3f', chat_free - now)
end
local global_next = at + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.3f', global_next),
           'PX', math.ceil(global_next - now) + 1000)
if tonumber(ARGV[2]) > 0 then
  local chat_next = at + tonumber(ARGV[2])
  redis.call('SET', KEYS[2], string.format('%.3f', chat_next),
             'PX', math.ceil(chat_next - now) + 1000)
end
return string.format('%.3f', at - now)
"""

PAUSE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + tonumber(clock[2]) / 1000
local resume = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if resume > current then
  redis.call('SET', KEYS[1], string.format('%.3f', resume), 'PX', math.ceil(ARGV[1]) + 1000)
end
return 1
"""

# One round trip to start sending a key: nothing to do when it ended already (or the Sender
# before the pipeline marked it sent), else the claim if nobody holds it.
BEGIN_SCRIPT = """
local outcome = redis.call('GET', KEYS[1])
if (outcome and outcome ~= ARGV[1]) or (not outcome and redis.call('EXISTS', KEYS[2]) == 1) then
  return 'done'
end
if redis.call('SET', KEYS[3], 1, 'NX', 'EX', ARGV[2]) then return 'claimed' end
return 'busy'
"""

# One round trip to start an edit of message KEYS[1] to revision ARGV[2]: wait while that
# message is still queued; take the edits' turn; an older revision than one applied is
# settled as superseded (its own claim let go); else the revision advances and the answer
# is the record of the message being edited (where it was sent).
BEGIN_EDIT_SCRIPT = """
local earlier = redis.call('GET', KEYS[1])
if earlier == ARGV[1] then return {'waiting'} end
if not redis.call('SET', KEYS[2], 1, 'NX', 'EX', ARGV[4]) then return {'busy'} end
if tonumber(ARGV[2]) < tonumber(redis.call('GET', KEYS[3]) or '0') then
  redis.call('SET', KEYS[4], ARGV[5], 'EX', ARGV[3])
  redis.call('DEL', KEYS[5], KEYS[2])
  return {'superseded'}
end
redis.call('SET', KEYS[3], ARGV[2], 'EX', ARGV[3])
return {'go', earlier or ''}
"""

KEEP_SECONDS = 90 * 86400  # how long a key is remembered: one delivery per key, ever
CLAIM_SECONDS = 300  # a process that died while sending lets go of the message after this
DEAD_STREAM_LENGTH = 100_000


class SendRateLimiter:
    def __init__(
        self,
        redis: Redis,
        per_second: float,
        chat_interval_ms: int,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.redis = redis
        self.sleep = sleep
        self.global_interval_ms = 1000.0 / per_second
        self.chat_interval_ms = chat_interval_ms
        self._reserve = redis.register_script(RESERVE_SCRIPT)
        self._pause = redis.register_script(PAUSE_SCRIPT)

    async def wait_for_slot(self, chat_id: int, *, spaced: bool = True) -> None:
        """Reserve the next free slot of both the global rate and the chat, then wait for it.

        A negative answer means the chat is busy until then: wait and ask again, so that
        its wait does not hold back the global schedule. `spaced=False` (a person is waiting
        for it) takes only a global slot: Telegram tolerates a short burst in one chat."""
        chat_interval = self.chat_interval_ms if spaced else 0
        while True:
            wait_ms = float(
                await self._reserve(
                    keys=[SENDER.rate_global, SENDER.rate_chat(chat_id)],
                    args=[f"{self.global_interval_ms:.3f}", chat_interval],
                )
            )
            await self.sleep(abs(wait_ms) / 1000)
            if wait_ms >= 0:
                return

    async def pause_everyone(self, seconds: float) -> None:
        await self._pause(keys=[SENDER.rate_global], args=[f"{seconds * 1000:.3f}"])


class Outcome(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    BY_SMS = "by_sms"
    BLOCKED = "blocked"  # the chat blocked the bot and there was no SMS to send instead
    SUPERSEDED = "superseded"  # an edit that a later revision of the message had overtaken
    DEAD = "dead"


@dataclass(frozen=True)
class SentMessage:
    """Where a message ended up in Telegram, so that a later one can edit it."""

    chat_id: int
    message_id: int


class Start(StrEnum):
    DONE = "done"  # delivered or given up on before: nothing to do
    CLAIMED = "claimed"  # this process sends it now
    BUSY = "busy"  # another process is sending it


class EditStart(StrEnum):
    WAITING = "waiting"  # the message it edits is not sent yet
    BUSY = "busy"  # another edit of that message is on its way
    SUPERSEDED = "superseded"  # a later revision was applied: settled, claim let go
    GO = "go"  # the edits' turn is held and the revision advanced


class DeliveryRecord:
    """What became of each idempotency key; the only reader and writer of these keys."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._begin = redis.register_script(BEGIN_SCRIPT)
        self._begin_edit = redis.register_script(BEGIN_EDIT_SCRIPT)

    async def accept(self, key: str) -> bool:
        """Note the key as queued; False when it was queued (or delivered) before."""
        return bool(
            await self.redis.set(SENDER.record(key), Outcome.QUEUED, nx=True, ex=KEEP_SECONDS)
        )

    async def accept_all(self, keys: Sequence[str]) -> list[bool]:
        """`accept` for many keys in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(SENDER.record(key), Outcome.QUEUED, nx=True, ex=KEEP_SECONDS)
            return [bool(answer) for answer in await pipe.execute()]

    async def forget(self, key: str) -> None:
        """A queued message that was withdrawn before it was due."""
        await self.redis.delete(SENDER.record(key))

    async def was_queued(self, key: str) -> bool:
        """Queued, being sent or delivered: producers need not queue it again."""
        return bool(await self.redis.exists(SENDER.record(key), SENDER.legacy_sent(key)))

    async def queued_among(self, keys: Sequence[str]) -> set[str]:
        """The keys among `keys` that `was_queued`, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.exists(SENDER.record(key), SENDER.legacy_sent(key))
            answers = await pipe.execute()
        return {key for key, found in zip(keys, answers, strict=True) if found}

    async def was_sent(self, key: str) -> bool:
        """Delivered (or given up on): nothing more to do for this key."""
        outcome, _message = await self._read(key)
        if outcome is None:
            return bool(await self.redis.exists(SENDER.legacy_sent(key)))
        return outcome is not Outcome.QUEUED

    async def message_of(self, key: str) -> SentMessage | None:
        """The Telegram message a key was sent as, if it was sent to the chat."""
        return (await self._read(key))[1]

    async def begin(self, key: str) -> Start:
        """Claim the key unless it ended already: only one process sends a key at a time."""
        keys = [SENDER.record(key), SENDER.legacy_sent(key), SENDER.claim(key)]
        return Start(
            _text(await self._begin(keys=keys, args=[Outcome.QUEUED.value, CLAIM_SECONDS]))
        )

    async def begin_edit(
        self, key: str, replaces: str, turn: str, revision: int
    ) -> tuple[EditStart, SentMessage | None]:
        """Edits of message `replaces` go one at a time (the claim of `turn`), never back to
        an older revision (the same one again is fine: a retry); with where it was sent."""
        keys = [
            SENDER.record(replaces),
            SENDER.claim(turn),
            SENDER.revision(replaces),
            SENDER.record(key),
            SENDER.claim(key),
        ]
        args: list[str | int] = [
            Outcome.QUEUED.value,
            revision,
            KEEP_SECONDS,
            CLAIM_SECONDS,
            Outcome.SUPERSEDED.value,
        ]
        answer = await self._begin_edit(keys=keys, args=args)
        start = EditStart(_text(answer[0]))
        earlier = _parse(_text(answer[1]))[1] if start is EditStart.GO and answer[1] else None
        return start, earlier

    async def release(self, key: str) -> None:
        await self.redis.delete(SENDER.claim(key))

    async def sent(self, key: str, message: SentMessage, *, releasing: str | None = None) -> None:
        """`releasing`: a claim to let go of with it (the edits' turn)."""
        value = f"{Outcome.SENT}:{message.chat_id}:{message.message_id}"
        await self._settle(key, value, releasing)

    async def settled(self, key: str, outcome: Outcome) -> None:
        await self._settle(key, outcome.value)

    async def _settle(self, key: str, value: str, releasing: str | None = None) -> None:
        claims = [SENDER.claim(key)] + ([SENDER.claim(releasing)] if releasing else [])
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(SENDER.record(key), value, ex=KEEP_SECONDS)
            pipe.delete(*claims)
            await pipe.execute()

    async def _read(self, key: str) -> tuple[Outcome | None, SentMessage | None]:
        raw = await self.redis.get(SENDER.record(key))
        return (None, None) if raw is None else _parse(_text(raw))


def _parse(record: str) -> tuple[Outcome, SentMessage | None]:
    outcome, _, where = record.partition(":")
    if not where:
        return Outcome(outcome), None
    chat_id, message_id = where.split(":")
    return Outcome(outcome), SentMessage(int(chat_id), int(message_id))


@dataclass(frozen=True)
class DeadLetter:
    key: str
    kind: str
    reason: str  # the error's type or Telegram's answer, never the text or a phone number
    attempts: int


class DeadLetters:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def add(self, letter: DeadLetter) -> None:
        fields = {
            "key": letter.key,
            "kind": letter.kind,
            "reason": letter.reason,
            "attempts": str(letter.attempts),
        }
        await self.redis.xadd(SENDER.dead, fields, maxlen=DEAD_STREAM_LENGTH, approximate=True)  # type: ignore[arg-type]  # redis-py 7 types

    async def latest(self, count: int = 100) -> list[DeadLetter]:
        entries = await self.redis.xrevrange(SENDER.dead, count=count)
        letters = []
        for _entry_id, raw in entries:
            fields = {_text(k): _text(v) for k, v in raw.items()}
            letters.append(
                DeadLetter(fields["key"], fields["kind"], fields["reason"], int(fields["attempts"]))
            )
        return letters


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
