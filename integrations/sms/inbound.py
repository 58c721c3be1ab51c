"""The inbound SMS webhook: an SMS gateway POSTs each message it receives for our number.

Body: JSON or a form with the sender, the recipient, the text and the gateway's message id
(`sender`/`from`, `recipient`/`to`, `text`/`body`, `message_id`/`id`). Authenticated by an
HMAC-SHA256 of the raw body (header `X-Sms-Signature: sha256=<hex>`) or by HTTP basic auth.
Each message id is acted on once (Redis). `handle` (passed in: this package knows nothing of
the bot) must take the message durably — the bot appends it to a Redis Stream that its
consumers work through — and the gateway gets 200 only after that. If `handle` fails, the
message id is forgotten again and the gateway gets 503, so its retry is not lost.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Sms-Signature"
SEEN_PREFIX = "sms:seen"
SEEN_SECONDS = 7 * 86_400
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


@dataclass(frozen=True)
class SmsAuth:
    """HMAC secret, or basic-auth user and password (one of them)."""

    hmac_secret: str | None = None
    basic_user: str | None = None
    basic_password: str | None = None

    def __post_init__(self) -> None:
        basic = self.basic_user is not None and self.basic_password is not None
        if (self.hmac_secret is None) == (not basic):
            raise ValueError("configure either an HMAC secret or basic-auth user and password")

    def allows(self, request: web.Request, body: bytes) -> bool:
        if self.hmac_secret is not None:
            return self._signature_ok(request.headers.get(SIGNATURE_HEADER, ""), body)
        return self._basic_ok(request.headers.get("Authorization", ""))

    def _signature_ok(self, given: str, body: bytes) -> bool:
        assert self.hmac_secret is not None
        expected = sign(self.hmac_secret, body)
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


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class BadMessage(ValueError):
    pass


async def read_message(request: web.Request, body: bytes) -> InboundSms:
    fields: dict[str, Any]
    if request.content_type == "application/json":
        try:
            fields = json.loads(body)
        except ValueError as error:
            raise BadMessage("body is not JSON") from error
        if not isinstance(fields, dict):
            raise BadMessage("body is not a JSON object")
    else:
        fields = dict(await request.post())
    values = {name: _first(fields, aliases) for name, aliases in FIELD_NAMES.items()}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise BadMessage("missing " + ", ".join(missing))
    return InboundSms(**values)


def _first(fields: dict[str, Any], aliases: tuple[str, ...]) -> str:
    for alias in aliases:
        value = fields.get(alias)
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()
    return ""


class InboundSmsReceiver:
    """Accepts, dedupes and hands over messages before acknowledging them."""

    def __init__(self, handle: InboundHandler, redis: Redis, auth: SmsAuth) -> None:
        self.handle = handle
        self.redis = redis
        self.auth = auth

    async def receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        if len(body) > MAX_BODY_BYTES:
            return web.json_response({"error": "too large"}, status=413)
        if not self.auth.allows(request, body):
            return web.json_response({"error": "unauthorized"}, status=401)
        try:
            message = await read_message(request, body)
        except BadMessage as error:
            return web.json_response({"error": str(error)}, status=400)
        seen_key = f"{SEEN_PREFIX}:{message.message_id}"
        try:
            first = await self.redis.set(seen_key, "1", nx=True, ex=SEEN_SECONDS)
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
    handle: InboundHandler, redis: Redis, auth: SmsAuth, path: str = "/inbound"
) -> web.Application:
    """An aiohttp app to mount in the bot's web server (`app.add_subapp("/sms", ...)`)."""
    receiver = InboundSmsReceiver(handle, redis, auth)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post(path, receiver.receive)
    return app
