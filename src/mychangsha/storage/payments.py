"""Payment orders for hospital bills, and the exactly-once transition to paid.

One order per bill and attempt window: paying the same unpaid bill again returns the open
order instead of charging twice. A verified notification moves an order from `pending` to
`paid` with one conditional update; duplicates, late and out-of-order notifications find it
already paid and change nothing. Telling the hospital is a separate, retryable step whose
completion is recorded, so a crash between the two is repaired by the next notification or
query.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from mychangsha.storage.mongo import Document


class PaymentState(enum.Enum):
    """Where a payment order stands."""

    PENDING = "pending"
    PAID = "paid"
    CLOSED = "closed"  # the bill went away (cancelled) before it was paid


@dataclass(frozen=True)
class PaymentOrder:
    """An order at the payment gateway for one bill."""

    id: str  # our out_trade_no
    citizen_id: str
    hospital_code: str
    bill_id: str
    patient_id: str
    amount_fen: int
    channel: str
    state: PaymentState
    prepay_id: str | None
    pay_params: dict[str, str] | None
    transaction_id: str | None
    paid_at: datetime | None
    hospital_notified: bool
    refund_due: bool  # paid for a bill the hospital had cancelled: money must go back
    created_at: datetime


class PaymentRepository:
    """Orders by id and by bill."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._orders: AsyncCollection[Document] = db.get_collection("payment_orders")

    async def ensure_indexes(self) -> None:
        """At most one open order per bill."""
        await self._orders.create_index([("open_bill", ASCENDING)], unique=True, sparse=True)
        await self._orders.create_index([("hospital_code", ASCENDING), ("bill_id", ASCENDING)])

    async def open_order(
        self,
        *,
        citizen_id: str,
        hospital_code: str,
        bill_id: str,
        patient_id: str,
        amount_fen: int,
        channel: str,
    ) -> tuple[PaymentOrder, bool]:
        """The bill's open order, created if there is none; whether this call created it."""
        open_bill = f"{hospital_code}/{bill_id}"
        doc: Document = {
            "_id": f"MC{datetime.now(UTC):%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}",
            "citizen_id": citizen_id,
            "hospital_code": hospital_code,
            "bill_id": bill_id,
            "open_bill": open_bill,
            "patient_id": patient_id,
            "amount_fen": amount_fen,
            "channel": channel,
            "state": PaymentState.PENDING.value,
            "prepay_id": None,
            "pay_params": None,
            "transaction_id": None,
            "paid_at": None,
            "hospital_notified": False,
            "created_at": datetime.now(UTC),
        }
        try:
            await self._orders.insert_one(doc)
            return _order(doc), True
        except DuplicateKeyError:
            existing = await self._orders.find_one({"open_bill": open_bill})
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
                "$unset": {"open_bill": ""},
            },
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _order(doc)

    async def mark_hospital_notified(self, order_id: str) -> None:
        """The hospital knows the bill is paid."""
        await self._orders.update_one({"_id": order_id}, {"$set": {"hospital_notified": True}})

    async def open_orders_of(self, hospital_code: str, patient_id: str) -> list[PaymentOrder]:
        """Unpaid orders of a patient at a hospital (to close those whose bill was cancelled)."""
        cursor = self._orders.find(
            {
                "hospital_code": hospital_code,
                "patient_id": patient_id,
                "state": PaymentState.PENDING.value,
            }
        )
        return [_order(doc) async for doc in cursor]

    async def close(self, order_id: str) -> bool:
        """Pending → closed; False if it was paid meanwhile (then it needs a refund)."""
        result = await self._orders.update_one(
            {"_id": order_id, "state": PaymentState.PENDING.value},
            {"$set": {"state": PaymentState.CLOSED.value}, "$unset": {"open_bill": ""}},
        )
        return result.modified_count == 1

    async def flag_refund(self, order_id: str) -> None:
        """Paid, but the hospital refuses the payment (bill cancelled): money must go back."""
        await self._orders.update_one({"_id": order_id}, {"$set": {"refund_due": True}})

    async def paid_for_bill(self, hospital_code: str, bill_id: str) -> PaymentOrder | None:
        """The paid order of a bill, if any."""
        doc = await self._orders.find_one(
            {
                "hospital_code": hospital_code,
                "bill_id": bill_id,
                "state": PaymentState.PAID.value,
            }
        )
        return None if doc is None else _order(doc)


def _order(doc: Document) -> PaymentOrder:
    return PaymentOrder(
        id=str(doc["_id"]),
        citizen_id=str(doc["citizen_id"]),
        hospital_code=str(doc["hospital_code"]),
        bill_id=str(doc["bill_id"]),
        patient_id=str(doc["patient_id"]),
        amount_fen=int(doc["amount_fen"]),
        channel=str(doc["channel"]),
        state=PaymentState(doc["state"]),
        prepay_id=doc.get("prepay_id"),
        pay_params=doc.get("pay_params"),
        transaction_id=doc.get("transaction_id"),
        paid_at=doc.get("paid_at"),
        hospital_notified=bool(doc.get("hospital_notified")),
        refund_due=bool(doc.get("refund_due")),
        created_at=doc["created_at"],
    )
