"""The attraction mirror on the real MongoDB-compatible server: geo, keyword, sync semantics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.geo import GeoPoint
from mychangsha.integrations.tourism.models import Attraction
from mychangsha.storage import mongo
from mychangsha.storage.attractions import AttractionRepository
from mychangsha.storage.mongo import Document


def _attraction(
    id_: str, name: str, lat: float, lng: float, tags: tuple[str, ...] = ()
) -> Attraction:
    return Attraction(
        id=id_,
        name=name,
        name_en=None,
        district="岳麓区",
        address="",
        location=GeoPoint(lat, lng),
        level=None,
        description="",
        tags=tags,
        opening_hours=(),
        tickets=(),
        capacity=1000,
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


CATALOGUE = [
    _attraction("yuelu", "岳麓山", 28.1866, 112.9385, ("自然",)),
    _attraction("juzizhou", "橘子洲", 28.1790, 112.9590, ("自然", "夜游")),
    _attraction("museum", "湖南博物院", 28.2116, 113.0020, ("博物馆",)),
    _attraction("tianxin", "天心阁", 28.1880, 112.9800, ("古建筑",)),
]


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = mongo.connect(mongo_url)
    database = client.get_database("test_attractions_repository")
    await client.drop_database(database.name)
    yield database
    await client.drop_database(database.name)
    await client.close()


async def test_near_orders_by_distance_and_radius_cuts(db: AsyncDatabase[Document]) -> None:
    repo = AttractionRepository(db)
    await repo.ensure_indexes()
    await repo.replace_catalogue(CATALOGUE)
    centre = GeoPoint(28.19, 112.97)
    hits = await repo.search(near=centre, radius_km=None, keyword=None, offset=0, limit=10)
    assert [h.attraction.id for h in hits] == ["tianxin", "juzizhou", "yuelu", "museum"]
    distances = [h.distance_m for h in hits]
    assert all(d is not None for d in distances) and distances == sorted(distances)  # type: ignore[type-var]
    near = await repo.search(near=centre, radius_km=2.0, keyword=None, offset=0, limit=10)
    assert [h.attraction.id for h in near] == ["tianxin", "juzizhou"]


async def test_keyword_ranks_name_over_tags(db: AsyncDatabase[Document]) -> None:
    repo = AttractionRepository(db)
    await repo.replace_catalogue(
        [*CATALOGUE, _attraction("lushan-temple", "麓山寺", 28.18, 112.93, ("岳麓山",))]
    )
    hits = await repo.search(near=None, radius_km=None, keyword="岳麓山", offset=0, limit=10)
    assert [h.attraction.id for h in hits] == ["yuelu", "lushan-temple"]
    by_pinyin = await repo.search(near=None, radius_km=None, keyword="jzz", offset=0, limit=10)
    assert [h.attraction.id for h in by_pinyin] == ["juzizhou"]


async def test_sync_replaces_removes_and_never_wipes(db: AsyncDatabase[Document]) -> None:
    repo = AttractionRepository(db)
    await repo.replace_catalogue(CATALOGUE)
    await repo.replace_catalogue(CATALOGUE)
    assert await repo.count() == len(CATALOGUE)
    outcome = await repo.replace_catalogue(CATALOGUE[:2])
    assert outcome.removed == 2 and await repo.count() == 2
    await repo.replace_catalogue([])
    assert await repo.count() == 2, "an empty feed is an upstream fault, not a catalogue"
    found = await repo.by_ids(["yuelu", "nope"])
    assert list(found) == ["yuelu"] and found["yuelu"] == CATALOGUE[0]


async def test_ensure_indexes_is_idempotent(db: AsyncDatabase[Document]) -> None:
    repo = AttractionRepository(db)
    await repo.ensure_indexes()
    await repo.ensure_indexes()  # every worker start runs it again over existing indexes
    names = {index["name"] async for index in await db["attractions"].list_indexes()}
    assert {"location_2dsphere", "terms_1", "pinyin_1__id_1"} <= names
