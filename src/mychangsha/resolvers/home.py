"""What the home screen means: the citizen's to-dos, notices and recommendations at once.

Every section resolves concurrently and independently under one time budget: an upstream
that is down or slow costs its own section (null, with a coded error), never the screen.
Each upstream is asked at most once per screen: bills and appointments once per hospital,
notices once (cached), crowd levels once (cached); the rest is the graph's own data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from mychangsha.context import Context
from mychangsha.geo import GeoPoint
from mychangsha.integrations.government.models import ApplicationStatus, Notice
from mychangsha.integrations.hospital.models import Appointment, Bill, BillStatus
from mychangsha.integrations.tourism.models import Attraction, CrowdLevel
from mychangsha.platform.clock import today_in_changsha
from mychangsha.resolvers import appointments, billing
from mychangsha.resolvers.budget import Budget
from mychangsha.resolvers.identity import current_citizen
from mychangsha.resolvers.notifications import unread_count
from mychangsha.resolvers.tourism import CrowdReadingByAttractionIdLoader
from mychangsha.storage.applications import ApplicationRecord
from mychangsha.storage.tickets import TicketOrder

NOTICE_COUNT: Final = 5
MAX_RECOMMENDATIONS: Final = 10
_CROWD_RANK: Final = {CrowdLevel.COMFORTABLE: 0, CrowdLevel.BUSY: 1, CrowdLevel.CROWDED: 2}
_LEVEL_RANK: Final = {"5A": 0, "4A": 1}


@dataclass
class HomeFeed:
    """One screen's sections, sharing the answer's budget set when the screen was asked for."""

    context: Context
    budget: Budget

    @classmethod
    def start(cls, context: Context) -> HomeFeed:
        """A feed whose sections must all be done within the answer budget from now."""
        return cls(context=context, budget=Budget.for_answer(context))

    async def _verified(self) -> bool:
        """Personal sections need a signed-in citizen; medical ones need level 2."""
        if await self.context.claims() is None:
            return False
        citizen = await current_citizen(self.context)
        return citizen.verification_level >= 2

    async def bills_to_pay(self) -> list[Bill] | None:
        """Unpaid bills of the citizen and family (None when signed out)."""
        if not await self._verified():
            return None if await self.context.claims() is None else []
        return await self.budget.run(
            "hospital", billing.my_bills(self.context, status=BillStatus.ISSUED)
        )

    async def appointments_today(self) -> list[Appointment] | None:
        """Today's appointments of the citizen and family; a failing hospital fails the section."""
        if not await self._verified():
            return None if await self.context.claims() is None else []
        entries = await self.budget.run(
            "hospital",
            appointments.my_appointments(self.context, status=None, day=today_in_changsha()),
        )
        for entry in entries:
            if entry.error is not None:
                raise entry.error
        return [entry.appointment for entry in entries if entry.appointment is not None]

    async def applications_needing_supplement(self) -> list[ApplicationRecord] | None:
        """Applications the platform sent back for more materials (the graph's own record)."""
        if await self.context.claims() is None:
            return None
        citizen = await current_citizen(self.context)
        return await self.context.services.applications.of_citizen(
            citizen.id, status=ApplicationStatus.NEEDS_SUPPLEMENT.value, offset=0, limit=20
        )

    async def tickets_today(self) -> list[TicketOrder] | None:
        """Confirmed tickets for today (the graph's own record)."""
        if await self.context.claims() is None:
            return None
        citizen = await current_citizen(self.context)
        return await self.context.services.tickets.confirmed_on(
            today_in_changsha().isoformat(), citizen_id=citizen.id
        )

    async def unread_notifications(self) -> int | None:
        """The inbox badge (the graph's own data)."""
        if await self.context.claims() is None:
            return None
        citizen = await current_citizen(self.context)
        return await unread_count(self.context.services, citizen.id)

    async def notices(self) -> list[Notice]:
        """The platform's latest public notices."""
        return await self.budget.run(
            "government", self.context.services.government.notices(NOTICE_COUNT)
        )

    async def recommended_attractions(self, near: GeoPoint | None, first: int) -> list[Attraction]:
        """Places worth going now: comfortable crowds first, then rated, then nearest."""
        first = max(1, min(first, MAX_RECOMMENDATIONS))
        hits = await self.context.services.attractions.search(
            near=near, radius_km=None, keyword=None, offset=0, limit=50
        )
        loader = self.context.loader(CrowdReadingByAttractionIdLoader)
        readings = await self.budget.run(
            "tourism", loader.load_many([hit.attraction.id for hit in hits])
        )

        def rank(index: int) -> tuple[int, int, int]:
            reading = readings[index]
            crowd = 1 if reading is None else _CROWD_RANK[reading.level]
            level = _LEVEL_RANK.get(hits[index].attraction.level or "", 2)
            return (crowd, level, index)  # hits come nearest first when `near` is given

        order = sorted(range(len(hits)), key=rank)
        return [hits[i].attraction for i in order[:first]]
