"""The events calendar of the graph: exhibitions, festivals and performances by date."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Annotated, Self

import strawberry
from strawberry import relay

from mychangsha.integrations.tourism import models
from mychangsha.resolvers import events as resolvers
from mychangsha.resolvers.tourism import AttractionByIdLoader
from mychangsha.schema.common import GeoPoint, Info, page_info
from mychangsha.schema.tourism import AttractionNode

EventCategory = strawberry.enum(
    models.EventCategory, name="EventCategory", description="What kind of event it is."
)


@strawberry.type(description="Where an event takes place.")
class Venue:
    name: str
    address: str
    location: GeoPoint


@strawberry.type(name="Event", description="An exhibition, festival or performance in Changsha.")
class EventNode(relay.Node):
    id: relay.NodeID[str]
    title: str
    title_en: str | None
    category: EventCategory  # type: ignore[valid-type]
    start_date: date = strawberry.field(description="First day (local, Asia/Shanghai).")
    end_date: date = strawberry.field(
        description="Last day, inclusive; startDate for a one-day event."
    )
    daily_start: str | None = strawberry.field(
        description="Local start time each day, HH:MM; null when the event has no set hours."
    )
    daily_end: str | None = strawberry.field(description="Local end time each day, HH:MM.")
    venue: Venue
    description: str
    price_fen: int | None = strawberry.field(
        description="Lowest ticket price in fen (1/100 yuan); null while not announced."
    )
    is_free: bool | None = strawberry.field(
        description="True when entry costs nothing; null while the price is not announced."
    )
    reservation_required: bool
    attraction_id: strawberry.Private[str | None]

    @classmethod
    def from_domain(cls, event: models.Event) -> Self:
        """The graph's view of a mirrored event."""
        venue = event.venue
        return cls(
            id=event.id,
            title=event.title,
            title_en=event.title_en,
            category=event.category,
            start_date=event.start_date,
            end_date=event.end_date,
            daily_start=event.daily_start,
            daily_end=event.daily_end,
            venue=Venue(
                name=venue.name,
                address=venue.address,
                location=GeoPoint(lat=venue.location.lat, lng=venue.location.lng),
            ),
            description=event.description,
            price_fen=event.price_fen,
            is_free=None if event.price_fen is None else event.price_fen == 0,
            reservation_required=event.reservation_required,
            attraction_id=venue.attraction_id,
        )

    @strawberry.field(description="The attraction the venue is, when it is one; else null.")
    async def attraction(self, info: Info) -> AttractionNode | None:
        if self.attraction_id is None:
            return None
        found = await info.context.loader(AttractionByIdLoader).load(self.attraction_id)
        return None if found is None else AttractionNode.from_domain(found)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        """Resolve `node(id:)` through the request's loader."""
        found = await info.context.loader(resolvers.EventByIdLoader).load_many(list(node_ids))
        return [None if e is None else cls.from_domain(e) for e in found]


@strawberry.type(name="EventEdge")
class EventEdge(relay.Edge[EventNode]):
    pass


@strawberry.type(name="EventConnection")
class EventConnection(relay.Connection[EventNode]):
    edges: list[EventEdge]  # type: ignore[assignment]

    @classmethod
    def from_page(cls, page: resolvers.EventPage) -> Self:
        """A Relay connection over one page of the calendar."""
        edges = [
            EventEdge(cursor=page.window.cursor(i), node=EventNode.from_domain(event))
            for i, event in enumerate(page.events)
        ]
        return cls(
            edges=edges,
            page_info=page_info(
                page.window, [e.cursor for e in edges], has_next=page.has_next_page
            ),
        )


@strawberry.type
class EventsQuery:
    @strawberry.field(
        description=(
            "Events on at least one day from `from` to `to` (inclusive, local dates; at most "
            "366 days apart), earliest start first. `from` defaults to today in Changsha, "
            "`to` to 30 days after `from`."
        )
    )
    async def events(
        self,
        info: Info,
        from_: Annotated[date | None, strawberry.argument(name="from")] = None,
        to: date | None = None,
        category: EventCategory | None = None,  # type: ignore[valid-type]
        first: int = 20,
        after: str | None = None,
    ) -> EventConnection:
        page = await resolvers.list_events(
            info.context.services,
            from_date=from_,
            to_date=to,
            category=category,
            first=first,
            after=after,
        )
        return EventConnection.from_page(page)
