"""The demo's seeded users: who they are in Telegram and at the sandbox bank."""

from __future__ import annotations

from bot.demo.driver import ChatUser
from integrations.bank.sandbox import seed
from integrations.bank.sandbox.committee_seed import BRANCH_SEATS

CHAIR, MEMBER2, MEMBER3 = BRANCH_SEATS  # the branch committee, C101 to C103

PERSONAS: dict[str, ChatUser] = {
    user.name: user
    for user in (
        ChatUser("merchant", seed.MERCHANT_CHAT_USER_ID, "陈小梅", "zh-hans", seed.MERCHANT_PHONE),
        ChatUser("newcomer", 10002, "陈明", "zh-hans", seed.NEWCOMER_PHONE),
        ChatUser("officer", 20001, "李经理", "zh-hans", seed.OFFICER_PHONE),
        ChatUser("officer2", 20002, "王经理", "zh-hans", seed.OFFICER2_PHONE),
        ChatUser("supervisor", 20003, "赵主管", "zh-hans", seed.SUPERVISOR_PHONE),
        ChatUser("chair", 20101, CHAIR.name, "zh-hans", CHAIR.phone),
        ChatUser("member2", 20102, MEMBER2.name, "zh-hans", MEMBER2.phone),
        ChatUser("member3", 20103, MEMBER3.name, "zh-hans", MEMBER3.phone),
    )
}
