"""A real fault between the HTTP adapter and the bank's REST server: an HTTP/1.1 proxy on
loopback that, per request, forwards it and relays the answer, forwards it and closes the
client's connection without the answer (the bank acted, the bot never hears), or closes the
connection without forwarding (the bank never hears)."""

from __future__ import annotations

import asyncio
import contextlib
from enum import StrEnum
from urllib.parse import urlsplit


class Fault(StrEnum):
    NONE = "none"
    DROP_ANSWER = "drop_answer"
    DROP_REQUEST = "drop_request"


class LossyProxy:
    def __init__(self, upstream_url: str) -> None:
        parts = urlsplit(upstream_url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._faults: dict[str, Fault] = {}
        self._server: asyncio.Server | None = None
        self.forwarded: list[str] = []  # "POST /v1/transfers", in order, as the bank got them
        self.url = ""

    def fault(self, request: str, fault: Fault) -> None:
        """`request` is "METHOD /path" (without the query); "*" stands for every request."""
        self._faults[request] = fault

    def heal(self) -> None:
        self._faults.clear()

    def _fault_for(self, request: str) -> Fault:
        return self._faults.get(request, self._faults.get("*", Fault.NONE))

    async def __aenter__(self) -> LossyProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        host, port = self._server.sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        try:
            while True:
                try:
                    head, body = await _read_message(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                method, target = head.split(b" ", 2)[:2]
                request = f"{method.decode()} {target.decode().split('?')[0]}"
                fault = self._fault_for(request)
                if fault is Fault.DROP_REQUEST:
                    return
                upstream = upstream or await asyncio.open_connection(*self._upstream)
                upstream[1].write(head + body)
                await upstream[1].drain()
                self.forwarded.append(request)
                answer_head, answer_body = await _read_message(upstream[0])
                if fault is Fault.DROP_ANSWER:
                    return
                writer.write(answer_head + answer_body)
                await writer.drain()
        finally:
            for stream in (writer, upstream[1] if upstream else None):
                if stream is not None:
                    stream.close()
                    with contextlib.suppress(ConnectionError):
                        await stream.wait_closed()


async def _read_message(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One HTTP/1.1 request or response with a Content-Length body (aiohttp sends those)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return head, await reader.readexactly(length)
