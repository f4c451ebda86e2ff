"""What the tourism fields mean: attraction search, lookups and live crowd readings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from strawberry.dataloader import DataLoader

from mychangsha.errors import BadUserInput
from mychangsha.geo import GeoPoint
from mychangsha.i18n import msg
from mychangsha.integrations.tourism.models import Attraction, CrowdReading
from mychangsha.resolvers.pagination import PageWindow, window
from mychangsha.services import Services
from mychangsha.storage.attractions import AttractionHit
from mychangsha.storage.search_terms import EmptyQuery

MAX_RADIUS_KM = 200.0
MAX_KEYWORD_LENGTH = 50


class AttractionByIdLoader(DataLoader[str, Attraction | None]):
    """Attractions from the mirror, batched per request."""

    def __init__(self, services: Services) -> None:
        async def load(ids: Sequence[str]) -> list[Attraction | None]:
            found = await services.attractions.by_ids(ids)
            return [found.get(i) for i in ids]

        super().__init__(load_fn=load)


class CrowdReadingByAttractionIdLoader(DataLoader[str, CrowdReading | None]):
    """Live crowd readings: one cached upstream call serves every attraction of a request."""

    def __init__(self, services: Services) -> None:
        async def load(ids: Sequence[str]) -> list[CrowdReading | None]:
            readings = await services.tourism.crowd_readings()
            return [readings.get(i) for i in ids]

        super().__init__(load_fn=load)


@dataclass(frozen=True, slots=True)
class AttractionPage:
    """One page of an attraction search, ready to become a Relay connection."""

    hits: list[AttractionHit]
    window: PageWindow
    has_next_page: bool


def _check_search(near: GeoPoint | None, radius_km: float | None, keyword: str | None) -> None:
    if near is not None and not (-90 <= near.lat <= 90 and -180 <= near.lng <= 180):
        raise BadUserInput("near must be a WGS84 point (lat -90..90, lng -180..180)", field="near")
    if radius_km is not None:
        if near is None:
            raise BadUserInput("radiusKm needs near", field="radiusKm")
        if not 0 < radius_km <= MAX_RADIUS_KM:
            raise BadUserInput(
                msg("radiusKm must be in (0, {max:g}]", max=MAX_RADIUS_KM), field="radiusKm"
            )
    if keyword is not None and len(keyword) > MAX_KEYWORD_LENGTH:
        raise BadUserInput(msg("keyword is longer than {n}", n=MAX_KEYWORD_LENGTH), field="keyword")


async def search_attractions(
    services: Services,
    *,
    near: GeoPoint | None,
    radius_km: float | None,
    keyword: str | None,
    first: int,
    after: str | None,
) -> AttractionPage:
    """Attractions near a point and/or matching a keyword (Chinese or pinyin), paged."""
    _check_search(near, radius_km, keyword)
    page = window(first, after)
    if keyword is not None and not keyword.strip():
        keyword = None
    try:
        hits = await services.attractions.search(
            near=near, radius_km=radius_km, keyword=keyword, offset=page.offset, limit=page.fetch
        )
    except EmptyQuery as exc:
        raise BadUserInput("keyword has no searchable characters", field="keyword") from exc
    return AttractionPage(
        hits=hits[: page.first], window=page, has_next_page=len(hits) > page.first
    )
