"""The tourism part of the graph: attractions with opening hours, tickets and live crowds."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Self

import strawberry
from strawberry import relay

from mychangsha.integrations.tourism import models
from mychangsha.resolvers import tickets
from mychangsha.resolvers import tourism as resolvers
from mychangsha.schema.common import DateWindow, GeoPoint, GeoPointInput, Info, page_info
from mychangsha.schema.localized import label_of
from mychangsha.schema.ticket_slots import TicketSlot

CrowdLevel = strawberry.enum(
    models.CrowdLevel, name="CrowdLevel", description="How full an attraction is right now."
)


@strawberry.type(description="When an attraction is open (local time, Asia/Shanghai).")
class OpeningHours:
    days: str
    opens: str
    closes: str


@strawberry.type(description="A ticket an attraction sells.")
class TicketType:
    id: strawberry.ID
    name: str
    price_fen: int = strawberry.field(description="Price in fen (1/100 yuan).")
    reservation_required: bool


@strawberry.type(description="A live crowd reading, never more than a minute old.")
class Crowd:
    level: CrowdLevel  # type: ignore[valid-type]
    level_label: str = label_of("level", description="How full, in words.")
    visitors: int
    capacity: int
    updated_at: datetime

    @classmethod
    def from_domain(cls, reading: models.CrowdReading) -> Self:
        """The graph's view of a reading."""
        return cls(
            level=reading.level,
            visitors=reading.visitors,
            capacity=reading.capacity,
            updated_at=reading.updated_at,
        )


@strawberry.type(name="Attraction", description="A tourist attraction of Changsha.")
class AttractionNode(relay.Node):
    id: relay.NodeID[str]
    name: str
    name_en: str | None
    district: str
    address: str
    location: GeoPoint
    level: str | None = strawberry.field(description="National rating such as 5A, if any.")
    description: str
    tags: list[str]
    opening_hours: list[OpeningHours]
    tickets: list[TicketType]

    @classmethod
    def from_domain(cls, attraction: models.Attraction) -> Self:
        """The graph's view of a mirrored attraction."""
        return cls(
            id=attraction.id,
            name=attraction.name,
            name_en=attraction.name_en,
            district=attraction.district,
            address=attraction.address,
            location=GeoPoint(lat=attraction.location.lat, lng=attraction.location.lng),
            level=attraction.level,
            description=attraction.description,
            tags=list(attraction.tags),
            opening_hours=[
                OpeningHours(days=h.days, opens=h.opens, closes=h.closes)
                for h in attraction.opening_hours
            ],
            tickets=[
                TicketType(
                    id=strawberry.ID(t.id),
                    name=t.name,
                    price_fen=t.price_fen,
                    reservation_required=t.reservation_required,
                )
                for t in attraction.tickets
            ],
        )

    @strawberry.field(description="Live crowd reading; null with an UPSTREAM_* error if unknown.")
    async def crowd(self, info: Info) -> Crowd | None:
        reading = await info.context.loader(resolvers.CrowdReadingByAttractionIdLoader).load(
            self.id
        )
        return None if reading is None else Crowd.from_domain(reading)

    @strawberry.field(description="Shortcut for crowd.level.")
    async def crowd_level(self, info: Info) -> CrowdLevel | None:  # type: ignore[valid-type]
        reading = await info.context.loader(resolvers.CrowdReadingByAttractionIdLoader).load(
            self.id
        )
        return None if reading is None else reading.level

    @strawberry.field(
        description="The days `ticketSlots(date:)` answers for: today in Changsha and 6 days "
        "on. A day the attraction is closed has no slots; other dates are BAD_USER_INPUT."
    )
    def booking_window(self) -> DateWindow:
        return DateWindow.from_today(tickets.BOOKING_DAYS_AHEAD)

    @strawberry.field(
        description="Timed-entry slots on a day of the booking window (today and 6 days on); "
        "empty for free walk-in attractions; null with an UPSTREAM_* error if unknown."
    )
    async def ticket_slots(self, info: Info, date: date) -> list[TicketSlot] | None:
        slots = await tickets.ticket_slots(info.context.services, self.id, date)
        return [TicketSlot.from_domain(slot) for slot in slots]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Resolve `node(id:)` through the request's loader."""
        found = await info.context.loader(resolvers.AttractionByIdLoader).load_many(list(node_ids))
        return [None if a is None else cls.from_domain(a) for a in found]


@strawberry.type(name="AttractionEdge")
class AttractionEdge(relay.Edge[AttractionNode]):
    distance_meters: float | None = strawberry.field(
        description="Distance from `near`, when the search had one."
    )


@strawberry.type(name="AttractionConnection")
class AttractionConnection(relay.Connection[AttractionNode]):
    edges: list[AttractionEdge]  # type: ignore[assignment]

    @classmethod
    def from_page(cls, page: resolvers.AttractionPage) -> Self:
        """A Relay connection over one page of search hits."""
        edges = [
            AttractionEdge(
                cursor=page.window.cursor(i),
                node=AttractionNode.from_domain(hit.attraction),
                distance_meters=hit.distance_m,
            )
            for i, hit in enumerate(page.hits)
        ]
        return cls(
            edges=edges,
            page_info=page_info(
                page.window, [e.cursor for e in edges], has_next=page.has_next_page
            ),
        )


@strawberry.type
class TourismQuery:
    @strawberry.field(
        description="Attractions, nearest first with `near`, best match first with `keyword`."
    )
    async def attractions(
        self,
        info: Info,
        near: GeoPointInput | None = None,
        radius_km: Annotated[float | None, strawberry.argument(description="Needs near.")] = None,
        keyword: Annotated[
            str | None, strawberry.argument(description="Chinese, pinyin or initials.")
        ] = None,
        first: int = 20,
        after: str | None = None,
    ) -> AttractionConnection:
        page = await resolvers.search_attractions(
            info.context.services,
            near=None if near is None else near.to_domain(),
            radius_km=radius_km,
            keyword=keyword,
            first=first,
            after=after,
        )
        return AttractionConnection.from_page(page)

    @strawberry.field(description="One attraction by its global ID; null if there is none.")
    async def attraction(self, info: Info, id: relay.GlobalID) -> AttractionNode | None:
        if id.type_name != "Attraction":
            return None
        found = await info.context.loader(resolvers.AttractionByIdLoader).load(id.node_id)
        return None if found is None else AttractionNode.from_domain(found)
