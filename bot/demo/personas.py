"""The demo's seeded users: who they are in Telegram and at the sandbox bank."""

from __future__ import annotations

from bot.demo.driver import ChatUser
from integrations.bank.sandbox import seed

PERSONAS: dict[str, ChatUser] = {
    user.name: user
    for user in (
        ChatUser("merchant", seed.MERCHANT_CHAT_USER_ID, "陈小梅", "zh-hans", seed.MERCHANT_PHONE),
        ChatUser("newcomer", 10002, "陈明", "zh-hans", seed.NEWCOMER_PHONE),
        ChatUser("officer", 20001, "李经理", "zh-hans", seed.OFFICER_PHONE),
        ChatUser("officer2", 20002, "王经理", "zh-hans", seed.OFFICER2_PHONE),
        ChatUser("supervisor", 20003, "赵主管", "zh-hans", seed.SUPERVISOR_PHONE),
    )
}
