"""A real redis-server that a test starts, stops and starts again on the same port and data.

AOF is on, so what Redis acknowledged before a (graceful) stop is there after the restart,
as in production.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from pathlib import Path

import redis


class RedisProcess:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def command(self) -> list[str]:
        return [
            "redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
            "--save", "", "--appendonly", "yes", "--dir", str(self.folder),
            "--logfile", str(self.folder / "redis.log"),
        ]  # fmt: skip

    def start(self) -> None:
        self._process = subprocess.Popen(self.command())
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        client.close()

    @property
    def running(self) -> bool:
        return self._process is not None

    def stop(self) -> None:
        """SIGTERM: Redis writes its AOF and exits; clients see their connections drop."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    async def outage(self, seconds: float) -> None:
        self.stop()
        await asyncio.sleep(seconds)
        self.start()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
