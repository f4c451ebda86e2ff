"""The citizen's notifications inbox: what the graph told whom, and what they have read.

Notifications are produced by several replicas and by retried jobs, so each one carries the
key of the event it tells (`dedup_key`, unique): the first insert wins and every later one is
a no-op. Reading and marking are always scoped to the owner, so an id of somebody else's
notification behaves exactly like an unknown id.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document


class NotificationKind(enum.Enum):
    """What a notification is about."""

    APPLICATION_STATUS = "application_status"
    APPOINTMENT_REMINDER = "appointment_reminder"
    BILL_UNPAID = "bill_unpaid"
    TICKET_TODAY = "ticket_today"


@dataclass(frozen=True)
class NewNotification:
    """A notification to create once per `dedup_key`."""

    citizen_id: str
    kind: NotificationKind
    title: str
    body: str
    subject_type: str  # the graph type of what it is about: Application, Appointment, …
    subject_id: str  # that object's node id
    dedup_key: str


@dataclass(frozen=True)
class Notification:
    """One message of a citizen's inbox."""

    id: str
    citizen_id: str
    kind: NotificationKind
    title: str
    body: str
    subject_type: str
    subject_id: str
    created_at: datetime
    read_at: datetime | None


class NotificationRepository:
    """Notifications by citizen, newest first; created at most once per source event."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._notifications: AsyncCollection[Document] = db.get_collection("notifications")

    async def ensure_indexes(self) -> None:
        """One notification per event; the inbox listing and its unread count stay indexed."""
        await self._notifications.create_index([("dedup_key", ASCENDING)], unique=True)
        await self._notifications.create_index(
            [("citizen_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)]
        )
        await self._notifications.create_index(
            [("citizen_id", ASCENDING), ("read_at", ASCENDING), ("created_at", DESCENDING)]
        )

    async def create(
        self, new: NewNotification, *, now: datetime | None = None
    ) -> Notification | None:
        """Store a notification; None when its event was told before (by anyone)."""
        created_at = _millis(now or utc_now())
        doc: Document = {
            "_id": uuid.uuid4().hex,
            "citizen_id": new.citizen_id,
            "kind": new.kind.value,
            "title": new.title,
            "body": new.body,
            "subject_type": new.subject_type,
            "subject_id": new.subject_id,
            "dedup_key": new.dedup_key,
            "created_at": created_at,
            "read_at": None,
        }
        try:
            await self._notifications.insert_one(doc)
        except DuplicateKeyError:
            return None
        return _notification(doc)

    async def page_of(
        self, citizen_id: str, *, unread_only: bool, offset: int, limit: int
    ) -> list[Notification]:
        """A citizen's notifications, newest first, optionally only the unread ones."""
        query = _owned(citizen_id, unread_only=unread_only)
        cursor = (
            self._notifications.find(query)
            .sort([("created_at", DESCENDING), ("_id", DESCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [_notification(doc) async for doc in cursor]

    async def unread_count(self, citizen_id: str) -> int:
        """How many of a citizen's notifications are unread (the app's badge)."""
        return await self._notifications.count_documents(_owned(citizen_id, unread_only=True))

    async def owned(self, citizen_id: str, ids: Sequence[str]) -> dict[str, Notification]:
        """The citizen's own notifications among these ids; others' ids are simply absent."""
        cursor = self._notifications.find({"_id": {"$in": list(ids)}, "citizen_id": citizen_id})
        return {str(doc["_id"]): _notification(doc) async for doc in cursor}

    async def mark_read(
        self, citizen_id: str, ids: Sequence[str], *, now: datetime | None = None
    ) -> list[Notification]:
        """Mark the citizen's own notifications among these ids read; them, in the ids' order.

        Already read ones keep the moment they were first read.
        """
        await self._notifications.update_many(
            {"_id": {"$in": list(ids)}, "citizen_id": citizen_id, "read_at": None},
            {"$set": {"read_at": _millis(now or utc_now())}},
        )
        found = await self.owned(citizen_id, ids)
        return [found[i] for i in dict.fromkeys(ids) if i in found]


def _millis(moment: datetime) -> datetime:
    """BSON keeps milliseconds: what is pushed live must equal what is read back later."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _owned(citizen_id: str, *, unread_only: bool) -> Document:
    query: Document = {"citizen_id": citizen_id}
    if unread_only:
        query["read_at"] = None
    return query


def _notification(doc: Document) -> Notification:
    return Notification(
        id=str(doc["_id"]),
        citizen_id=str(doc["citizen_id"]),
        kind=NotificationKind(doc["kind"]),
        title=str(doc["title"]),
        body=str(doc["body"]),
        subject_type=str(doc["subject_type"]),
        subject_id=str(doc["subject_id"]),
        created_at=doc["created_at"],
        read_at=doc.get("read_at"),
    )
