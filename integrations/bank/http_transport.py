"""`HttpTransport`: how every part of the REST bank adapter talks to the bank.

Timeouts on every call; retries with backoff and jitter only where repeating is safe (reads,
and writes that carry an idempotency key); a circuit breaker; problem+json answers turned
back into the same typed errors the sandbox raises. Unreachable, timed out or 5xx means
BankUnavailable.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Self, TypeVar
from urllib.parse import quote

import aiohttp
from pydantic import BaseModel

from integrations.bank.errors import BankError, BankUnavailable, error_from_problem
from integrations.bank.resilience import CircuitBreaker, RetryPolicy
from integrations.bank.rest_api import IDEMPOTENCY_HEADER, OCTET_STREAM, PROBLEM_JSON, type_adapter

T = TypeVar("T")
DEFAULT_TIMEOUT = aiohttp.ClientTimeout(total=10, sock_connect=3)
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


class HttpTransport:
    """The HTTP session, retries and breaker that every part of the REST adapter calls
    through (`_get`, `_post`, `_call`)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: aiohttp.ClientTimeout = DEFAULT_TIMEOUT,
        retry: RetryPolicy | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = timeout
        self._retry = retry or RetryPolicy()
        self._breaker = breaker or CircuitBreaker()
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # --- transport ---------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        file: bytes | None = None,
        query: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        safe: bool,
    ) -> bytes:
        """One logical call; `safe` says whether repeating it cannot do anything twice.
        The body is `body` as JSON, or `file` raw."""
        headers = dict(self._headers)
        if idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = idempotency_key
        payload = _json(body)
        if file is not None:
            headers["Content-Type"] = OCTET_STREAM
            payload = file
        request = _Request(method, path, headers, payload, query)
        attempts = self._retry.attempts if safe else 1
        for attempt in range(1, attempts):
            try:
                return await self._attempt(request)
            except BankUnavailable:
                await asyncio.sleep(self._retry.delay_before(attempt + 1))
        return await self._attempt(request)

    async def _attempt(self, request: _Request) -> bytes:
        self._breaker.before_call()
        try:
            status, content_type, raw = await self._send(request)
        except (aiohttp.ClientError, TimeoutError) as error:
            self._breaker.record_failure()
            raise BankUnavailable(f"{request.label}: {type(error).__name__}") from None
        if status in TRANSIENT_STATUSES:
            self._breaker.record_failure()
            raise BankUnavailable(f"{request.label}: HTTP {status}")
        self._breaker.record_success()
        if status >= 400:
            raise _error(status, content_type, raw)
        return raw

    async def _send(self, request: _Request) -> tuple[int, str, bytes]:
        async with self._client().request(
            request.method,
            self._base_url + request.path,
            headers=request.headers,
            data=request.payload,
            params=request.query,
        ) as response:
            return response.status, response.content_type, await response.read()

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def _get(
        self, path: str, response_type: type[T], query: dict[str, str] | None = None
    ) -> T:
        return _parse(await self._call("GET", path, query=query, safe=True), response_type)

    async def _post_file(
        self, path: str, file: bytes, query: dict[str, str], response_type: type[T]
    ) -> T:
        """A file as the body, raw, and what goes with it in the query; not repeated."""
        return _parse(
            await self._call("POST", path, file=file, query=query, safe=False), response_type
        )

    async def _get_bytes(self, path: str) -> bytes:
        """A file: the response's raw body."""
        return await self._call("GET", path, safe=True)

    async def _post(
        self,
        path: str,
        body: BaseModel,
        response_type: type[T],
        *,
        idempotency_key: str | None = None,
        repeatable: bool = False,
    ) -> T:
        safe = repeatable or idempotency_key is not None  # repeatable: a lookup or an erasure
        raw = await self._call("POST", path, body=body, idempotency_key=idempotency_key, safe=safe)
        return _parse(raw, response_type)


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    payload: bytes | None
    query: dict[str, str] | None

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"  # paths hold opaque ids, never personal data


def _json(body: BaseModel | None) -> bytes | None:
    return body.model_dump_json().encode() if body is not None else None


def segment(value: str) -> str:
    return quote(value, safe="")


def _parse(raw: bytes, response_type: type[T]) -> T:
    parsed: T = type_adapter(response_type).validate_json(raw)
    return parsed


def _error(status: int, content_type: str, raw: bytes) -> BankError:
    if content_type == PROBLEM_JSON:
        try:
            problem = json.loads(raw)
        except ValueError:
            problem = None
        if isinstance(problem, dict):
            return error_from_problem(problem)
    return BankError(f"HTTP {status} without a problem document")
