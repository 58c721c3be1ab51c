"""The demo's evidence lines: `<document FILE>` sends a file as a file (the photo keeps its
EXIF), `<photo FILE kind>` a compressed photo tagged by kind; after the newcomer's lead
tour, the officer books the visit, sends evidence, checks in too far with a reason."""

from __future__ import annotations

from pathlib import Path

from test_demo import ROOT, _demo, unnumbered

from bot.domain.fieldwork import Point
from tests.support.photos import photo

VISIT = """officer> [📅 预约上门]
[#1]
[10:00]
[📷 现场资料]
<document {shop}>
[经营场所]
<photo {shop} stock>
[完成]
[📍 到场签到]
<location 30.70 104.0516>
我在市场门口
"""


def test_a_script_sends_evidence_and_checks_in(tmp_path: Path, redis_url: str) -> None:
    shop = tmp_path / "shop.jpg"
    shop.write_bytes(photo(place=Point(30.6915, 104.0516)))
    script = tmp_path / "visit.txt"
    tour = (ROOT / "bot" / "demo" / "lead.txt").read_text(encoding="utf-8")
    script.write_text(tour + VISIT.format(shop=shop), encoding="utf-8")

    result = _demo(script, redis_url)

    assert result.returncode == 0, result.stderr
    lines = unnumbered(result.stdout)
    expected = (
        "bot -> officer: (edited) 已存入线索 LD000001，类别：经营场所。✓ 拍摄时间和地点",
        "bot -> officer: (edited) 已存入线索 LD000001，类别：存货。⚠️ 无 EXIF",
        "bot -> officer: (edited) 现场资料已完成：该线索共 2 个文件。",
        "bot -> officer: 📍 您距经营场所967 米，银行只接受500 米以内的签到。",
        "bot -> officer: ✅ 线索 LD000001 已于",
    )
    missing = [start for start in expected if not any(x.startswith(start) for x in lines)]
    assert missing == []
    assert not any(
        "上门了解您的生意" in line for line in lines[lines.index("officer> [经营场所]") :]
    )


def test_a_file_that_cannot_be_read_stops_the_script(tmp_path: Path, redis_url: str) -> None:
    script = tmp_path / "bad.txt"
    script.write_text("@as officer\n<document no-such.jpg>\n", encoding="utf-8")
    result = _demo(script, redis_url)
    assert result.returncode == 1
    assert f"{script}:2: cannot read no-such.jpg" in result.stderr
