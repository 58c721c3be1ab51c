"""The committee tour (bot/demo/committee.txt): a newcomer's lead above the joint-investigation
threshold through both officers' visits, the worksheet and its review, the branch
committee's three votes, the offer, its acceptance with the texted code and the payout."""

from __future__ import annotations

from test_demo import ROOT, _demo, unnumbered


def test_the_committee_tour_runs_to_the_payout(redis_url: str) -> None:
    result = _demo(ROOT / "bot" / "demo" / "committee.txt", redis_url)

    assert result.returncode == 0, result.stderr
    lines = unnumbered(result.stdout)
    expected = (
        "bot -> officer3: 线索 LD000001 · 与 李经理 双人调查 · 待认领",
        "bot -> officer: (edited) 已存入线索 LD000001，类别：经营场所。✓ 拍摄时间和地点",
        "bot -> officer3: ✅ 线索 LD000001 已于",
        "最高一期还款：¥9,995.49 (可承受)",
        "bot -> (alert): 您已确认线索 LD000001 调查表第 1 版。",
        "bot -> officer: 线索 LD000001 已作为案件 CC000001 提交贷审会，委员们已收到。",
        "bot -> chair: 🗂 支行贷审会：案件 CC000001（线索 LD000001）",
        "bot -> member3: 您对案件 CC000001 的投票：同意。",
        "bot -> officer: ✅ 贷审会已批准案件 CC000001（线索 LD000001）：¥112,500.00，12 个月",
        "bot -> newcomer: 🎉 贷审会已批准您的贷款。以下是银行的要约 OR000001：",
        "sms -> newcomer: 【微贷助手】验证码",
        "bot -> newcomer: ✅ 您已接受要约 OR000001：¥112,500.00，12 个月。",
        "bot -> newcomer: 💰 您的贷款 ¥112,500.00 已发放到账户 ****",
    )
    missing = [start for start in expected if not any(x.startswith(start) for x in lines)]
    assert missing == []
    assert not any(line.startswith("bot -> officer: 尚不能提交贷审会") for line in lines)
