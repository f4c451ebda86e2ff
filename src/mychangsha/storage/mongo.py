"""The one MongoDB client of a process and the graph's database."""

from __future__ import annotations

import asyncio
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]


def connect(uri: str) -> AsyncMongoClient[Document]:
    """Open the process-wide client; tz_aware so datetimes come back in UTC, never naive."""
    return AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=3000, appname="mychangsha")


def database(client: AsyncMongoClient[Document], name: str) -> AsyncDatabase[Document]:
    """The graph's own database."""
    return client.get_database(name)


PING_TIMEOUT_SECONDS = 1.0


async def ping(client: AsyncMongoClient[Document]) -> bool:
    """True when the server answers within a second; readiness probes call this.

    Shorter than the client's server selection timeout (3 s, which rides out a primary
    election for requests): a probe must answer well within the load balancer's own timeout.
    """
    try:
        await asyncio.wait_for(client.admin.command("ping"), PING_TIMEOUT_SECONDS)
    except Exception:  # any failure, a timeout included, means "not ready"
        return False
    return True
