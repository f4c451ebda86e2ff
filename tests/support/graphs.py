"""Extra graph processes next to the session's, sharing its MongoDB, Redis and simulators."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Mapping

from tests.support.servers import free_port, serve_process


@contextlib.contextmanager
def extra_graph(graph_env: Mapping[str, str], **settings: str) -> Iterator[str]:
    """Serve another graph replica with some settings changed; its base URL."""
    port = free_port()
    env = {
        **graph_env,
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CATALOGUE_SYNC_ON_START": "false",
        **settings,
    }
    argv = [sys.executable, "-m", "mychangsha", "serve", "--port", str(port), "--workers", "1"]
    with serve_process(argv, port, health_path="/healthz", env=env):
        yield f"http://127.0.0.1:{port}"
