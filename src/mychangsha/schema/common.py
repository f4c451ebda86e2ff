"""Types shared by every domain of the graph."""

from __future__ import annotations

from typing import TypeAlias

import strawberry
from strawberry.types import Info as StrawberryInfo

from mychangsha.context import Context
from mychangsha.geo import GeoPoint as DomainGeoPoint

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
