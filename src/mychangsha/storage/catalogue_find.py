"""The one way a mirrored catalogue is paged: nearest first around a point, else alphabetical.

Attractions and hospitals (and any later geo catalogue) share it, so distance, radius and
paging behave the same everywhere: `$geoNear` on the collection's 2dsphere index with a
`distanceMeters` field, or pinyin order without a point; `_id` breaks ties in both.
"""

from __future__ import annotations

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection

from mychangsha.geo import GeoPoint
from mychangsha.storage.mongo import Document


async def find_page(
    collection: AsyncCollection[Document],
    *,
    near: GeoPoint | None,
    radius_km: float | None,
    match: Document,
    offset: int,
    limit: int,
    projection: Document,
) -> list[Document]:
    """One page of matching documents, with `distanceMeters` when `near` is given."""
    if near is None:
        cursor = (
            collection.find(match, projection)
            .sort([("pinyin", ASCENDING), ("_id", ASCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [doc async for doc in cursor]
    geo: Document = {
        "near": {"type": "Point", "coordinates": [near.lng, near.lat]},
        "distanceField": "distanceMeters",
        "spherical": True,
        "query": match,
    }
    if radius_km is not None:
        geo["maxDistance"] = radius_km * 1000.0
    pipeline: list[Document] = [
        {"$geoNear": geo},
        {"$sort": {"distanceMeters": ASCENDING, "_id": ASCENDING}},
        {"$skip": offset},
        {"$limit": limit},
        {"$project": projection},
    ]
    return await (await collection.aggregate(pipeline)).to_list()
