"""Messages the bot owes a merchant at a later time: "remind me later" after a "not now",
and the reminder the day before an officer's visit. Kept in Redis, taken once when due."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

DUE_KEY = "merchants:later"
PAYLOAD_KEY = "merchants:later:payload"

# Take what is due and remove it in one step, so two workers never both send it.
TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local taken = {}
for _, member in ipairs(due) do
  if redis.call('ZREM', KEYS[1], member) == 1 then
    table.insert(taken, redis.call('HGET', KEYS[2], member) or '{}')
    redis.call('HDEL', KEYS[2], member)
  end
end
return taken
"""


@dataclass(frozen=True)
class LaterMessage:
    kind: str  # reapply, visit
    user_id: int
    locale: str
    details: dict[str, Any]


class LaterMessages:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._take_due = redis.register_script(TAKE_DUE)

    async def schedule(self, message: LaterMessage, at: datetime, name: str) -> None:
        """`name` identifies it (scheduling the same name again moves it)."""
        member = f"{message.user_id}:{name}"
        payload = json.dumps(asdict(message))
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(DUE_KEY, {member: at.timestamp()})
            pipe.hset(PAYLOAD_KEY, member, payload)
            await pipe.execute()

    async def take_due(self, now: datetime, limit: int = 500) -> list[LaterMessage]:
        raw = await self._take_due(keys=[DUE_KEY, PAYLOAD_KEY], args=[now.timestamp(), limit])
        return [LaterMessage(**json.loads(item)) for item in raw]

    async def forget(self, user_id: int) -> None:
        mine = [m async for m in self.redis.zscan_iter(DUE_KEY, match=f"{user_id}:*")]
        members = [member for member, _score in mine]
        if members:
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.zrem(DUE_KEY, *members)
                pipe.hdel(PAYLOAD_KEY, *members)
                await pipe.execute()
