"""The home screen in one round trip: to-dos, unread count, notices and recommendations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import strawberry

from mychangsha.integrations.government.models import Notice as DomainNotice
from mychangsha.resolvers.home import MAX_RECOMMENDATIONS, HomeFeed
from mychangsha.schema.common import GeoPointInput, Info
from mychangsha.schema.government import Application
from mychangsha.schema.hospital import Appointment
from mychangsha.schema.medical import Bill
from mychangsha.schema.tickets import TicketOrder
from mychangsha.schema.tourism import AttractionNode


@strawberry.type(description="A public notice of the government platform (通知公告).")
class Notice:
    id: strawberry.ID
    category: str
    department: str
    title: str
    summary: str
    published_at: datetime

    @classmethod
    def from_domain(cls, notice: DomainNotice) -> Self:
        """The graph's view of a platform notice."""
        return cls(
            id=strawberry.ID(notice.id),
            category=notice.category,
            department=notice.department,
            title=notice.title,
            summary=notice.summary,
            published_at=notice.published_at,
        )


@strawberry.type(
    description="The home screen. Sections resolve independently within one time budget: a "
    "section whose upstream is down or late is null with an UPSTREAM_* error, the rest stays. "
    "Personal sections are null when signed out."
)
class Home:
    _feed: strawberry.Private[HomeFeed]

    @strawberry.field(description="Unpaid bills of you and your family (to pay).")
    async def bills_to_pay(self) -> list[Bill] | None:
        bills = await self._feed.bills_to_pay()
        return None if bills is None else [Bill.from_domain(b) for b in bills]

    @strawberry.field(description="Your and your family's appointments today.")
    async def appointments_today(self) -> list[Appointment] | None:
        found = await self._feed.appointments_today()
        return None if found is None else [Appointment.from_domain(a) for a in found]

    @strawberry.field(description="Applications waiting for your supplementary materials.")
    async def applications_needing_supplement(self) -> list[Application] | None:
        found = await self._feed.applications_needing_supplement()
        return None if found is None else [Application.from_domain(a) for a in found]

    @strawberry.field(description="Confirmed tickets for today.")
    async def tickets_today(self) -> list[TicketOrder] | None:
        found = await self._feed.tickets_today()
        return None if found is None else [TicketOrder.from_domain(o) for o in found]

    @strawberry.field(description="Unread notifications in your inbox (the badge).")
    async def unread_notifications(self) -> int | None:
        return await self._feed.unread_notifications()

    @strawberry.field(description="The latest public notices.")
    async def notices(self) -> list[Notice] | None:
        return [Notice.from_domain(n) for n in await self._feed.notices()]

    @strawberry.field(
        description="Attractions worth going to now: comfortable crowds first, then the best "
        "rated, nearest first with `near`."
    )
    async def recommended_attractions(
        self,
        near: GeoPointInput | None = None,
        first: Annotated[int, strawberry.argument(description=f"1 to {MAX_RECOMMENDATIONS}.")] = 5,
    ) -> list[AttractionNode] | None:
        found = await self._feed.recommended_attractions(
            None if near is None else near.to_domain(), first
        )
        return [AttractionNode.from_domain(a) for a in found]


@strawberry.type
class HomeQuery:
    @strawberry.field(description="Everything the home screen shows, in one round trip.")
    def home(self, info: Info) -> Home:
        return Home(_feed=HomeFeed.start(info.context))
