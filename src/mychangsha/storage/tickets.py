"""The citizen's ticket orders: which platform reservation is whose, and where it stands.

The platform owns places and quotas; this collection owns the link from a citizen (and their
idempotency key) to a reservation, so retries find the same order, `myTickets` needs no call
upstream, and a payment knows which reservation to confirm. Status moves only forward, each
move a conditional update, so concurrent cancels, expiries and payments cannot undo one another.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document


class TicketOrderStatus(enum.Enum):
    """Where a ticket order stands; the platform's reservation statuses."""

    AWAITING_PAYMENT = "awaiting_payment"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


# The statuses an order may move to from each status (payments may confirm an expired order
# the platform still accepted: the money arrived in time, our clock said otherwise).
_MOVES_FROM: dict[TicketOrderStatus, tuple[TicketOrderStatus, ...]] = {
    TicketOrderStatus.CONFIRMED: (TicketOrderStatus.AWAITING_PAYMENT, TicketOrderStatus.EXPIRED),
    TicketOrderStatus.CANCELLED: (TicketOrderStatus.AWAITING_PAYMENT, TicketOrderStatus.CONFIRMED),
    TicketOrderStatus.EXPIRED: (TicketOrderStatus.AWAITING_PAYMENT,),
}


@dataclass(frozen=True)
class TicketHolder:
    """One visitor's ticket in an order."""

    ticket_id: str  # the platform's
    person_id: str  # the citizen's or the family member's id
    is_citizen: bool
    name: str
    id_number_masked: str


@dataclass(frozen=True)
class TicketOrder:
    """A reservation of one entry slot for one or more visitors, booked by one citizen."""

    id: str
    citizen_id: str
    idempotency_key: str
    request_hash: str
    reservation_id: str
    attraction_id: str
    slot_id: str
    ticket_type_id: str
    ticket_name: str
    day: str  # YYYY-MM-DD, Asia/Shanghai
    start: str  # HH:MM
    end: str
    starts_at: datetime
    ends_at: datetime
    holders: tuple[TicketHolder, ...]
    unit_price_fen: int
    amount_fen: int
    status: TicketOrderStatus
    pay_by: datetime | None
    paid_at: datetime | None
    created_at: datetime


class TicketOrderRepository:
    """Ticket orders by id, by (citizen, idempotency key) and by citizen."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._orders: AsyncCollection[Document] = db.get_collection("ticket_orders")

    async def ensure_indexes(self) -> None:
        """One order per key of a citizen and per reservation; listings newest slot first."""
        await self._orders.create_index(
            [("citizen_id", ASCENDING), ("idempotency_key", ASCENDING)], unique=True
        )
        await self._orders.create_index([("reservation_id", ASCENDING)], unique=True)
        await self._orders.create_index([("citizen_id", ASCENDING), ("starts_at", DESCENDING)])
        await self._orders.create_index([("day", ASCENDING), ("status", ASCENDING)])

    async def by_key(self, citizen_id: str, idempotency_key: str) -> TicketOrder | None:
        """The order a citizen made with a key, if any."""
        doc = await self._orders.find_one(
            {"citizen_id": citizen_id, "idempotency_key": idempotency_key}
        )
        return None if doc is None else _order(doc)

    async def record(self, order: TicketOrder) -> TicketOrder:
        """Store a new order; when a racing request with the same key stored it first, that one."""
        try:
            await self._orders.insert_one(_document(order))
        except DuplicateKeyError:
            existing = await self.by_key(order.citizen_id, order.idempotency_key)
            if existing is None:
                raise
            return existing
        return order

    async def get(self, order_id: str) -> TicketOrder | None:
        """One order."""
        doc = await self._orders.find_one({"_id": order_id})
        return None if doc is None else _order(doc)

    async def by_ids(self, ids: Sequence[str]) -> dict[str, TicketOrder]:
        """Orders by id (missing ids are absent)."""
        return {
            str(doc["_id"]): _order(doc)
            async for doc in self._orders.find({"_id": {"$in": list(ids)}})
        }

    async def page_of(
        self,
        citizen_id: str,
        *,
        statuses: Sequence[TicketOrderStatus] | None,
        offset: int,
        limit: int,
    ) -> list[TicketOrder]:
        """A citizen's orders, the latest slot first, optionally of some statuses."""
        query: dict[str, Any] = {"citizen_id": citizen_id}
        if statuses is not None:
            query["status"] = {"$in": [s.value for s in statuses]}
        cursor = (
            self._orders.find(query)
            .sort([("starts_at", DESCENDING), ("_id", ASCENDING)])
            .skip(offset)
            .limit(limit)
        )
        return [_order(doc) async for doc in cursor]

    async def confirmed_on(self, day: str, *, citizen_id: str | None = None) -> list[TicketOrder]:
        """Confirmed orders for a local day (YYYY-MM-DD), of one citizen or of everyone."""
        query: dict[str, Any] = {"day": day, "status": TicketOrderStatus.CONFIRMED.value}
        if citizen_id is not None:
            query["citizen_id"] = citizen_id
        cursor = self._orders.find(query).sort([("starts_at", ASCENDING), ("_id", ASCENDING)])
        return [_order(doc) async for doc in cursor]

    async def overdue(self, citizen_id: str, now: datetime) -> list[TicketOrder]:
        """A citizen's unpaid orders whose payment deadline has passed."""
        cursor = self._orders.find(
            {
                "citizen_id": citizen_id,
                "status": TicketOrderStatus.AWAITING_PAYMENT.value,
                "pay_by": {"$lt": now},
            }
        )
        return [_order(doc) async for doc in cursor]

    async def move(
        self, order_id: str, to: TicketOrderStatus, *, paid_at: datetime | None = None
    ) -> TicketOrder | None:
        """Move an order forward; None when it is not in a status that may move there."""
        changes: dict[str, Any] = {"status": to.value}
        if paid_at is not None:
            changes["paid_at"] = paid_at
        doc = await self._orders.find_one_and_update(
            {"_id": order_id, "status": {"$in": [s.value for s in _MOVES_FROM[to]]}},
            {"$set": changes},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _order(doc)


def new_order_id() -> str:
    """Our id of a ticket order: sortable by time, unguessable."""
    return f"TO{utc_now():%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def _document(order: TicketOrder) -> Document:
    return {
        "_id": order.id,
        "citizen_id": order.citizen_id,
        "idempotency_key": order.idempotency_key,
        "request_hash": order.request_hash,
        "reservation_id": order.reservation_id,
        "attraction_id": order.attraction_id,
        "slot_id": order.slot_id,
        "ticket_type_id": order.ticket_type_id,
        "ticket_name": order.ticket_name,
        "day": order.day,
        "start": order.start,
        "end": order.end,
        "starts_at": order.starts_at,
        "ends_at": order.ends_at,
        "holders": [
            {
                "ticket_id": h.ticket_id,
                "person_id": h.person_id,
                "is_citizen": h.is_citizen,
                "name": h.name,
                "id_number_masked": h.id_number_masked,
            }
            for h in order.holders
        ],
        "unit_price_fen": order.unit_price_fen,
        "amount_fen": order.amount_fen,
        "status": order.status.value,
        "pay_by": order.pay_by,
        "paid_at": order.paid_at,
        "created_at": order.created_at,
    }


def _order(doc: Document) -> TicketOrder:
    return TicketOrder(
        id=str(doc["_id"]),
        citizen_id=str(doc["citizen_id"]),
        idempotency_key=str(doc["idempotency_key"]),
        request_hash=str(doc["request_hash"]),
        reservation_id=str(doc["reservation_id"]),
        attraction_id=str(doc["attraction_id"]),
        slot_id=str(doc["slot_id"]),
        ticket_type_id=str(doc["ticket_type_id"]),
        ticket_name=str(doc["ticket_name"]),
        day=str(doc["day"]),
        start=str(doc["start"]),
        end=str(doc["end"]),
        starts_at=doc["starts_at"],
        ends_at=doc["ends_at"],
        holders=tuple(
            TicketHolder(
                ticket_id=str(h["ticket_id"]),
                person_id=str(h["person_id"]),
                is_citizen=bool(h["is_citizen"]),
                name=str(h["name"]),
                id_number_masked=str(h["id_number_masked"]),
            )
            for h in doc["holders"]
        ),
        unit_price_fen=int(doc["unit_price_fen"]),
        amount_fen=int(doc["amount_fen"]),
        status=TicketOrderStatus(doc["status"]),
        pay_by=doc.get("pay_by"),
        paid_at=doc.get("paid_at"),
        created_at=doc["created_at"],
    )
