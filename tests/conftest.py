"""Session-wide real services: embedded MongoDB-compatible server and a real redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mychangsha import embedded


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[embedded.ChildProcess]:
    """One SecantusDB process for the whole run, in memory."""
    child = embedded.start_mongo(None)
    yield child
    child.stop()


@pytest.fixture(scope="session")
def mongo_url(mongo_server: embedded.ChildProcess) -> str:
    """Connection string of the session's MongoDB-compatible server."""
    return embedded.mongo_uri(mongo_server.port)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[embedded.ChildProcess]:
    """One redis-server process for the whole run; tests may stop and restart it."""
    child = embedded.start_redis()
    yield child
    child.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: embedded.ChildProcess) -> str:
    """Connection string of the session's redis-server."""
    return embedded.redis_uri(redis_server.port)
