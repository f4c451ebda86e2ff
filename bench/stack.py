"""The stack under test, started like `make dev`, with the graph alone on one core.

The machine has two cores: core 0 runs only the process being measured (the graph, or a
baseline while it is measured); core 1 runs storage, the simulators and the load generator.
Pinning uses `os.sched_setaffinity`; where the OS has no such call, or fewer than two cores,
nothing is pinned and the report says so.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from mychangsha import embedded
from mychangsha.auth.crypto import FieldCipher
from mychangsha.embedded import ChildProcess
from mychangsha.integrations.payment import generate_merchant_key_pem
from mychangsha.simulators.registry import SIMULATORS

GRAPH_CORE = 0
SUPPORT_CORE = 1
ROOT = Path(__file__).resolve().parent.parent

# Limits that would refuse a load generator's traffic from one address; the rest is default.
BENCH_SETTINGS = {
    "OPERATION_RATE_PER_IP": "100000000",
    "OPERATION_RATE_PER_CITIZEN": "100000000",
    "CATALOGUE_SYNC_ON_START": "false",
    "GRAPHQL_IDE": "false",
}


def can_pin() -> bool:
    """Whether processes can be given a core of their own here."""
    return hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) >= 2


def pin(pid: int, core: int) -> None:
    """Keep a process (all its threads) on one core, when the OS allows."""
    if not can_pin():
        return
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            os.sched_setaffinity(int(task.name), {core})


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM) since start or the last reset, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss(pid: int) -> None:
    """Start a new peak-RSS measurement (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/clear_refs").write_text("5")


@dataclass
class Stack:
    """Running processes and where they listen."""

    env: dict[str, str]
    simulators: dict[str, str]
    logs: Path
    children: list[ChildProcess] = field(default_factory=list)

    def start_server(self, name: str, argv: list[str], extra_env: dict[str, str]) -> Server:
        """An HTTP server process on core 0 (the graph, or a baseline), ready when it answers."""
        port = embedded.free_port()
        child = ChildProcess(
            name,
            [*argv, "--port", str(port)],
            port,
            self.logs / f"{name}.log",
            {**self.env, **extra_env},
        )
        child.start()
        self.children.append(child)
        url = f"http://127.0.0.1:{port}"
        _wait_http(f"{url}/healthz", child)
        assert child.process is not None
        pin(child.process.pid, GRAPH_CORE)
        return Server(name, url, child.process.pid)

    def stop(self) -> None:
        """Stop every child, last started first."""
        for child in reversed(self.children):
            child.stop()


@dataclass(frozen=True)
class Server:
    """A server under measurement."""

    name: str
    url: str
    pid: int


def _wait_http(url: str, child: ChildProcess, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.exit_code() is not None:
            raise RuntimeError(f"{child.name} exited ({child.exit_code()}); see {child.log_path}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise TimeoutError(f"{child.name} did not answer {url} within {timeout}s")


def _python(*args: str) -> list[str]:
    return [sys.executable, "-m", "mychangsha", *args]


@contextlib.contextmanager
def running_stack(data: Path) -> Iterator[Stack]:
    """MongoDB, Redis and every simulator on the support core, catalogues seeded."""
    logs = data / "logs"
    stack = Stack(env={}, simulators={}, logs=logs)
    try:
        mongo = embedded.start_mongo(None, log_path=logs / "mongodb.log")
        stack.children.append(mongo)
        redis = embedded.start_redis(log_path=logs / "redis.log")
        stack.children.append(redis)
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "MONGODB_URI": embedded.mongo_uri(mongo.port),
            "REDIS_URL": embedded.redis_uri(redis.port),
            "MASTER_KEY": FieldCipher.generate_setting(),
            "PAYMENT_MERCHANT_PRIVATE_KEY": generate_merchant_key_pem().decode(),
            **BENCH_SETTINGS,
        }
        for name in SIMULATORS:
            port = embedded.free_port()
            child = ChildProcess(
                f"simulator-{name}",
                _python("simulate", name, "--port", str(port)),
                port,
                logs / f"simulator-{name}.log",
            )
            child.start()
            stack.children.append(child)
            url = f"http://127.0.0.1:{port}"
            stack.simulators[name] = url
            env[f"{name.upper()}_BASE_URL"] = url
        env["HOSPITAL_DIRECTORY_URL"] = f"{stack.simulators['hospital']}/directory"
        for name, url in stack.simulators.items():
            _wait_http(f"{url}/healthz", next(c for c in stack.children if c.name.endswith(name)))
        for child in stack.children:
            assert child.process is not None
            pin(child.process.pid, SUPPORT_CORE)
        stack.env = env
        seeded = subprocess.run(_python("seed"), env=env, check=False, capture_output=True)
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding failed: {seeded.stderr.decode()[-2000:]}")
        yield stack
    finally:
        stack.stop()
