"""Start-up: a missing or malformed setting stops with one clear line naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_defaults_match_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.webhook_path == "/webhook"
    assert (settings.default_locale, settings.timezone, settings.currency) == (
        "zh_Hans",
        "Asia/Shanghai",
        "CNY",
    )
    assert settings.bank_adapter == "sandbox"


def test_a_malformed_setting_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_WEBHOOK_PORT", "eighty")
    with pytest.raises(SettingsError, match=r"^BOT_WEBHOOK_PORT is invalid"):
        load_settings(_env_file=None)


def test_an_unknown_time_zone_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match=r"^BOT_TIMEZONE is invalid.*Mars/Olympus"):
        load_settings(_env_file=None)


def test_holidays_are_a_comma_separated_list_of_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_HOLIDAYS", "2026-10-01, 2026-10-02")
    assert [day.isoformat() for day in load_settings(_env_file=None).holidays] == [
        "2026-10-01",
        "2026-10-02",
    ]
    monkeypatch.setenv("BOT_HOLIDAYS", "2026-10-01,National Day")
    with pytest.raises(SettingsError, match=r"^BOT_HOLIDAYS is invalid"):
        load_settings(_env_file=None)


def test_cluster_nodes_are_a_comma_separated_list_of_hosts_and_ports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings(_env_file=None).redis_cluster_nodes == ()
    monkeypatch.setenv("BOT_REDIS_CLUSTER_NODES", "10.0.0.1:7000, redis-2:7001")
    assert load_settings(_env_file=None).redis_cluster_nodes == ("10.0.0.1:7000", "redis-2:7001")
    monkeypatch.setenv("BOT_REDIS_CLUSTER_NODES", "10.0.0.1")
    with pytest.raises(SettingsError, match=r"^BOT_REDIS_CLUSTER_NODES is invalid.*host:port"):
        load_settings(_env_file=None)


def test_a_missing_token_points_to_the_demo() -> None:
    with pytest.raises(SettingsError, match=r"BOT_TOKEN is not set.*make demo"):
        Settings(_env_file=None).require_token()  # type: ignore[call-arg]


def test_the_cli_prints_one_line_and_exits_2_without_a_token(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = _cli("run", env=env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: BOT_TOKEN is not set: put your bot token from @BotFather in BOT_TOKEN "
        "(environment or .env), or try everything without one: make demo"
    ]


def test_the_cli_names_a_bad_setting(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "BOT_DEFAULT_LOCALE": "fr"}
    result = _cli("run", env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("error: BOT_DEFAULT_LOCALE is invalid")
    assert "Traceback" not in result.stderr
