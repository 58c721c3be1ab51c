"""A real 3-master Redis Cluster that a test starts, and whose masters it stops and starts
again on the same port, data (AOF) and cluster config (nodes.conf), as an operator's restart
of a node does."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from pathlib import Path

import redis

from tests.support.redis_process import RedisProcess

NODE_TIMEOUT_MS = 2_000  # a master away this long fails the cluster (no replicas here)
BUS_OFFSET = 10_000  # a node's cluster bus listens this far above its port


class RedisClusterProcess:
    def __init__(self, folder: Path, masters: int = 3) -> None:
        self.nodes = [ClusterNodeProcess(folder / f"node-{index}") for index in range(masters)]

    @property
    def addresses(self) -> str:
        """BOT_REDIS_CLUSTER_NODES: host:port,host:port,..."""
        return ",".join(f"127.0.0.1:{node.port}" for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        subprocess.run(
            ["redis-cli", "--cluster", "create", *self.addresses.split(","),
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True,
        )  # fmt: skip
        self.wait_state("ok")

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def states(self) -> list[str]:
        """cluster_state as each running node sees it ("ok" or "fail")."""
        return [state for node in self.nodes if (state := node.cluster_state()) is not None]

    def wait_state(self, state: str, timeout: float = 30) -> None:
        """Until every running node says `state`: "ok" when all slots are served, "fail"
        once a master has been away for the node timeout."""
        deadline = time.monotonic() + timeout
        while set(self.states()) != {state}:
            assert time.monotonic() < deadline, f"the cluster never became {state}"
            time.sleep(0.05)


class ClusterNodeProcess(RedisProcess):
    """One master: a RedisProcess with the cluster on, its nodes.conf in its folder."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        super().__init__(folder)
        self.port = _cluster_port()

    def command(self) -> list[str]:
        return [
            *super().command(),
            "--cluster-enabled", "yes",
            "--cluster-config-file", str(self.folder / "nodes.conf"),
            "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
        ]  # fmt: skip

    def cluster_state(self) -> str | None:
        """What CLUSTER INFO says of the cluster; None while this node is not running."""
        if not self.running:
            return None
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2, decode_responses=True)
        try:
            return str(client.execute_command("CLUSTER INFO")["cluster_state"])
        finally:
            client.close()


def _cluster_port() -> int:
    """A free port whose cluster bus port is free too (so at most 65535 - 10000)."""
    while True:
        port = random.randrange(20_000, 65_535 - BUS_OFFSET)
        if all(_free(candidate) for candidate in (port, port + BUS_OFFSET)):
            return port


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
