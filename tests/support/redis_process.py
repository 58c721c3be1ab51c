"""A redis-server the test starts, stops and starts again on the same port (its data kept in
an append-only file, as in production), to cut Redis away from a running process."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from redis import Redis as SyncRedis
from redis.exceptions import RedisError


class RedisProcess:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                "redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                "--dir", str(self.folder), "--save", "", "--appendonly", "yes",
                "--appendfsync", "always", "--logfile", str(self.folder / "redis.log"),
            ],
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                if SyncRedis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except (OSError, RedisError):
                pass
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)

    def stop(self) -> None:
        """Shut down (the append-only file keeps what it held)."""
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
