"""When each catalogue mirror was last filled, kept beside the mirrors themselves.

A process that starts while the mirrors are fresh (another replica or subgraph filled them
within the sync period) does not copy every catalogue again before it listens; the periodic
job, claimed by one replica per period, keeps them fresh. The record lives in MongoDB, with
the data it describes, so a new database is always filled whatever Redis remembers.
"""

from __future__ import annotations

from datetime import datetime

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.storage.mongo import Document


class SyncState:
    """The last successful sync of each catalogue job."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._state: AsyncCollection[Document] = db.get_collection("catalogue_syncs")

    async def last_synced(self, job: str) -> datetime | None:
        """When the job last filled its mirror, or None if it never did here."""
        found = await self._state.find_one({"_id": job})
        return None if found is None else found["synced_at"]

    async def mark_synced(self, job: str, at: datetime) -> None:
        """Record a successful sync."""
        await self._state.update_one({"_id": job}, {"$set": {"synced_at": at}}, upsert=True)
