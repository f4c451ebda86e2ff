"""The tourism platform's JSON, validated with pydantic and mapped to domain objects."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from mychangsha.integrations.tourism.models import (
    Attraction,
    CrowdLevel,
    CrowdReading,
    GeoPoint,
    OpeningHours,
    TicketType,
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
