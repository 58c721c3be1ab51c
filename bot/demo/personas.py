"""The demo's seeded users: who they are in Telegram and at the sandbox bank."""

from __future__ import annotations

import sqlite3

from bot.demo.driver import ChatUser
from integrations.bank.protocol import BankAdapter
from integrations.bank.sandbox import SandboxBank, admin, seed
from integrations.bank.sandbox.committee_seed import BRANCH_SEATS
from integrations.bank.sandbox.context import Context

CHAIR, MEMBER2, MEMBER3 = BRANCH_SEATS  # the branch committee, C101 to C103
COLLEAGUE_STAFF_CODE = "K003"

PERSONAS: dict[str, ChatUser] = {
    user.name: user
    for user in (
        ChatUser("merchant", seed.MERCHANT_CHAT_USER_ID, "陈小梅", "zh-hans", seed.MERCHANT_PHONE),
        ChatUser("newcomer", 10002, "陈明", "zh-hans", seed.NEWCOMER_PHONE),
        ChatUser("officer", 20001, "李经理", "zh-hans", seed.OFFICER_PHONE),
        ChatUser("officer2", 20002, "王经理", "zh-hans", seed.OFFICER2_PHONE),
        ChatUser("supervisor", 20003, "赵主管", "zh-hans", seed.SUPERVISOR_PHONE),
        ChatUser("officer3", 20004, "孙经理", "zh-hans", "+8613800000103"),
        ChatUser("chair", 20101, CHAIR.name, "zh-hans", CHAIR.phone),
        ChatUser("member2", 20102, MEMBER2.name, "zh-hans", MEMBER2.phone),
        ChatUser("member3", 20103, MEMBER3.name, "zh-hans", MEMBER3.phone),
    )
}


async def seat_the_colleague(bank: BankAdapter) -> None:
    """`officer3` joins 李经理's territory and team in the demo's bank only, so a lead above
    the joint-investigation threshold gets a co-investigator (双人调查). The shared seed
    keeps one officer per territory, which the routing tests rely on."""
    if isinstance(bank, SandboxBank):
        await bank.run(_add_colleague)


def _add_colleague(connection: sqlite3.Connection, context: Context) -> None:
    supervisor = connection.execute(
        "SELECT id FROM officers WHERE staff_code = ?", (seed.SUPERVISOR_STAFF_CODE,)
    ).fetchone()
    colleague = PERSONAS["officer3"]
    admin.add_officer(
        connection,
        staff_code=COLLEAGUE_STAFF_CODE,
        name=colleague.first_name,
        phone=colleague.phone,
        territory_code=seed.NORTH,
        team_code=seed.RETAIL_TEAM,
        supervisor_id=supervisor[0],
    )
