"""What Telegram does for a Mini App, for tests: init data signed with the bot's token."""

from __future__ import annotations

import json
from datetime import datetime

from bot.demo.driver import ChatUser
from bot.webapp.init_data import sign

BOT_TOKEN = "42:TEST"


def init_data(user: ChatUser, now: datetime, *, token: str = BOT_TOKEN) -> str:
    telegram_user = {
        "id": user.user_id,
        "first_name": user.first_name,
        "language_code": user.language_code,
    }
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(telegram_user, ensure_ascii=False, separators=(",", ":")),
        "auth_date": str(int(now.timestamp())),
    }
    return sign(fields, token)


def authorization(user: ChatUser, now: datetime, *, token: str = BOT_TOKEN) -> dict[str, str]:
    return {"Authorization": "tma " + init_data(user, now, token=token)}
