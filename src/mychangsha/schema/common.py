"""Types shared by every domain of the graph."""

from __future__ import annotations

from datetime import date
from typing import Self, TypeAlias

import strawberry
from strawberry import relay
from strawberry.types import Info as StrawberryInfo

from mychangsha.context import Context
from mychangsha.geo import GeoPoint as DomainGeoPoint
from mychangsha.platform.clock import changsha_days_ahead
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


@strawberry.type(description="Calendar days in Changsha (UTC+8), first and last included.")
class DateWindow:
    first: date
    last: date
    days: list[date] = strawberry.field(description="Every day from first to last, in order.")

    @classmethod
    def from_today(cls, days_ahead: int) -> Self:
        """Today in Changsha and the days after it: what a booking window offers right now."""
        days = changsha_days_ahead(days_ahead)
        return cls(first=days[0], last=days[-1], days=days)


def page_info(page: PageWindow, cursors: list[str], *, has_next: bool) -> relay.PageInfo:
    """Relay page info of one page of an offset window, from its edges' cursors."""
    return relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=page.offset > 0,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
