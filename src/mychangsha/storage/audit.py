"""The append-only log of every read of medical data: who read whose what, when, in which request.

The repository offers appending and reading only; nothing in the graph updates or deletes an
entry. A citizen sees who read their data (and their minors' data) through
`me.dataAccessLog`, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document


@dataclass(frozen=True)
class DataAccess:
    """One read of someone's medical data."""

    id: str
    actor_citizen_id: str
    subject_type: str  # "Citizen" or "FamilyMember"
    subject_id: str  # the patient
    subject_owner_id: str  # the citizen whose account the patient belongs to
    resource: str  # e.g. "DiagnosticReport"
    resource_id: str  # e.g. "xiangya/rep-12" or "*" for a list
    action: str  # "read" | "list"
    request_id: str | None
    at: datetime


class AuditLog:
    """Appends and lists medical data accesses."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._entries: AsyncCollection[Document] = db.get_collection("data_access_log")

    async def ensure_indexes(self) -> None:
        """Newest first per account whose data was read."""
        await self._entries.create_index([("subject_owner_id", ASCENDING), ("at", DESCENDING)])

    async def append(
        self,
        *,
        actor_citizen_id: str,
        subjects: Sequence[tuple[str, str, str]],
        resource: str,
        resource_id: str,
        action: str,
        request_id: str | None,
    ) -> None:
        """Record one access per (subject type, subject id, owner id), before data is returned."""
        now = utc_now()
        docs = [
            {
                "_id": ObjectId(),  # increasing: orders entries of one millisecond
                "actor_citizen_id": actor_citizen_id,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "subject_owner_id": owner_id,
                "resource": resource,
                "resource_id": resource_id,
                "action": action,
                "request_id": request_id,
                "at": now,
            }
            for subject_type, subject_id, owner_id in subjects
        ]
        if docs:
            await self._entries.insert_many(docs, ordered=False)

    async def for_owner(self, owner_id: str, *, offset: int, limit: int) -> list[DataAccess]:
        """Accesses to an account's data (its citizen and family), newest first."""
        cursor = (
            self._entries.find({"subject_owner_id": owner_id})
            .sort([("at", DESCENDING), ("_id", DESCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [_entry(doc) async for doc in cursor]


def _entry(doc: Document) -> DataAccess:
    return DataAccess(
        id=str(doc["_id"]),
        actor_citizen_id=str(doc["actor_citizen_id"]),
        subject_type=str(doc.get("subject_type", "Citizen")),
        subject_id=str(doc["subject_id"]),
        subject_owner_id=str(doc["subject_owner_id"]),
        resource=str(doc["resource"]),
        resource_id=str(doc["resource_id"]),
        action=str(doc["action"]),
        request_id=doc.get("request_id"),
        at=doc["at"],
    )
