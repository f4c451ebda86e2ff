"""Geography shared by every domain (attractions, hospitals, service halls)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """WGS84 coordinates, as phones report them."""

    lat: float
    lng: float
