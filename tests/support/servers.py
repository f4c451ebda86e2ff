"""Run real servers for tests: an ASGI app under uvicorn in a thread, or a child process."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from typing import IO

import httpx
import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT_SECONDS = 90.0


def free_port() -> int:
    """Ask the kernel for a port nobody is listening on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_listening(
    port: int, timeout: float = 20.0, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Block until something accepts TCP connections on the port, so tests never race a boot.

    With the `process` that should listen, a crash fails at once instead of at the timeout.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server for port {port} exited with {process.returncode}")
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, port: int | None = None) -> Iterator[str]:
    """Serve an ASGI app under a real uvicorn server in a background thread; yield its base URL."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until_listening(port)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def serve_process(
    argv: Sequence[str],
    port: int,
    health_path: str | None = None,
    env: dict[str, str] | None = None,
    stderr: IO[bytes] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run a server as a child process until the block ends; fail loudly if it never comes up.

    Its standard error (where the graph logs) goes to `stderr` when given, else to ours.
    """
    proc = subprocess.Popen(list(argv), env=env, stderr=stderr)
    try:
        # A graph mirrors the catalogues before it listens: on a loaded 2-core machine that
        # can take most of a minute. A crash is noticed at once.
        wait_until_listening(port, STARTUP_TIMEOUT_SECONDS, proc)
        if health_path is not None:
            httpx.get(f"http://127.0.0.1:{port}{health_path}", timeout=5).raise_for_status()
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
