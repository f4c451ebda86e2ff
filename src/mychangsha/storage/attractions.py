"""The attraction mirror: the platform's catalogue kept in MongoDB for geo and keyword search."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, GEOSPHERE, DeleteMany, IndexModel, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.integrations.tourism.models import (
    Attraction,
    GeoPoint,
    OpeningHours,
    TicketType,
)
from mychangsha.platform.clock import utc_now
from mychangsha.storage.catalogue_find import find_page
from mychangsha.storage.mongo import Document
from mychangsha.storage.search_terms import index_terms, query_terms, rank

MAX_KEYWORD_CANDIDATES = 2000


@dataclass(frozen=True, slots=True)
class AttractionHit:
    """An attraction found by a search, with its distance when the search had a centre."""

    attraction: Attraction
    distance_m: float | None


@dataclass(frozen=True, slots=True)
class MirrorSync:
    """What one sync changed."""

    upserted: int
    removed: int


def _to_document(attraction: Attraction, synced_at: datetime) -> Document:
    search = index_terms(
        attraction.name,
        aliases=[attraction.name_en or ""],
        others=[attraction.district, attraction.address, *attraction.tags],
    )
    return {
        "_id": attraction.id,
        "name": attraction.name,
        "nameEn": attraction.name_en,
        "district": attraction.district,
        "address": attraction.address,
        "location": {
            "type": "Point",
            "coordinates": [attraction.location.lng, attraction.location.lat],
        },
        "level": attraction.level,
        "description": attraction.description,
        "tags": list(attraction.tags),
        "openingHours": [
            {"days": h.days, "opens": h.opens, "closes": h.closes} for h in attraction.opening_hours
        ],
        "tickets": [
            {
                "id": t.id,
                "name": t.name,
                "priceFen": t.price_fen,
                "reservationRequired": t.reservation_required,
            }
            for t in attraction.tickets
        ],
        "capacity": attraction.capacity,
        "updatedAt": attraction.updated_at,
        "syncedAt": synced_at,
        "terms": search.terms,
        "nameTerms": search.name_terms,
        "pinyin": search.pinyin,
        "initials": search.initials,
    }


def _from_document(doc: Document) -> Attraction:
    lng, lat = doc["location"]["coordinates"]
    return Attraction(
        id=doc["_id"],
        name=doc["name"],
        name_en=doc.get("nameEn"),
        district=doc["district"],
        address=doc["address"],
        location=GeoPoint(lat=lat, lng=lng),
        level=doc.get("level"),
        description=doc.get("description", ""),
        tags=tuple(doc.get("tags", ())),
        opening_hours=tuple(
            OpeningHours(days=h["days"], opens=h["opens"], closes=h["closes"])
            for h in doc.get("openingHours", ())
        ),
        tickets=tuple(
            TicketType(
                id=t["id"],
                name=t["name"],
                price_fen=t["priceFen"],
                reservation_required=t["reservationRequired"],
            )
            for t in doc.get("tickets", ())
        ),
        capacity=doc.get("capacity", 0),
        updated_at=doc["updatedAt"],
    )


_PROJECTION = {"terms": 0}


def _rank(keyword: str, doc: Document) -> int:
    """Relevance from the name fields stored at sync time."""
    return rank(keyword, doc["name"], doc["pinyin"], doc["initials"], doc["nameTerms"])


class AttractionRepository:
    """Reads and writes of the `attractions` collection."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db.get_collection("attractions")

    async def ensure_indexes(self) -> None:
        """Geo for `near`, terms for keyword search, pinyin for the default alphabetical order."""
        # The explicit version makes a repeat call a no-op on every server: SecantusDB reports
        # the version it filled in and otherwise sees a conflicting spec.
        await self._collection.create_indexes(
            [
                IndexModel([("location", GEOSPHERE)], **{"2dsphereIndexVersion": 3}),
                IndexModel([("terms", ASCENDING)]),
                IndexModel([("pinyin", ASCENDING), ("_id", ASCENDING)]),
            ]
        )

    async def replace_catalogue(self, attractions: Sequence[Attraction]) -> MirrorSync:
        """Make the mirror equal the platform's catalogue; an empty feed never wipes it."""
        if not attractions:
            return MirrorSync(upserted=0, removed=0)
        now = utc_now()
        ids = [a.id for a in attractions]
        ops: list[Any] = [
            ReplaceOne({"_id": a.id}, _to_document(a, now), upsert=True) for a in attractions
        ]
        ops.append(DeleteMany({"_id": {"$nin": ids}}))
        result = await self._collection.bulk_write(ops, ordered=True)
        return MirrorSync(upserted=len(attractions), removed=result.deleted_count)

    async def count(self) -> int:
        """How many attractions the mirror holds."""
        return await self._collection.count_documents({})

    async def by_ids(self, ids: Sequence[str]) -> dict[str, Attraction]:
        """Attractions by id, in one query; missing ids are simply absent."""
        cursor = self._collection.find({"_id": {"$in": list(ids)}}, _PROJECTION)
        return {doc["_id"]: _from_document(doc) async for doc in cursor}

    async def search(
        self,
        *,
        near: GeoPoint | None,
        radius_km: float | None,
        keyword: str | None,
        offset: int,
        limit: int,
    ) -> list[AttractionHit]:
        """One page of attractions: nearest first with a centre, best match first with a keyword."""
        match: Document = {}
        terms: list[str] | None = None
        if keyword is not None:
            terms = query_terms(keyword)
            match["terms"] = {"$all": terms}
        if terms is None:
            docs = await self._find(near, radius_km, match, offset, limit)
        else:
            assert keyword is not None
            candidates = await self._find(near, radius_km, match, 0, MAX_KEYWORD_CANDIDATES)
            ranked = sorted(
                enumerate(candidates),
                key=lambda pair: (-_rank(keyword, pair[1]), pair[0]),
            )
            docs = [doc for _, doc in ranked[offset : offset + limit]]
        return [AttractionHit(_from_document(doc), doc.get("distanceMeters")) for doc in docs]

    async def _find(
        self,
        near: GeoPoint | None,
        radius_km: float | None,
        match: Document,
        offset: int,
        limit: int,
    ) -> list[Document]:
        return await find_page(
            self._collection,
            near=near,
            radius_km=radius_km,
            match=match,
            offset=offset,
            limit=limit,
            projection=_PROJECTION,
        )
