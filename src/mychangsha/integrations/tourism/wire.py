"""The tourism platform's JSON, validated with pydantic and mapped to domain objects."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mychangsha.integrations.tourism.models import (
    Attraction,
    CrowdLevel,
    CrowdReading,
    Event,
    EventCategory,
    GeoPoint,
    OpeningHours,
    TicketType,
    Venue,
)


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class LocationJson(_Wire):
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class OpeningHoursJson(_Wire):
    days: str
    open: str
    close: str


class TicketJson(_Wire):
    id: str
    name: str
    price_fen: int = Field(alias="priceFen", ge=0)
    reservation_required: bool = Field(alias="reservationRequired")


class AttractionJson(_Wire):
    id: str
    name: str
    name_en: str | None = Field(default=None, alias="nameEn")
    district: str
    address: str
    location: LocationJson
    level: str | None = None
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    opening_hours: list[OpeningHoursJson] = Field(default_factory=list, alias="openingHours")
    tickets: list[TicketJson] = Field(default_factory=list)
    capacity: int = Field(ge=0)
    updated_at: datetime = Field(alias="updatedAt")

    def to_domain(self) -> Attraction:
        """The platform's record as the graph's domain object."""
        return Attraction(
            id=self.id,
            name=self.name,
            name_en=self.name_en,
            district=self.district,
            address=self.address,
            location=GeoPoint(lat=self.location.lat, lng=self.location.lng),
            level=self.level,
            description=self.description,
            tags=tuple(self.tags),
            opening_hours=tuple(
                OpeningHours(days=h.days, opens=h.open, closes=h.close) for h in self.opening_hours
            ),
            tickets=tuple(
                TicketType(
                    id=t.id,
                    name=t.name,
                    price_fen=t.price_fen,
                    reservation_required=t.reservation_required,
                )
                for t in self.tickets
            ),
            capacity=self.capacity,
            updated_at=self.updated_at,
        )


class AttractionPageJson(_Wire):
    items: list[AttractionJson]
    next: str | None = None


class CrowdJson(_Wire):
    attraction_id: str = Field(alias="attractionId")
    level: CrowdLevel
    visitors: int = Field(ge=0)
    capacity: int = Field(ge=0)
    updated_at: datetime = Field(alias="updatedAt")

    def to_domain(self) -> CrowdReading:
        """The platform's reading as the graph's domain object."""
        return CrowdReading(
            attraction_id=self.attraction_id,
            level=self.level,
            visitors=self.visitors,
            capacity=self.capacity,
            updated_at=self.updated_at,
        )


class CrowdListJson(_Wire):
    items: list[CrowdJson]


_LOCAL_TIME = r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$"


class VenueJson(_Wire):
    name: str
    address: str = ""
    location: LocationJson
    attraction_id: str | None = Field(default=None, alias="attractionId")


class EventJson(_Wire):
    id: str
    title: str
    title_en: str | None = Field(default=None, alias="titleEn")
    category: EventCategory
    start_date: date = Field(alias="startDate")
    end_date: date = Field(alias="endDate")
    daily_start: str | None = Field(default=None, alias="dailyStart", pattern=_LOCAL_TIME)
    daily_end: str | None = Field(default=None, alias="dailyEnd", pattern=_LOCAL_TIME)
    venue: VenueJson
    description: str = ""
    price_fen: int | None = Field(default=None, alias="priceFen", ge=0)
    reservation_required: bool = Field(default=False, alias="reservationRequired")
    updated_at: datetime = Field(alias="updatedAt")

    @model_validator(mode="after")
    def _dates_in_order(self) -> EventJson:
        """An event that ends before it starts would vanish from every date-range query."""
        if self.end_date < self.start_date:
            raise ValueError(f"event {self.id} ends before it starts")
        return self

    def to_domain(self) -> Event:
        """The platform's record as the graph's domain object."""
        return Event(
            id=self.id,
            title=self.title,
            title_en=self.title_en,
            category=self.category,
            start_date=self.start_date,
            end_date=self.end_date,
            daily_start=self.daily_start,
            daily_end=self.daily_end,
            venue=Venue(
                name=self.venue.name,
                address=self.venue.address,
                location=GeoPoint(lat=self.venue.location.lat, lng=self.venue.location.lng),
                attraction_id=self.venue.attraction_id,
            ),
            description=self.description,
            price_fen=self.price_fen,
            reservation_required=self.reservation_required,
            updated_at=self.updated_at,
        )


class EventPageJson(_Wire):
    items: list[EventJson]
    next: str | None = None
