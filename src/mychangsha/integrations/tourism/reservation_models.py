"""Timed-entry slots and real-name reservations of the tourism platform, as domain objects.

The platform owns the quotas: it takes places for all of a reservation's visitors at once
or refuses, so the graph never counts places itself and cannot oversell.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time


@dataclass(frozen=True, slots=True)
class TicketSlot:
    """An entry time slot of one ticket type on one day, with its places left."""

    id: str
    attraction_id: str
    ticket_type_id: str
    ticket_name: str
    day: date
    start: time
    end: time
    price_fen: int
    quota: int
    remaining: int
    daily_quota: int
    daily_remaining: int

    @property
    def available(self) -> int:
        """Places a reservation can still take: the slot's and the day's quota both bind."""
        return max(0, min(self.remaining, self.daily_remaining))


class ReservationStatus(enum.Enum):
    """Where a reservation stands at the platform."""

    AWAITING_PAYMENT = "awaiting_payment"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class VisitorIdentity:
    """A visitor as the platform needs them for a real-name ticket; `ref` is ours."""

    ref: str
    name: str
    id_number: str


@dataclass(frozen=True, slots=True)
class ReservedVisitor:
    """A visitor's ticket within a reservation."""

    ticket_id: str
    ref: str
    name: str
    id_number_masked: str


@dataclass(frozen=True, slots=True)
class Reservation:
    """A reservation of one slot for one or more visitors."""

    id: str
    status: ReservationStatus
    attraction_id: str
    slot_id: str
    ticket_type_id: str
    ticket_name: str
    day: date
    start: time
    end: time
    visitors: tuple[ReservedVisitor, ...]
    unit_price_fen: int
    amount_fen: int
    created_at: datetime
    pay_by: datetime | None
    paid_at: datetime | None


# --- refusals ----------------------------------------------------------------------------------


class ReservationRefused(Exception):
    """The platform refused; `code` is its stable error code, `message` its explanation."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class QuotaExhausted(ReservationRefused):
    """Not enough places left in the slot or the day for every visitor."""

    def __init__(self, message: str, remaining: int) -> None:
        super().__init__("QUOTA_EXHAUSTED", message)
        self.remaining = remaining


class VisitorAlreadyBooked(ReservationRefused):
    """A visitor already holds a reservation of that attraction that day (同一证件同日限约一次)."""

    def __init__(self, message: str, refs: tuple[str, ...]) -> None:
        super().__init__("VISITOR_ALREADY_BOOKED", message)
        self.refs = refs


class SlotNotBookable(ReservationRefused):
    """The slot is unknown, over, or on a day outside the booking window."""


class InvalidVisitors(ReservationRefused):
    """Too many or no visitors, a malformed ID number, or one person twice."""


class IdempotencyKeyReused(ReservationRefused):
    """The key was used for a different reservation: a bug on our side, never the citizen's."""


class NotCancellable(ReservationRefused):
    """Expired, or the slot has begun."""


class NotPayable(ReservationRefused):
    """Cancelled, expired, free, or the amount does not match."""
