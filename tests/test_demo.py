"""`python -m bot demo --script`: a transcript of a multi-user conversation, no token."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _demo(script: Path, redis_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOT_REDIS_URL": redis_url}
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--script", str(script)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_a_script_prints_the_transcript(tmp_path: Path, redis_url: str) -> None:
    script = tmp_path / "tour.txt"
    script.write_text(
        "# a comment is skipped\n/start\n[语言]\n[English]\nnewcomer> hello\n@as officer\n/help\n",
        encoding="utf-8",
    )
    result = _demo(script, redis_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "merchant> /start"
    assert lines[1].startswith("bot -> merchant: 陈小梅，您好！")
    assert "  [❓ 帮助] [🌐 语言]" in lines
    assert "bot -> merchant: (edited) Language: English" in lines
    assert "newcomer> hello" in lines
    assert "bot -> newcomer: 抱歉，我没有理解。请从下方选择操作，或发送 /help。" in lines
    assert lines[lines.index("officer> /help") + 1].startswith("bot -> officer: 我为小微商户")


def test_a_line_that_cannot_be_carried_out_stops_the_script(tmp_path: Path, redis_url: str) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("/start\n[no such button]\n/help\n", encoding="utf-8")
    result = _demo(script, redis_url)
    assert result.returncode == 1
    assert f"{script}:2: no button matching 'no such button' for merchant" in result.stderr
    assert "merchant> /help" not in result.stdout


def test_an_unknown_user_stops_the_script(tmp_path: Path, redis_url: str) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("nobody> hi\n", encoding="utf-8")
    result = _demo(script, redis_url)
    assert result.returncode == 1 and "unknown user 'nobody'" in result.stderr


def test_the_demo_runs_without_redis(tmp_path: Path) -> None:
    script = tmp_path / "tour.txt"
    script.write_text("/help\n", encoding="utf-8")
    result = _demo(script, redis_url="redis://127.0.0.1:1/0")
    assert result.returncode == 0
    assert "keeps its state in memory" in result.stderr
    assert "bot -> merchant: 我为小微商户办理银行小额贷款提供帮助。" in result.stdout


def test_the_shipped_tours_run(redis_url: str) -> None:
    tours = {
        "tour.txt": "利率：年 12%；年化利率 12.68%",
        "money.txt": "sms -> merchant: 【微贷助手】验证码",
        "lead.txt": "bot -> newcomer: 📞 李经理 已就申请 LD000001 与您联系。",
    }
    for name, expected in tours.items():
        result = _demo(ROOT / "bot" / "demo" / name, redis_url)
        assert result.returncode == 0, (name, result.stderr)
        assert expected in result.stdout, name
