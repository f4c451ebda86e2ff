"""Extra graph processes next to the session's, sharing its MongoDB, Redis and simulators."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from mychangsha import embedded
from tests.support.servers import free_port, serve_process


@contextlib.contextmanager
def extra_graph(
    graph_env: Mapping[str, str], *, log_file: Path | None = None, **settings: str
) -> Iterator[str]:
    """Serve another graph replica with some settings changed; its base URL.

    With `log_file`, the replica's log lines are written there (complete once the block ends).
    """
    port = free_port()
    env = {
        **graph_env,
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CATALOGUE_SYNC_ON_START": "false",
        **settings,
    }
    argv = [sys.executable, "-m", "mychangsha", "serve", "--port", str(port), "--workers", "1"]
    with contextlib.ExitStack() as stack:
        stderr = stack.enter_context(log_file.open("wb")) if log_file is not None else None
        stack.enter_context(
            serve_process(argv, port, health_path="/healthz", env=env, stderr=stderr)
        )
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def own_redis() -> Iterator[str]:
    """A redis-server for one test's graph (nothing cached yet, nothing shared); its URL."""
    server = embedded.start_redis()
    try:
        yield embedded.redis_uri(server.port)
    finally:
        server.stop()


@contextlib.contextmanager
def subgraph(graph_env: Mapping[str, str], name: str) -> Iterator[str]:
    """One domain served as a federation subgraph on the session's data; its /graphql URL.

    It reads the mirrors the session's graph filled, so it copies no catalogue at start.
    """
    port = free_port()
    argv = [sys.executable, "-m", "mychangsha", "serve", "--port", str(port)]
    argv += ["--workers", "1", "--subgraph", name]
    env = {
        **graph_env,
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CATALOGUE_SYNC_ON_START": "false",
    }
    with serve_process(argv, port, health_path="/healthz", env=env):
        yield f"http://127.0.0.1:{port}/graphql"
