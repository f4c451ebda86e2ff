"""The events mirror on the real MongoDB-compatible server: date overlap, order, sync semantics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.geo import GeoPoint
from mychangsha.integrations.tourism.models import Event, EventCategory, Venue
from mychangsha.storage import mongo
from mychangsha.storage.events import EventRepository
from mychangsha.storage.mongo import Document

EXHIBITION, FESTIVAL, PERFORMANCE = (
    EventCategory.EXHIBITION,
    EventCategory.FESTIVAL,
    EventCategory.PERFORMANCE,
)
MUSEUM = Venue(
    "湖南博物院", "长沙市开福区东风路50号", GeoPoint(28.2136, 112.9938), "att-hunan-museum"
)
HALL = Venue("长沙音乐厅", "长沙市开福区", GeoPoint(28.2128, 112.9722), None)


def _event(id_: str, category: EventCategory, start: str, end: str, venue: Venue = MUSEUM) -> Event:
    return Event(
        id=id_,
        title=id_,
        title_en=None,
        category=category,
        start_date=date.fromisoformat(start),
        end_date=date.fromisoformat(end),
        daily_start="09:00",
        daily_end="17:00",
        venue=venue,
        description="",
        price_fen=0,
        reservation_required=False,
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


CALENDAR = [
    _event("long-show", EXHIBITION, "2026-01-01", "2026-12-31"),
    _event("march", EXHIBITION, "2026-03-01", "2026-03-31"),
    _event("concert-a", PERFORMANCE, "2026-03-15", "2026-03-15", HALL),
    _event("concert-b", PERFORMANCE, "2026-03-15", "2026-03-15", HALL),
    _event("fair", FESTIVAL, "2026-03-31", "2026-04-02"),
    _event("april", FESTIVAL, "2026-04-10", "2026-04-20"),
    _event("over", EXHIBITION, "2026-02-01", "2026-02-28"),
]


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = mongo.connect(mongo_url)
    database = client.get_database("test_events_repository")
    await client.drop_database(database.name)
    yield database
    await client.drop_database(database.name)
    await client.close()


@pytest.fixture
async def repo(db: AsyncDatabase[Document]) -> EventRepository:
    repository = EventRepository(db)
    await repository.ensure_indexes()
    await repository.replace_all(CALENDAR)
    return repository


async def _ids(
    repo: EventRepository,
    start: str,
    end: str,
    category: EventCategory | None = None,
    offset: int = 0,
    limit: int = 100,
) -> list[str]:
    found = await repo.between(
        date.fromisoformat(start), date.fromisoformat(end), category, offset, limit
    )
    return [e.id for e in found]


async def test_overlap_includes_events_touching_either_end(repo: EventRepository) -> None:
    # March: everything running on at least one March day, and nothing else.
    assert await _ids(repo, "2026-03-01", "2026-03-31") == [
        "long-show",
        "march",
        "concert-a",
        "concert-b",
        "fair",
    ]
    # A single day inside a long run and on a one-day event.
    assert await _ids(repo, "2026-03-15", "2026-03-15") == [
        "long-show",
        "march",
        "concert-a",
        "concert-b",
    ]
    # The last day of one event and the first day of another are both inside.
    assert await _ids(repo, "2026-02-28", "2026-03-01") == ["long-show", "over", "march"]
    assert await _ids(repo, "2026-04-02", "2026-04-09") == ["long-show", "fair"]
    assert await _ids(repo, "2027-01-01", "2027-12-31") == []


async def test_order_is_start_date_then_id_and_pages_are_stable(repo: EventRepository) -> None:
    everything = await _ids(repo, "2026-01-01", "2026-12-31")
    assert everything == ["long-show", "over", "march", "concert-a", "concert-b", "fair", "april"]
    pages = [await _ids(repo, "2026-01-01", "2026-12-31", offset=o, limit=3) for o in (0, 3, 6)]
    assert [i for page in pages for i in page] == everything


async def test_category_filter(repo: EventRepository) -> None:
    assert await _ids(repo, "2026-01-01", "2026-12-31", PERFORMANCE) == ["concert-a", "concert-b"]
    assert await _ids(repo, "2026-03-01", "2026-03-31", FESTIVAL) == ["fair"]
    assert await _ids(repo, "2026-03-01", "2026-03-31", EXHIBITION) == ["long-show", "march"]


async def test_round_trip_keeps_every_field(repo: EventRepository) -> None:
    found = await repo.by_ids(["concert-a", "long-show", "nope"])
    assert set(found) == {"concert-a", "long-show"}
    assert found["concert-a"] == CALENDAR[2]
    assert found["long-show"] == CALENDAR[0]
    unpriced = replace(CALENDAR[5], price_fen=None, daily_start=None, daily_end=None)
    await repo.replace_all([*CALENDAR[:5], unpriced, CALENDAR[6]])
    assert (await repo.by_ids(["april"]))["april"] == unpriced


async def test_replace_upserts_and_deletes_vanished_events(repo: EventRepository) -> None:
    assert await repo.count() == len(CALENDAR)
    again = await repo.replace_all(CALENDAR)
    assert (again.upserted, again.removed) == (len(CALENDAR), 0)
    assert await repo.count() == len(CALENDAR), "repeating a sync never duplicates"
    moved = replace(CALENDAR[1], start_date=date(2026, 5, 1), end_date=date(2026, 5, 31))
    outcome = await repo.replace_all([CALENDAR[0], moved])
    assert outcome.removed == len(CALENDAR) - 2 and await repo.count() == 2
    assert await _ids(repo, "2026-03-01", "2026-03-31") == ["long-show"]
    assert await _ids(repo, "2026-05-10", "2026-05-10") == ["long-show", "march"]
    await repo.replace_all([])
    assert await repo.count() == 2, "an empty feed is an upstream fault, not a calendar"


async def test_ensure_indexes_is_idempotent(db: AsyncDatabase[Document]) -> None:
    repository = EventRepository(db)
    await repository.ensure_indexes()
    await repository.ensure_indexes()
    names = {index["name"] async for index in await db["events"].list_indexes()}
    assert {"startDate_1__id_1", "category_1_startDate_1__id_1"} <= names
