"""Calls to the tourism platform, through the shared upstream client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from mychangsha.integrations.http import UpstreamClient
from mychangsha.integrations.tourism.models import Attraction, CrowdReading, Event
from mychangsha.integrations.tourism.wire import AttractionPageJson, CrowdListJson, EventPageJson

PAGE_SIZE = 100
# SPEC: a crowd level shown to a citizen is never more than a minute old, stale or not.
CROWD_MAX_AGE_SECONDS = 60.0


class TourismClient:
    """The tourism platform's API as domain calls; the upstream client owns transport policy."""

    def __init__(self, upstream: UpstreamClient, *, crowd_cache_seconds: float) -> None:
        self._upstream = upstream
        self._crowd_cache_seconds = crowd_cache_seconds

    async def _pages(self, path: str) -> AsyncIterator[Any]:
        """Every page body of a paged list, following the platform's `next` links."""
        params = {"page": "1", "pageSize": str(PAGE_SIZE)}
        while True:
            body = await self._upstream.get_json(path, params)
            yield body
            following = body.get("next") if isinstance(body, dict) else None
            if not following:
                return
            link = urlsplit(following)
            path, params = link.path, dict(parse_qsl(link.query))

    async def iter_attractions(self) -> AsyncIterator[Attraction]:
        """Every attraction of the catalogue."""
        async for body in self._pages("/v1/attractions"):
            for item in AttractionPageJson.model_validate(body).items:
                yield item.to_domain()

    async def iter_events(self) -> AsyncIterator[Event]:
        """Every event of the platform's calendar, past and coming."""
        async for body in self._pages("/v1/events"):
            for item in EventPageJson.model_validate(body).items:
                yield item.to_domain()

    async def crowd_readings(self) -> dict[str, CrowdReading]:
        """All live crowd readings in one cached call: a handful of attractions, one request."""
        body = await self._upstream.get_json(
            "/v1/crowd",
            cache_ttl=self._crowd_cache_seconds,
            stale_ttl=max(CROWD_MAX_AGE_SECONDS - self._crowd_cache_seconds, 0.0),
        )
        return _readings(body)

    async def fresh_crowd_readings(self) -> dict[str, CrowdReading]:
        """All live crowd readings straight from the platform, for a watcher of changes.

        Never from the cache (a cached reading would delay a change by its TTL) and never
        into it: a failed call must leave readers their stale-if-error fallback.
        """
        return _readings(await self._upstream.get_json("/v1/crowd"))

    async def forget_crowd_readings(self) -> None:
        """Drop the cached readings, so readers agree with a change a watcher has just told."""
        await self._upstream.invalidate("/v1/crowd")


def _readings(body: object) -> dict[str, CrowdReading]:
    readings = CrowdListJson.model_validate(body).items
    return {reading.attraction_id: reading.to_domain() for reading in readings}
