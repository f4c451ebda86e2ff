"""Payment orders for anything the citizen pays (hospital bills, tickets), paid exactly once.

One open order per payable item: paying the same unpaid item again returns the open order
instead of charging twice. A verified notification moves an order from `pending` to `paid`
with one conditional update; duplicates, late and out-of-order notifications find it already
paid and change nothing. Fulfilment (telling the hospital or the tourism platform) is a
separate, retryable step whose completion is recorded, so a crash between the two is
repaired by the next notification.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document


class PaymentState(enum.Enum):
    """Where a payment order stands."""

    PENDING = "pending"
    PAID = "paid"
    CLOSED = "closed"  # the item went away (cancelled, expired) before it was paid


class PaymentKind(enum.Enum):
    """What is being paid for; it decides who is told once the money arrived."""

    HOSPITAL_BILL = "hospital_bill"
    TICKET_ORDER = "ticket_order"


@dataclass(frozen=True)
class PaymentSubject:
    """The payable item: a kind, the system that owns it and its id there."""

    kind: PaymentKind
    provider: str  # the hospital code, or "tourism"
    item_id: str  # the bill id, or our ticket order id

    @property
    def key(self) -> str:
        """Unique per item across kinds and providers."""
        return f"{self.kind.value}:{self.provider}/{self.item_id}"


@dataclass(frozen=True)
class PaymentOrder:
    """An order at the payment gateway for one payable item."""

    id: str  # our out_trade_no
    citizen_id: str
    subject: PaymentSubject
    patient_id: str | None  # whose bill it is, for bills
    amount_fen: int
    channel: str
    state: PaymentState
    prepay_id: str | None
    pay_params: dict[str, str] | None
    transaction_id: str | None
    paid_at: datetime | None
    fulfilled: bool  # the owner of the item knows it is paid
    refund_due: bool  # paid for an item that was gone: the money must go back
    created_at: datetime


def _subject_filter(subject: PaymentSubject) -> dict[str, Any]:
    return {"kind": subject.kind.value, "provider": subject.provider, "item_id": subject.item_id}


class PaymentRepository:
    """Orders by id and by payable item."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._orders: AsyncCollection[Document] = db.get_collection("payment_orders")

    async def ensure_indexes(self) -> None:
        """At most one open order per item."""
        await self._orders.create_index([("open_item", ASCENDING)], unique=True, sparse=True)
        await self._orders.create_index(
            [("kind", ASCENDING), ("provider", ASCENDING), ("item_id", ASCENDING)]
        )

    async def open_order(
        self,
        *,
        citizen_id: str,
        subject: PaymentSubject,
        amount_fen: int,
        channel: str,
        patient_id: str | None = None,
    ) -> tuple[PaymentOrder, bool]:
        """The item's open order, created if there is none; whether this call created it."""
        doc: Document = {
            "_id": f"MC{utc_now():%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}",
            "citizen_id": citizen_id,
            **_subject_filter(subject),
            "open_item": subject.key,
            "patient_id": patient_id,
            "amount_fen": amount_fen,
            "channel": channel,
            "state": PaymentState.PENDING.value,
            "prepay_id": None,
            "pay_params": None,
            "transaction_id": None,
            "paid_at": None,
            "fulfilled": False,
            "created_at": utc_now(),
        }
        try:
            await self._orders.insert_one(doc)
            return _order(doc), True
        except DuplicateKeyError:
            existing = await self._orders.find_one({"open_item": subject.key})
            if existing is None:
                raise
            return _order(existing), False

    async def set_prepay(
        self, order_id: str, prepay_id: str, pay_params: dict[str, str]
    ) -> PaymentOrder:
        """Remember what the gateway answered, so a repeat returns the same parameters."""
        doc = await self._orders.find_one_and_update(
            {"_id": order_id},
            {"$set": {"prepay_id": prepay_id, "pay_params": pay_params}},
            return_document=ReturnDocument.AFTER,
        )
        if doc is None:
            raise LookupError(order_id)
        return _order(doc)

    async def get(self, order_id: str) -> PaymentOrder | None:
        """One order."""
        doc = await self._orders.find_one({"_id": order_id})
        return None if doc is None else _order(doc)

    async def mark_paid(
        self, order_id: str, *, transaction_id: str, amount_fen: int, paid_at: datetime
    ) -> PaymentOrder | None:
        """Pending → paid, once; None when it was already paid (or the amount is wrong)."""
        doc = await self._orders.find_one_and_update(
            {
                "_id": order_id,
                # a closed order can still be paid in the instant before the gateway closed it
                "state": {"$in": [PaymentState.PENDING.value, PaymentState.CLOSED.value]},
                "amount_fen": amount_fen,
            },
            {
                "$set": {
                    "state": PaymentState.PAID.value,
                    "transaction_id": transaction_id,
                    "paid_at": paid_at,
                },
                "$unset": {"open_item": ""},
            },
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _order(doc)

    async def mark_fulfilled(self, order_id: str) -> None:
        """The owner of the item knows it is paid."""
        await self._orders.update_one({"_id": order_id}, {"$set": {"fulfilled": True}})

    async def open_orders(
        self, kind: PaymentKind, provider: str, *, patient_id: str | None = None
    ) -> list[PaymentOrder]:
        """Unpaid orders at one provider (of one patient, for bills)."""
        query: dict[str, Any] = {
            "kind": kind.value,
            "provider": provider,
            "state": PaymentState.PENDING.value,
        }
        if patient_id is not None:
            query["patient_id"] = patient_id
        return [_order(doc) async for doc in self._orders.find(query)]

    async def open_order_for(self, subject: PaymentSubject) -> PaymentOrder | None:
        """The item's unpaid order, if one was opened."""
        doc = await self._orders.find_one({"open_item": subject.key})
        return None if doc is None else _order(doc)

    async def close(self, order_id: str) -> bool:
        """Pending → closed; False if it was paid meanwhile (then it needs a refund)."""
        result = await self._orders.update_one(
            {"_id": order_id, "state": PaymentState.PENDING.value},
            {"$set": {"state": PaymentState.CLOSED.value}, "$unset": {"open_item": ""}},
        )
        return result.modified_count == 1

    async def flag_refund(self, order_id: str) -> None:
        """Paid, but the item was gone (cancelled, expired): the money must go back."""
        await self._orders.update_one({"_id": order_id}, {"$set": {"refund_due": True}})

    async def paid_for(self, subject: PaymentSubject) -> PaymentOrder | None:
        """The paid order of an item, if any."""
        doc = await self._orders.find_one(
            {**_subject_filter(subject), "state": PaymentState.PAID.value}
        )
        return None if doc is None else _order(doc)


def _order(doc: Document) -> PaymentOrder:
    return PaymentOrder(
        id=str(doc["_id"]),
        citizen_id=str(doc["citizen_id"]),
        subject=PaymentSubject(
            kind=PaymentKind(doc["kind"]),
            provider=str(doc["provider"]),
            item_id=str(doc["item_id"]),
        ),
        patient_id=doc.get("patient_id"),
        amount_fen=int(doc["amount_fen"]),
        channel=str(doc["channel"]),
        state=PaymentState(doc["state"]),
        prepay_id=doc.get("prepay_id"),
        pay_params=doc.get("pay_params"),
        transaction_id=doc.get("transaction_id"),
        paid_at=doc.get("paid_at"),
        fulfilled=bool(doc.get("fulfilled")),
        refund_due=bool(doc.get("refund_due")),
        created_at=doc["created_at"],
    )
