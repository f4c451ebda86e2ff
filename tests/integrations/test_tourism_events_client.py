"""The tourism client's paged reads against the real simulator: every page, mapped to the domain."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime

import httpx
import pytest
from redis.asyncio import Redis

from mychangsha.cache import redis as redis_cache
from mychangsha.integrations.http import UpstreamClient, UpstreamConfig
from mychangsha.integrations.tourism import client as client_module
from mychangsha.integrations.tourism.client import TourismClient
from mychangsha.integrations.tourism.models import EventCategory
from mychangsha.simulators.tourism import create_app
from tests.support.servers import serve_in_thread

NOW = datetime(2025, 5, 14, 3, 0, tzinfo=UTC)  # 11:00 in Changsha
SMALL_PAGE = 7


@pytest.fixture(scope="module")
def platform() -> Iterator[str]:
    with serve_in_thread(create_app(clock=lambda: NOW)) as url:
        yield url


@pytest.fixture
async def admin(platform: str) -> AsyncIterator[httpx.AsyncClient]:
    """The simulator, reset, with zeroed counters."""
    async with httpx.AsyncClient(base_url=platform, timeout=10) as http:
        (await http.post("/__admin/reset")).raise_for_status()
        yield http


@pytest.fixture
async def tourism(
    platform: str, redis_url: str, admin: httpx.AsyncClient
) -> AsyncIterator[TourismClient]:
    redis: Redis = redis_cache.connect(redis_url)
    upstream = UpstreamClient(UpstreamConfig(name="tourism-events", base_url=platform), redis)
    yield TourismClient(upstream, crowd_cache_seconds=1.0)
    await upstream.aclose()
    await redis.aclose()


async def _total(admin: httpx.AsyncClient, path: str) -> int:
    return int((await admin.get(path)).json()["total"])


async def _requests(admin: httpx.AsyncClient, route: str) -> int:
    counters = (await admin.get("/__admin/counters")).json()["byRoute"]
    return int(counters.get(route, 0))


async def test_iter_events_follows_every_next_link(
    tourism: TourismClient, admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "PAGE_SIZE", SMALL_PAGE)
    events = [e async for e in tourism.iter_events()]
    assert await _requests(admin, "GET /v1/events") == math.ceil(len(events) / SMALL_PAGE)
    total = await _total(admin, "/v1/events")
    assert len(events) == total and len({e.id for e in events}) == total

    museum = next(e for e in events if e.id == "evt-mawangdui-han-tombs")
    assert museum.category is EventCategory.EXHIBITION
    assert museum.start_date == date(2025, 4, 14) and museum.end_date == date(2025, 9, 11)
    assert (museum.daily_start, museum.daily_end) == ("09:00", "17:00")
    assert museum.venue.attraction_id == "att-hunan-museum"
    assert museum.venue.location.lat == pytest.approx(28.2136)
    assert museum.updated_at.tzinfo is not None
    unpriced = next(e for e in events if e.id == "evt-tongguan-kiln-festival")
    assert unpriced.price_fen is None


async def test_iter_attractions_still_walks_every_page(
    tourism: TourismClient, admin: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "PAGE_SIZE", SMALL_PAGE)
    attractions = [a async for a in tourism.iter_attractions()]
    total = await _total(admin, "/v1/attractions")
    assert len({a.id for a in attractions}) == len(attractions) == total
