"""Outbound SMS through an HTTP gateway, with retries; and a sender that splits long texts.

The gateway gets `POST {url}` with JSON `{"to": phone, "text": text, "client_ref": id}` and
a bearer token. The same `client_ref` on every retry lets the gateway drop duplicates when
an earlier attempt did arrive but its answer was lost.
"""

from __future__ import annotations

import asyncio
import logging
import secrets

import aiohttp

from integrations.bank.masking import mask_phone
from integrations.sms.outbound import SmsSender
from integrations.sms.segments import split_segments

log = logging.getLogger(__name__)
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class SmsGatewayError(Exception):
    """The gateway refused the message, or kept failing after every retry."""


class HttpSmsGateway:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        session: aiohttp.ClientSession | None = None,
        attempts: int = 4,
        first_delay: float = 0.5,
        timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.token = token
        self._session = session
        self.attempts = attempts
        self.first_delay = first_delay
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(self, phone: str, text: str) -> None:
        payload = {"to": phone, "text": text, "client_ref": secrets.token_hex(12)}
        delay = self.first_delay
        for attempt in range(1, self.attempts + 1):
            if await self._attempt(payload):
                return
            if attempt < self.attempts:
                await asyncio.sleep(delay)
                delay *= 2
        raise SmsGatewayError(f"gave up sending to {mask_phone(phone)}")

    async def _attempt(self, payload: dict[str, str]) -> bool:
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            async with self._client().post(
                self.url, json=payload, headers=headers, timeout=self.timeout
            ) as response:
                if response.status < 300:
                    return True
                if response.status not in RETRYABLE_STATUS:
                    raise SmsGatewayError(f"gateway refused the message: HTTP {response.status}")
                log.warning("SMS gateway answered %s; retrying", response.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("SMS gateway unreachable (%s); retrying", type(error).__name__)
        return False

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class SegmentingSender:
    """Sends each correctly sized segment of a text as its own SMS, in order."""

    def __init__(self, inner: SmsSender) -> None:
        self.inner = inner

    async def send(self, phone: str, text: str) -> None:
        for segment in split_segments(text):
            await self.inner.send(phone, segment)
