"""Domain objects of the tourism platform, independent of its wire format and of GraphQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from mychangsha.geo import GeoPoint

__all__ = ["Attraction", "CrowdLevel", "CrowdReading", "GeoPoint", "OpeningHours", "TicketType"]


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """One opening rule: the days it covers (as the platform words them) and local times."""

    days: str
    opens: str
    closes: str


@dataclass(frozen=True, slots=True)
class TicketType:
    """A ticket an attraction sells; money in fen."""

    id: str
    name: str
    price_fen: int
    reservation_required: bool


@dataclass(frozen=True, slots=True)
class Attraction:
    """An attraction of the catalogue, as mirrored into MongoDB."""

    id: str
    name: str
    name_en: str | None
    district: str
    address: str
    location: GeoPoint
    level: str | None
    description: str
    tags: tuple[str, ...]
    opening_hours: tuple[OpeningHours, ...]
    tickets: tuple[TicketType, ...]
    capacity: int
    updated_at: datetime


class CrowdLevel(enum.Enum):
    """How full an attraction is right now."""

    COMFORTABLE = "comfortable"
    BUSY = "busy"
    CROWDED = "crowded"


@dataclass(frozen=True, slots=True)
class CrowdReading:
    """A live crowd reading of one attraction."""

    attraction_id: str
    level: CrowdLevel
    visitors: int
    capacity: int
    updated_at: datetime
