"""Calls to the tourism platform, through the shared upstream client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlsplit

from mychangsha.integrations.http import UpstreamClient
from mychangsha.integrations.tourism.models import Attraction, CrowdReading
from mychangsha.integrations.tourism.wire import AttractionPageJson, CrowdListJson

PAGE_SIZE = 100
# SPEC: a crowd level shown to a citizen is never more than a minute old, stale or not.
CROWD_MAX_AGE_SECONDS = 60.0


class TourismClient:
    """The tourism platform's API as domain calls; the upstream client owns transport policy."""

    def __init__(self, upstream: UpstreamClient, *, crowd_cache_seconds: float) -> None:
        self._upstream = upstream
        self._crowd_cache_seconds = crowd_cache_seconds

    async def iter_attractions(self) -> AsyncIterator[Attraction]:
        """Every attraction of the catalogue, following the platform's `next` links."""
        path, params = "/v1/attractions", {"page": "1", "pageSize": str(PAGE_SIZE)}
        while True:
            page = AttractionPageJson.model_validate(await self._upstream.get_json(path, params))
            for item in page.items:
                yield item.to_domain()
            if not page.next:
                return
            link = urlsplit(page.next)
            path, params = link.path, dict(parse_qsl(link.query))

    async def crowd_readings(self) -> dict[str, CrowdReading]:
        """All live crowd readings in one cached call: a handful of attractions, one request."""
        body = await self._upstream.get_json(
            "/v1/crowd",
            cache_ttl=self._crowd_cache_seconds,
            stale_ttl=max(CROWD_MAX_AGE_SECONDS - self._crowd_cache_seconds, 0.0),
        )
        readings = CrowdListJson.model_validate(body).items
        return {reading.attraction_id: reading.to_domain() for reading in readings}
