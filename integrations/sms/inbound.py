"""The inbound SMS webhook: an SMS gateway POSTs each message it receives for our number.

Body: JSON or a form with the sender, the recipient, the text and the gateway's message id
(`sender`/`from`, `recipient`/`to`, `text`/`body`, `message_id`/`id`). Authenticated by an
HMAC-SHA256 over the send time and the raw body (headers `X-Sms-Timestamp: <unix seconds>`
and `X-Sms-Signature: sha256=<hex of HMAC(secret, timestamp + "." + body)>`), or by HTTP
basic auth. A message sent more than `max_age_seconds` ago (or as far in the future) is
refused with 403: with HMAC by the signed timestamp; with basic auth by the body's own
`timestamp` field when the gateway sends one (unix seconds), otherwise only the message-id
memory below stops a replay.

Each message id is acted on once (Redis, remembered at least twice the window, so a replay
inside the window is a duplicate and one outside it is stale). `handle` (passed in: this
package knows nothing of the bot) must take the message durably — the bot appends it to a
Redis Stream that its consumers work through — and the gateway gets 200 only after that.
If `handle` fails, the message id is forgotten again and the gateway gets 503, so its
retry is not lost.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Sms-Signature"
TIMESTAMP_HEADER = "X-Sms-Timestamp"
SEEN_SECONDS = 7 * 86_400
DEFAULT_MAX_AGE_SECONDS = 300
MAX_BODY_BYTES = 16_384
FIELD_NAMES = {
    "sender": ("sender", "from", "msisdn"),
    "recipient": ("recipient", "to"),
    "text": ("text", "body", "message"),
    "message_id": ("message_id", "id", "messageId"),
}


@dataclass(frozen=True)
class InboundSms:
    sender: str
    recipient: str
    text: str
    message_id: str

    def __repr__(self) -> str:  # no phone numbers or texts in logs
        return f"InboundSms(message_id={self.message_id!r})"


InboundHandler = Callable[[InboundSms], Awaitable[None]]
SeenKey = Callable[[str], str]  # the Redis key that marks a message id as taken


class Refused(Exception):
    """The request is not let in: `status` and a short `reason` for the gateway."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class SmsAuth:
    """HMAC secret, or basic-auth user and password (one of them); and how old a message
    may be."""

    hmac_secret: str | None = None
    basic_user: str | None = None
    basic_password: str | None = None
    max_age_seconds: int = DEFAULT_MAX_AGE_SECONDS

    def __post_init__(self) -> None:
        basic = self.basic_user is not None and self.basic_password is not None
        if (self.hmac_secret is None) == (not basic):
            raise ValueError("configure either an HMAC secret or basic-auth user and password")

    @property
    def seen_seconds(self) -> int:
        """How long a message id is remembered: longer than any message stays fresh."""
        return max(SEEN_SECONDS, 2 * self.max_age_seconds + 60)

    def check(self, request: web.Request, body: bytes) -> None:
        """Raises Refused unless the request is the gateway's and, with HMAC, fresh."""
        if self.hmac_secret is None:
            if not self._basic_ok(request.headers.get("Authorization", "")):
                raise Refused(401, "unauthorized")
            return
        timestamp = request.headers.get(TIMESTAMP_HEADER, "")
        sent_at = _unix_seconds(timestamp)
        if sent_at is None:
            raise Refused(401, f"unauthorized: the {TIMESTAMP_HEADER} header is missing")
        if not self._signature_ok(request.headers.get(SIGNATURE_HEADER, ""), timestamp, body):
            raise Refused(401, "unauthorized")
        self._check_fresh(sent_at)

    def check_body_time(self, sent_at: int | None) -> None:
        """Basic auth signs nothing: the body's own timestamp, when sent, is all there is."""
        if self.hmac_secret is None and sent_at is not None:
            self._check_fresh(sent_at)

    def _check_fresh(self, sent_at: int) -> None:
        age = time.time() - sent_at
        if age > self.max_age_seconds:
            raise Refused(403, f"stale: sent more than {self.max_age_seconds} s ago")
        if -age > self.max_age_seconds:
            raise Refused(403, "stale: the timestamp is in the future")

    def _signature_ok(self, given: str, timestamp: str, body: bytes) -> bool:
        assert self.hmac_secret is not None
        expected = sign(self.hmac_secret, timestamp, body)
        return hmac.compare_digest(given.removeprefix("sha256=").encode(), expected.encode())

    def _basic_ok(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user_ok = hmac.compare_digest(user.encode(), (self.basic_user or "").encode())
        password_ok = hmac.compare_digest(password.encode(), (self.basic_password or "").encode())
        return user_ok and password_ok


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256 the gateway sends: over `timestamp + "." + body`."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class BadMessage(ValueError):
    pass


@dataclass(frozen=True)
class ReadMessage:
    message: InboundSms
    sent_at: int | None  # the body's own `timestamp` field, when the gateway sends one


async def read_message(request: web.Request, body: bytes) -> ReadMessage:
    fields: dict[str, Any]
    if request.content_type == "application/json":
        try:
            fields = json.loads(body)
        except (ValueError, RecursionError) as error:  # RecursionError: nested too deep
            raise BadMessage("body is not JSON") from error
        if not isinstance(fields, dict):
            raise BadMessage("body is not a JSON object")
    else:
        fields = dict(await request.post())
    values = {name: _first(fields, aliases) for name, aliases in FIELD_NAMES.items()}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise BadMessage("missing " + ", ".join(missing))
    return ReadMessage(InboundSms(**values), _sent_at(fields.get("timestamp")))


def _sent_at(value: object) -> int | None:
    if value is None:
        return None
    sent_at = _unix_seconds(str(value).strip()) if isinstance(value, str | int) else None
    if sent_at is None:
        raise BadMessage("timestamp is not unix seconds")
    return sent_at


def _unix_seconds(text: str) -> int | None:
    """ASCII digits only, and no more than a clock can show."""
    if not (text.isascii() and text.isdecimal() and len(text) <= 12):
        return None
    return int(text)


def _first(fields: dict[str, Any], aliases: tuple[str, ...]) -> str:
    for alias in aliases:
        value = fields.get(alias)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return ""


class InboundSmsReceiver:
    """Accepts, dedupes and hands over messages before acknowledging them."""

    def __init__(
        self, handle: InboundHandler, redis: Redis, auth: SmsAuth, seen_key: SeenKey
    ) -> None:
        self.handle = handle
        self.redis = redis
        self.auth = auth
        self.seen_key = seen_key

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if len(body) > MAX_BODY_BYTES:
            return web.json_response({"error": "too large"}, status=413)
        try:
            self.auth.check(request, body)
            read = await read_message(request, body)
            self.auth.check_body_time(read.sent_at)
        except Refused as refused:
            return web.json_response({"error": refused.reason}, status=refused.status)
        except BadMessage as error:
            return web.json_response({"error": str(error)}, status=400)
        message = read.message
        seen_key = self.seen_key(message.message_id)
        try:
            first = await self.redis.set(seen_key, "1", nx=True, ex=self.auth.seen_seconds)
        except RedisError:
            log.exception("could not dedupe an inbound SMS; the gateway will retry")
            return web.json_response({"error": "unavailable"}, status=503)
        if not first:
            return web.json_response({"status": "duplicate"})
        try:
            await self.handle(message)
        except Exception:
            log.exception("inbound SMS %s not taken; the gateway will retry", message.message_id)
            await self.redis.delete(seen_key)
            return web.json_response({"error": "unavailable"}, status=503)
        return web.json_response({"status": "accepted"})


def build_sms_app(
    handle: InboundHandler, redis: Redis, auth: SmsAuth, seen_key: SeenKey, path: str = "/inbound"
) -> web.Application:
    """An aiohttp app to mount in the bot's web server (`app.add_subapp("/sms", ...)`)."""
    receiver = InboundSmsReceiver(handle, redis, auth, seen_key)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post(path, receiver.receive)
    return app
