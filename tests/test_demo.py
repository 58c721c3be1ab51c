"""`python -m bot demo --script`: a transcript of a multi-user conversation, no token."""

from __future__ import annotations

import os
import re
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


def unnumbered(stdout: str) -> list[str]:
    """The transcript's lines without the message numbers ("bot -> merchant #1004: ...")."""
    return [re.sub(r"^(bot -> [a-z0-9]+) #\d+:", r"\1:", line) for line in stdout.splitlines()]


def test_a_script_prints_the_transcript(tmp_path: Path, redis_url: str) -> None:
    script = tmp_path / "tour.txt"
    script.write_text(
        "# a comment is skipped\n/start\n[语言]\n[English]\nnewcomer> hello\n@as officer\n/help\n",
        encoding="utf-8",
    )
    result = _demo(script, redis_url)
    assert result.returncode == 0, result.stderr
    lines = unnumbered(result.stdout)
    assert lines[0] == "merchant> /start"
    assert re.match(r"bot -> merchant #\d+: 陈小梅，您好！", result.stdout.splitlines()[1])
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
    assert "bot -> merchant: 我为小微商户办理银行小额贷款提供帮助。" in unnumbered(result.stdout)


def test_the_shipped_tours_run(redis_url: str) -> None:
    tours = {
        "tour.txt": (
            "利率：年 12%；年化利率 12.68%",
            "bot -> newcomer: All repayment methods for the same loan:",
            "Ставка: 12% годовых; полная стоимость (年化利率) 12,68%",
            "bot -> officer2: [document: schedule.csv] График платежей таблицей (CSV).",
            "bot -> officer2: График платежей, страница 1 из 1",
        ),
        "money.txt": ("sms -> merchant: 【微贷助手】验证码",),
        "lead.txt": (
            "bot -> newcomer: 📞 李经理 已就申请 LD000001 与您联系。",
            "bot -> officer: [contact: 陈明 +86*******0009]",
        ),
    }
    for name, expected in tours.items():
        result = _demo(ROOT / "bot" / "demo" / name, redis_url)
        assert result.returncode == 0, (name, result.stderr)
        lines = unnumbered(result.stdout)
        missing = [start for start in expected if not any(x.startswith(start) for x in lines)]
        assert missing == [], name


def test_buttons_of_older_messages_by_position_or_number(tmp_path: Path, redis_url: str) -> None:
    script = tmp_path / "older.txt"
    script.write_text(
        "/calc\n5万\n[12]\n[#1]\n[还款计划]\n[图表]@2\n[CSV]@#{result}\n[CSV]@2\n",
        encoding="utf-8",
    )
    first = _demo(script, redis_url)  # stops at the last line: the chart has no CSV button
    numbers = re.findall(r"^bot -> merchant #(\d+): \(edited\) 🧮", first.stdout, re.M)
    assert numbers, first.stdout
    script.write_text(script.read_text().replace("{result}", numbers[-1]), encoding="utf-8")
    result = _demo(script, redis_url)
    lines = unnumbered(result.stdout)
    assert lines[lines.index("merchant> [图表]@2") + 1].startswith(
        "bot -> merchant: [photo: schedule.png] 按月等额本息"
    )
    assert lines[lines.index(f"merchant> [CSV]@#{numbers[-1]}") + 1] == (
        "bot -> merchant: [document: schedule.csv] 还款计划表（CSV）。"
    )
    assert result.returncode == 1
    assert re.search(rf"{script}:8: no button matching 'CSV' on message #\d+", result.stderr)
