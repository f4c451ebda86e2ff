"""The events mirror: the platform's calendar kept in MongoDB for date-range queries.

Dates are stored as ISO `YYYY-MM-DD` strings: they are local calendar days without a time or
zone, and ISO strings compare in date order, so an overlap query is two range conditions on
ordinary indexes, the same on SecantusDB and MongoDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from pymongo import ASCENDING, DeleteMany, IndexModel, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.integrations.tourism.models import Event, EventCategory, GeoPoint, Venue
from mychangsha.platform.clock import utc_now
from mychangsha.storage.attractions import MirrorSync
from mychangsha.storage.mongo import Document

_ORDER = [("startDate", ASCENDING), ("_id", ASCENDING)]


def _to_document(event: Event, synced_at: datetime) -> Document:
    venue = event.venue
    return {
        "_id": event.id,
        "title": event.title,
        "titleEn": event.title_en,
        "category": event.category.value,
        "startDate": event.start_date.isoformat(),
        "endDate": event.end_date.isoformat(),
        "dailyStart": event.daily_start,
        "dailyEnd": event.daily_end,
        "venue": {
            "name": venue.name,
            "address": venue.address,
            "location": {"type": "Point", "coordinates": [venue.location.lng, venue.location.lat]},
            "attractionId": venue.attraction_id,
        },
        "description": event.description,
        "priceFen": event.price_fen,
        "reservationRequired": event.reservation_required,
        "updatedAt": event.updated_at,
        "syncedAt": synced_at,
    }


def _from_document(doc: Document) -> Event:
    venue = doc["venue"]
    lng, lat = venue["location"]["coordinates"]
    return Event(
        id=doc["_id"],
        title=doc["title"],
        title_en=doc.get("titleEn"),
        category=EventCategory(doc["category"]),
        start_date=date.fromisoformat(doc["startDate"]),
        end_date=date.fromisoformat(doc["endDate"]),
        daily_start=doc.get("dailyStart"),
        daily_end=doc.get("dailyEnd"),
        venue=Venue(
            name=venue["name"],
            address=venue.get("address", ""),
            location=GeoPoint(lat=lat, lng=lng),
            attraction_id=venue.get("attractionId"),
        ),
        description=doc.get("description", ""),
        price_fen=doc.get("priceFen"),
        reservation_required=doc.get("reservationRequired", False),
        updated_at=doc["updatedAt"],
    )


class EventRepository:
    """Reads and writes of the `events` collection."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db.get_collection("events")

    async def ensure_indexes(self) -> None:
        """Start date (then id) for the calendar order, with the category for filtered pages."""
        await self._collection.create_indexes(
            [
                IndexModel(_ORDER),
                IndexModel([("category", ASCENDING), *_ORDER]),
            ]
        )

    async def replace_all(self, events: Sequence[Event]) -> MirrorSync:
        """Make the mirror equal the platform's calendar; an empty feed never wipes it."""
        if not events:
            return MirrorSync(upserted=0, removed=0)
        now = utc_now()
        ops: list[Any] = [
            ReplaceOne({"_id": e.id}, _to_document(e, now), upsert=True) for e in events
        ]
        ops.append(DeleteMany({"_id": {"$nin": [e.id for e in events]}}))
        result = await self._collection.bulk_write(ops, ordered=True)
        return MirrorSync(upserted=len(events), removed=result.deleted_count)

    async def count(self) -> int:
        """How many events the mirror holds."""
        return await self._collection.count_documents({})

    async def between(
        self,
        from_date: date,
        to_date: date,
        category: EventCategory | None,
        offset: int,
        limit: int,
    ) -> list[Event]:
        """Events on at least one day of from_date…to_date (inclusive), by start date then id."""
        match: Document = {
            "startDate": {"$lte": to_date.isoformat()},
            "endDate": {"$gte": from_date.isoformat()},
        }
        if category is not None:
            match["category"] = category.value
        cursor = self._collection.find(match).sort(_ORDER).skip(offset).limit(limit)
        return [_from_document(doc) async for doc in cursor]

    async def by_ids(self, ids: Sequence[str]) -> dict[str, Event]:
        """Events by id, in one query; missing ids are simply absent."""
        cursor = self._collection.find({"_id": {"$in": list(ids)}})
        return {doc["_id"]: _from_document(doc) async for doc in cursor}
