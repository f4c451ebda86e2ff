"""An attraction's timed-entry slots (its own module so the attraction type can list them)."""

from __future__ import annotations

from datetime import date
from typing import Self

import strawberry
from strawberry import relay

from mychangsha.integrations.tourism.reservation_models import TicketSlot as DomainTicketSlot
from mychangsha.resolvers.tickets import slot_node_id


@strawberry.type(description="An entry time slot of one ticket type on one day.")
class TicketSlot:
    id: strawberry.ID = strawberry.field(description="Pass as slotId to ticketReserve.")
    ticket_type_id: strawberry.ID
    ticket_name: str
    date: date
    start: str = strawberry.field(description="Local time HH:MM (Asia/Shanghai).")
    end: str
    price_fen: int = strawberry.field(description="Per visitor, in fen; 0 for free entry.")
    quota: int
    remaining: int = strawberry.field(
        description="Places left, counting both the slot's and the day's quota."
    )

    @strawberry.field(description="Whether at least one place is left.")
    def available(self) -> bool:
        return self.remaining > 0

    @classmethod
    def from_domain(cls, slot: DomainTicketSlot) -> Self:
        """The graph's view of a platform slot."""
        return cls(
            id=strawberry.ID(str(relay.GlobalID("TicketSlot", slot_node_id(slot)))),
            ticket_type_id=strawberry.ID(slot.ticket_type_id),
            ticket_name=slot.ticket_name,
            date=slot.day,
            start=slot.start.strftime("%H:%M"),
            end=slot.end.strftime("%H:%M"),
            price_fen=slot.price_fen,
            quota=slot.quota,
            remaining=slot.available,
        )
