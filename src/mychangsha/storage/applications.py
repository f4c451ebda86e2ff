"""The graph's record of government applications: who applied, where it stands, what changed.

The platform decides every status; this record mirrors it so `myApplications` is one local
query and a change can be told to the citizen once. A change is applied at most once per
platform event id, and never moves an application backwards in time: a late duplicate, a
redelivered webhook or the poller finding what a webhook already brought changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document

# Steps announced in the same instant (an official walking several at once) are ordered by
# how far along they are.
_PROGRESS = {
    "submitted": 0,
    "accepted": 1,
    "in_review": 2,
    "needs_supplement": 3,
    "approved": 4,
    "rejected": 4,
    "completed": 5,
}


@dataclass(frozen=True)
class TimelineEntry:
    """One status the application passed through."""

    status: str
    at: datetime
    note: str | None


@dataclass(frozen=True)
class ApplicationRecord:
    """An application as the graph knows it."""

    id: str  # our id, also the platform's externalId
    citizen_id: str
    service_code: str | None
    bundle_code: str | None
    title: str
    number: str | None  # the platform's 办件编号, once it answered
    status: str
    timeline: tuple[TimelineEntry, ...]
    material_ids: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


class ApplicationRepository:
    """Applications by id, number and citizen; processed events by id."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._applications: AsyncCollection[Document] = db.get_collection("gov_applications")
        self._events: AsyncCollection[Document] = db.get_collection("gov_application_events")

    async def ensure_indexes(self) -> None:
        """Look-ups by number and by citizen, newest first."""
        await self._applications.create_index([("number", ASCENDING)], unique=True, sparse=True)
        await self._applications.create_index(
            [("citizen_id", ASCENDING), ("updated_at", DESCENDING)]
        )

    async def create(
        self,
        *,
        application_id: str,
        citizen_id: str,
        service_code: str | None,
        bundle_code: str | None,
        title: str,
        number: str,
        status: str,
        timeline: Sequence[TimelineEntry],
        material_ids: Sequence[str],
    ) -> ApplicationRecord:
        """Record an application the platform accepted (idempotent by our id)."""
        now = utc_now()
        doc: Document = {
            "_id": application_id,
            "citizen_id": citizen_id,
            "service_code": service_code,
            "bundle_code": bundle_code,
            "title": title,
            "number": number,
            "status": status,
            "timeline": [_entry_doc(e) for e in timeline],
            "material_ids": list(material_ids),
            "created_at": now,
            "updated_at": now,
            "status_at": max((e.at for e in timeline), default=now),
            "status_rank": _PROGRESS.get(status, 0),
        }
        try:
            await self._applications.insert_one(doc)
        except DuplicateKeyError:
            existing = await self._applications.find_one({"_id": application_id})
            if existing is None:
                raise
            return _record(existing)
        return _record(doc)

    async def get(self, application_id: str) -> ApplicationRecord | None:
        """One application by our id."""
        doc = await self._applications.find_one({"_id": application_id})
        return None if doc is None else _record(doc)

    async def by_number(self, number: str) -> ApplicationRecord | None:
        """One application by the platform's number."""
        doc = await self._applications.find_one({"number": number})
        return None if doc is None else _record(doc)

    async def of_citizen(
        self, citizen_id: str, *, status: str | None, offset: int, limit: int
    ) -> list[ApplicationRecord]:
        """A citizen's applications, most recently changed first."""
        query: Document = {"citizen_id": citizen_id}
        if status is not None:
            query["status"] = status
        cursor = (
            self._applications.find(query)
            .sort([("updated_at", DESCENDING), ("_id", ASCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [_record(doc) async for doc in cursor]

    async def apply_change(
        self, *, number: str, status: str, at: datetime, event_id: str, note: str | None = None
    ) -> ApplicationRecord | None:
        """Apply one platform event once; the record if it changed, None if nothing did.

        Unknown numbers (not applied through the graph) and already seen events change
        nothing; a change older than the last one applied is only added to the timeline.
        """
        try:
            await self._events.insert_one({"_id": event_id, "number": number, "at": at})
        except DuplicateKeyError:
            return None
        entry = _entry_doc(TimelineEntry(status, at, note))
        rank = _PROGRESS.get(status, 0)
        doc = await self._applications.find_one_and_update(
            {
                "number": number,
                "$or": [
                    {"status_at": {"$lt": at}},
                    {"status_at": at, "status_rank": {"$lt": rank}},
                ],
            },
            {
                "$set": {
                    "status": status,
                    "status_at": at,
                    "status_rank": rank,
                    "updated_at": utc_now(),
                },
                "$push": {"timeline": entry},
            },
            return_document=ReturnDocument.AFTER,
        )
        if doc is not None:
            return _record(doc)
        await self._applications.update_one(
            {"number": number, "timeline": {"$not": {"$elemMatch": {"status": status, "at": at}}}},
            {"$push": {"timeline": {"$each": [entry], "$sort": {"at": 1}}}},
        )
        return None

    async def add_materials(self, application_id: str, material_ids: Sequence[str]) -> None:
        """Remember supplemented files with the application."""
        await self._applications.update_one(
            {"_id": application_id}, {"$push": {"material_ids": {"$each": list(material_ids)}}}
        )

    async def open_numbers(self) -> list[tuple[str, str]]:
        """(number, citizen id) of applications not yet finished: what the poller checks."""
        cursor = self._applications.find(
            {"status": {"$nin": ["completed", "rejected"]}, "number": {"$ne": None}},
            {"number": 1, "citizen_id": 1},
        )
        return [(str(d["number"]), str(d["citizen_id"])) async for d in cursor]


def _entry_doc(entry: TimelineEntry) -> Document:
    return {"status": entry.status, "at": entry.at, "note": entry.note}


def _record(doc: Document) -> ApplicationRecord:
    return ApplicationRecord(
        id=str(doc["_id"]),
        citizen_id=str(doc["citizen_id"]),
        service_code=doc.get("service_code"),
        bundle_code=doc.get("bundle_code"),
        title=str(doc.get("title", "")),
        number=doc.get("number"),
        status=str(doc["status"]),
        timeline=tuple(
            TimelineEntry(str(e["status"]), e["at"], e.get("note"))
            for e in sorted(doc.get("timeline", []), key=lambda e: e["at"])
        ),
        material_ids=tuple(doc.get("material_ids", [])),
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
    )
