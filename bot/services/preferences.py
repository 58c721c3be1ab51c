"""The user's chosen language, kept in Redis apart from conversation state."""

from __future__ import annotations

from redis.asyncio import Redis

LOCALE_KEY_PREFIX = "fsm:locale"


def locale_key(user_id: int) -> str:
    return f"{LOCALE_KEY_PREFIX}:{user_id}"


class LanguagePreferences:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def choose(self, user_id: int, locale: str) -> None:
        await self.redis.set(locale_key(user_id), locale)

    async def chosen(self, user_id: int) -> str | None:
        value = await self.redis.get(locale_key(user_id))
        return value.decode() if isinstance(value, bytes) else value

    async def forget(self, user_id: int) -> None:
        await self.redis.delete(locale_key(user_id))
