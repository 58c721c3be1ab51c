"""The user's chosen language, kept in Redis apart from conversation state."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.redis_keys import UPDATE_GATE


class LanguagePreferences:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def choose(self, user_id: int, locale: str) -> None:
        await self.redis.set(UPDATE_GATE.locale(user_id), locale)

    async def chosen(self, user_id: int) -> str | None:
        value = await self.redis.get(UPDATE_GATE.locale(user_id))
        return value.decode() if isinstance(value, bytes) else value

    async def forget(self, user_id: int) -> None:
        await self.redis.delete(UPDATE_GATE.locale(user_id))
