"""The one MongoDB client of a process and the graph's database."""

from __future__ import annotations

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


async def ping(client: AsyncMongoClient[Document]) -> bool:
    """True when the server answers; readiness probes call this."""
    try:
        await client.admin.command("ping")
    except Exception:  # any failure means "not ready"
        return False
    return True
