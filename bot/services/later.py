"""Messages the bot owes a merchant at a later time: "remind me later" after a "not now",
and the reminder the day before an officer's visit.

Each is an outgoing message with a `not_before` on the one outbound pipeline, written in the
merchant's language when it is scheduled. Scheduling the same name again moves it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from redis.asyncio import Redis

from bot.redis_keys import LATER
from bot.services.outbound import OutgoingMessage, Priority


@dataclass(frozen=True)
class LaterMessage:
    kind: str  # reapply, visit
    user_id: int
    locale: str
    details: dict[str, Any]


class LaterTexts(Protocol):
    def text(self, message: LaterMessage) -> str:
        """The message in the merchant's language (implemented by the views)."""
        ...


class LaterOutbox(Protocol):
    async def enqueue(self, message: OutgoingMessage) -> bool: ...

    async def withdraw(self, key_prefix: str) -> int: ...


class LaterMessages:
    def __init__(self, outbox: LaterOutbox, texts: LaterTexts) -> None:
        self.outbox = outbox
        self.texts = texts

    async def schedule(self, message: LaterMessage, at: datetime, name: str) -> None:
        """`name` identifies it (scheduling the same name again moves it)."""
        await self.outbox.withdraw(_key(message.user_id, name))
        await self.outbox.enqueue(
            OutgoingMessage(
                key=f"{_key(message.user_id, name)}{int(at.timestamp())}",
                chat_id=message.user_id,
                text=self.texts.text(message),
                priority=Priority.BULK,
                not_before=at,
            )
        )

    async def forget(self, user_id: int) -> None:
        await self.outbox.withdraw(f"later:{user_id}:")

    async def adopt_earlier_store(self, redis: Redis) -> int:
        """Move what the store before the pipeline still owed onto the pipeline, once."""
        entries = await redis.zrange(LATER.legacy_due, 0, -1, withscores=True)
        for member, score in entries:
            raw = await redis.hget(LATER.legacy_payload, member)  # type: ignore[misc]  # redis-py 7 types
            if raw is not None:
                _user, _, name = _text(member).partition(":")
                at = datetime.fromtimestamp(score, UTC)
                await self.schedule(LaterMessage(**json.loads(raw)), at, name)
            async with redis.pipeline(transaction=True) as pipe:
                pipe.zrem(LATER.legacy_due, member)
                pipe.hdel(LATER.legacy_payload, member)
                await pipe.execute()
        return len(entries)


def _key(user_id: int, name: str) -> str:
    return f"later:{user_id}:{name}:"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
