"""The tourism platform's slot and reservation JSON, validated and mapped to domain objects."""

from __future__ import annotations

from datetime import date, datetime, time

from pydantic import BaseModel, ConfigDict, Field

from mychangsha.integrations.tourism.reservation_models import (
    Reservation,
    ReservationStatus,
    ReservedVisitor,
    TicketSlot,
)


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class SlotJson(_Wire):
    id: str
    ticket_type_id: str = Field(alias="ticketTypeId")
    ticket_name: str = Field(alias="ticketName")
    date: date
    start: time
    end: time
    price_fen: int = Field(alias="priceFen", ge=0)
    quota: int = Field(ge=0)
    remaining: int = Field(ge=0)
    daily_quota: int = Field(alias="dailyQuota", ge=0)
    daily_remaining: int = Field(alias="dailyRemaining", ge=0)

    def to_domain(self, attraction_id: str) -> TicketSlot:
        """The platform's slot as the graph's domain object."""
        return TicketSlot(
            id=self.id,
            attraction_id=attraction_id,
            ticket_type_id=self.ticket_type_id,
            ticket_name=self.ticket_name,
            day=self.date,
            start=self.start,
            end=self.end,
            price_fen=self.price_fen,
            quota=self.quota,
            remaining=self.remaining,
            daily_quota=self.daily_quota,
            daily_remaining=self.daily_remaining,
        )


class SlotListJson(_Wire):
    attraction_id: str = Field(alias="attractionId")
    items: list[SlotJson]


class VisitorJson(_Wire):
    ticket_id: str = Field(alias="ticketId")
    ref: str
    name: str
    id_number_masked: str = Field(alias="idNumberMasked")


class ReservationJson(_Wire):
    id: str
    status: ReservationStatus
    attraction_id: str = Field(alias="attractionId")
    slot_id: str = Field(alias="slotId")
    ticket_type_id: str = Field(alias="ticketTypeId")
    ticket_name: str = Field(alias="ticketName")
    date: date
    start: time
    end: time
    visitors: list[VisitorJson]
    unit_price_fen: int = Field(alias="unitPriceFen", ge=0)
    amount_fen: int = Field(alias="amountFen", ge=0)
    created_at: datetime = Field(alias="createdAt")
    pay_by: datetime | None = Field(default=None, alias="payBy")
    paid_at: datetime | None = Field(default=None, alias="paidAt")

    def to_domain(self) -> Reservation:
        """The platform's reservation as the graph's domain object."""
        return Reservation(
            id=self.id,
            status=self.status,
            attraction_id=self.attraction_id,
            slot_id=self.slot_id,
            ticket_type_id=self.ticket_type_id,
            ticket_name=self.ticket_name,
            day=self.date,
            start=self.start,
            end=self.end,
            visitors=tuple(
                ReservedVisitor(
                    ticket_id=v.ticket_id,
                    ref=v.ref,
                    name=v.name,
                    id_number_masked=v.id_number_masked,
                )
                for v in self.visitors
            ),
            unit_price_fen=self.unit_price_fen,
            amount_fen=self.amount_fen,
            created_at=self.created_at,
            pay_by=self.pay_by,
            paid_at=self.paid_at,
        )


class ErrorDetailJson(_Wire):
    code: str
    message: str = ""
    remaining: int | None = None
    visitor_refs: list[str] = Field(default_factory=list, alias="visitorRefs")


class ErrorJson(_Wire):
    error: ErrorDetailJson
