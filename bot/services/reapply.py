""" "Remind me later": a merchant told "not now" can ask to hear from the bot again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from redis.asyncio import Redis

DUE_KEY = "applications:remind_later"
LOCALE_KEY = "applications:remind_later:locale"

# Take what is due and remove it in one step, so two workers never both send it.
TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local taken = {}
for _, member in ipairs(due) do
  if redis.call('ZREM', KEYS[1], member) == 1 then
    table.insert(taken, member)
    table.insert(taken, redis.call('HGET', KEYS[2], member) or '')
    redis.call('HDEL', KEYS[2], member)
  end
end
return taken
"""


@dataclass(frozen=True)
class DueInvitation:
    user_id: int
    locale: str


class ReapplyReminders:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self._take_due = redis.register_script(TAKE_DUE)

    async def schedule(self, user_id: int, locale: str, at: datetime) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(DUE_KEY, {str(user_id): at.timestamp()})
            pipe.hset(LOCALE_KEY, str(user_id), locale)
            await pipe.execute()

    async def take_due(self, now: datetime, limit: int = 500) -> list[DueInvitation]:
        flat = await self._take_due(keys=[DUE_KEY, LOCALE_KEY], args=[now.timestamp(), limit])
        pairs = zip(flat[::2], flat[1::2], strict=True)
        return [DueInvitation(int(member), locale.decode()) for member, locale in pairs]

    async def forget(self, user_id: int) -> None:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrem(DUE_KEY, str(user_id))
            pipe.hdel(LOCALE_KEY, str(user_id))
            await pipe.execute()
