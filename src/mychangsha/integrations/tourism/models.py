"""Domain objects of the tourism platform, independent of its wire format and of GraphQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime

from mychangsha.geo import GeoPoint

__all__ = [
    "Attraction",
    "CrowdLevel",
    "CrowdReading",
    "Event",
    "EventCategory",
    "GeoPoint",
    "OpeningHours",
    "TicketType",
    "Venue",
]


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


class EventCategory(enum.Enum):
    """What kind of event the calendar lists."""

    EXHIBITION = "exhibition"
    FESTIVAL = "festival"
    PERFORMANCE = "performance"


@dataclass(frozen=True, slots=True)
class Venue:
    """Where an event takes place; `attraction_id` links the catalogue when the venue is in it."""

    name: str
    address: str
    location: GeoPoint
    attraction_id: str | None


@dataclass(frozen=True, slots=True)
class Event:
    """An event of the platform's calendar, as mirrored into MongoDB.

    Dates are local calendar days (Asia/Shanghai), both inclusive; `daily_start`/`daily_end`
    are local "HH:MM" times or None when the event has no set hours. `price_fen` is the
    lowest ticket price: 0 is free, None means the price is not announced.
    """

    id: str
    title: str
    title_en: str | None
    category: EventCategory
    start_date: date
    end_date: date
    daily_start: str | None
    daily_end: str | None
    venue: Venue
    description: str
    price_fen: int | None
    reservation_required: bool
    updated_at: datetime
