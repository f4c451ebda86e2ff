"""Types shared by every domain of the graph."""

from __future__ import annotations

from typing import TypeAlias

import strawberry
from strawberry import relay
from strawberry.types import Info as StrawberryInfo

from mychangsha.context import Context
from mychangsha.geo import GeoPoint as DomainGeoPoint
from mychangsha.resolvers.pagination import PageWindow

Info: TypeAlias = StrawberryInfo[Context, None]


@strawberry.type(description="A WGS84 point.")
class GeoPoint:
    lat: float
    lng: float


@strawberry.input(description="A WGS84 point, as phones report it.")
class GeoPointInput:
    lat: float
    lng: float

    def to_domain(self) -> DomainGeoPoint:
        """The domain point."""
        return DomainGeoPoint(lat=self.lat, lng=self.lng)


def page_info(page: PageWindow, cursors: list[str], *, has_next: bool) -> relay.PageInfo:
    """Relay page info of one page of an offset window, from its edges' cursors."""
    return relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=page.offset > 0,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
