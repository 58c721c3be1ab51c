"""The demo carries on when its Redis database is emptied under it (another demo starting
does that): later lines are still answered, the application reaches the officer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.demo.terminal import DEMO_DATABASE, demo_chat

DEMO = Path(__file__).resolve().parent.parent / "bot" / "demo"


async def test_the_demo_carries_on_after_its_database_is_emptied(
    settings: Settings, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines: list[str] = []
    demo_redis = Redis.from_url(redis_url.rsplit("/", 1)[0] + f"/{DEMO_DATABASE}")
    try:
        async with demo_chat(settings, "merchant", write=lines.append) as chat:
            for line in (DEMO / "money.txt").read_text(encoding="utf-8").splitlines()[:3]:
                await chat.perform(line, echo=True)
            assert any(re.match(r"bot -> merchant #\d+: 交易完成", line) for line in lines)
            await demo_redis.flushdb()
            for line in (DEMO / "lead.txt").read_text(encoding="utf-8").splitlines():
                await chat.perform(line, echo=True)
    finally:
        await demo_redis.aclose()
    assert any(
        re.fullmatch(r"bot -> newcomer #\d+: 📞 李经理 已就申请 LD000001 与您联系。", line)
        for line in lines
    )
    assert "the demo's Redis database was emptied" in capsys.readouterr().err
