"""BOT_LOG_FORMAT=json: a real `python -m bot run --webhook` writes one JSON object per line,
with reference ids where there are some, and no token, phone number or exception message."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.logs import JsonFormatter
from tests.support.bot_api import TOKEN, StandInBotApi
from tests.support.bot_process import ROOT, bot_process
from tests.support.redis_process import RedisProcess

PHONE = "+8613812345678"


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(tmp_path)
    server.start()
    yield server
    server.stop()


def test_an_exception_gives_its_type_and_place_never_its_message() -> None:
    try:
        raise ValueError(f"no account for {PHONE}")
    except ValueError:
        record = logging.getLogger("bot.test").makeRecord(
            "bot.test", logging.ERROR, __file__, 1, "payment failed ref=%s", ("AB12",), None
        )
        record.exc_info = sys.exc_info()
        record.ref = "AB12"
    line = JsonFormatter().format(record)
    assert "\n" not in line and PHONE not in line
    parsed = json.loads(line)
    assert parsed["message"] == "payment failed ref=AB12" and parsed["ref"] == "AB12"
    assert parsed["error"] == "ValueError" and "test_json_logs.py" in parsed["where"]
    assert parsed["level"] == "ERROR" and parsed["ts"].endswith("+00:00")


async def test_the_bot_process_logs_json_lines(redis_server: RedisProcess, tmp_path: Path) -> None:
    user = {"id": 77, "is_bot": False, "first_name": "Bob", "language_code": "en"}
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 1_790_000_000,
            "chat": {"id": 77, "type": "private", "first_name": "Bob"},
            "from": user,
            "text": f"/help {PHONE}",
        },
    }
    env = {"BOT_LOG_FORMAT": "json"}
    async with (
        StandInBotApi() as telegram,
        bot_process(telegram, redis_server.url(), tmp_path, webhook=True, **env) as bot,
    ):
        await bot.deliver(update)
        await telegram.wait_for(lambda: telegram.texts_to(77))
        port = bot.base_url.rsplit(":", 1)[1]
        check = [sys.executable, "-m", "bot", "healthcheck"]  # the image's HEALTHCHECK
        env = {**os.environ, "BOT_WEBHOOK_PORT": port}
        done = subprocess.run(check, cwd=ROOT, env=env, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.process.wait() == 0
        text = bot.log.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert {"ts", "level", "logger", "message"} <= set(lines[0])
    assert any(line["message"] == "shutdown: everything in hand finished" for line in lines)
    assert TOKEN not in text and PHONE not in text
