"""Telegram Mini App init data: checked as Telegram specifies, and never trusted otherwise.

secret = HMAC-SHA256(key="WebAppData", msg=bot token); the data is genuine when
HMAC-SHA256(key=secret, msg=the sorted "key=value" lines except "hash") equals its "hash".
Data older than the allowed age, or signed in the future beyond a small clock skew, is
refused too (aiogram's check_webapp_signature checks neither).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

CLOCK_SKEW_SECONDS = 30


class InitDataRejected(ValueError):
    """The init data is missing, forged, stale or malformed; the message says which."""


@dataclass(frozen=True, slots=True)
class WebAppUser:
    user_id: int
    language_code: str | None


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The init data string Telegram would hand the page for ``fields`` (demo and tests)."""
    digest = _digest(fields, bot_token)
    return urlencode({**fields, "hash": digest})


def verify(init_data: str, bot_token: str, *, now: datetime, max_age_seconds: int) -> WebAppUser:
    """The user the data is signed for; raises InitDataRejected for anything else."""
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataRejected("init data is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataRejected("a field is repeated")
    given = fields.get("hash", "")
    if not hmac.compare_digest(given.encode(), _digest(fields, bot_token).encode()):
        raise InitDataRejected("init data is not signed with this bot's token")
    _check_age(fields.get("auth_date", ""), now, max_age_seconds)
    return _user(fields.get("user", ""))


def _digest(fields: dict[str, str], bot_token: str) -> str:
    message = data_check_string(fields).encode()
    return hmac.new(secret_key(bot_token), message, hashlib.sha256).hexdigest()


def _check_age(auth_date: str, now: datetime, max_age_seconds: int) -> None:
    if not auth_date.isdecimal():
        raise InitDataRejected("auth_date is missing")
    age = now.timestamp() - int(auth_date)
    if age > max_age_seconds:
        raise InitDataRejected("init data is too old")
    if age < -CLOCK_SKEW_SECONDS:
        raise InitDataRejected("init data is signed in the future")


def _user(text: str) -> WebAppUser:
    try:
        user = json.loads(text)
    except ValueError:
        raise InitDataRejected("user is not JSON") from None
    user_id = user.get("id") if isinstance(user, dict) else None
    if type(user_id) is not int or user_id <= 0:
        raise InitDataRejected("user has no id")
    language = user.get("language_code")
    return WebAppUser(user_id, language if isinstance(language, str) else None)
