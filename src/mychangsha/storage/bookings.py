"""The graph's record of the appointments citizens booked through it.

The hospital is the source of truth for an appointment; this record says where to look (which
hospital, which patient) so `myAppointments` asks only the hospitals involved, and holds the
idempotency key so a retried booking finds its first attempt. A booking is recorded as
`pending` before the hospital is asked and `booked` once it confirmed; the record's id is
(citizen, idempotency key), so concurrent retries share one record.

One patient may hold one appointment per doctor and day. That rule is a guard document keyed
by (patient, hospital, doctor, day), inserted before the hospital is asked: of two racing
bookings only one can insert it. Doctor and slot ids are each hospital's own, so the hospital
code is part of every key built from them: two hospitals may both have a `role-respiratory-2`.
Failing or cancelling a booking removes its guard.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document


class BookingState(enum.Enum):
    """Where a booking stands on our side."""

    PENDING = "pending"  # the hospital was (or is being) asked
    BOOKED = "booked"  # the hospital confirmed
    FAILED = "failed"  # the hospital refused (slot full)
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Booking:
    """One booking attempt, keyed by the citizen's idempotency key."""

    id: str
    citizen_id: str
    idempotency_key: str
    hospital_code: str
    doctor_id: str
    slot_id: str
    patient_id: str
    day: date
    state: BookingState
    appointment_id: str | None
    created_at: datetime


class SameDayConflict(Exception):
    """The patient already has a booking with this doctor on this day."""


class KeyReused(Exception):
    """The idempotency key was used before for a different booking."""


def same_day_guard_id(patient_id: str, hospital_code: str, doctor_id: str, day: date) -> str:
    """The key of the one-doctor-a-day rule; the doctor's id is only unique within its hospital."""
    return f"{patient_id}:{hospital_code}:{doctor_id}:{day.isoformat()}"


class BookingRepository:
    """Bookings by citizen, key and patient."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._bookings: AsyncCollection[Document] = db.get_collection("bookings")
        self._guards: AsyncCollection[Document] = db.get_collection("booking_guards")

    async def ensure_indexes(self) -> None:
        """Records are keyed by (citizen, key) in `_id`; look-ups by patient, appointment, day."""
        await self._bookings.create_index([("patient_id", ASCENDING), ("day", ASCENDING)])
        await self._bookings.create_index(
            [("hospital_code", ASCENDING), ("appointment_id", ASCENDING)]
        )
        await self._bookings.create_index([("day", ASCENDING), ("state", ASCENDING)])
        await self._bookings.create_index([("created_at", ASCENDING)])

    async def attempted(self, citizen_id: str, idempotency_key: str) -> bool:
        """Whether this key was used before (its first answer must then be repeated)."""
        found = await self._bookings.find_one(
            {"_id": f"{citizen_id}:{idempotency_key}"}, projection={"_id": 1}
        )
        return found is not None

    async def claim(
        self,
        *,
        citizen_id: str,
        idempotency_key: str,
        hospital_code: str,
        doctor_id: str,
        slot_id: str,
        patient_id: str,
        day: date,
    ) -> Booking:
        """The booking for this key, new or from an earlier attempt with the same key.

        Raises SameDayConflict when another booking holds the patient's day with the doctor,
        and KeyReused when the key belongs to a different slot or patient.
        """
        booking_id = f"{citizen_id}:{idempotency_key}"
        existing = await self._bookings.find_one({"_id": booking_id})
        if existing is not None:
            earlier = _booking(existing)
            if (earlier.hospital_code, earlier.slot_id, earlier.patient_id) != (
                hospital_code,
                slot_id,
                patient_id,
            ):
                raise KeyReused
            return earlier
        guard_id = same_day_guard_id(patient_id, hospital_code, doctor_id, day)
        try:
            await self._guards.insert_one({"_id": guard_id, "booking_id": booking_id})
        except DuplicateKeyError:
            guard = await self._guards.find_one({"_id": guard_id})
            if guard is None or guard["booking_id"] != booking_id:
                raise SameDayConflict from None
        doc: Document = {
            "_id": f"{citizen_id}:{idempotency_key}",
            "citizen_id": citizen_id,
            "idempotency_key": idempotency_key,
            "hospital_code": hospital_code,
            "doctor_id": doctor_id,
            "slot_id": slot_id,
            "patient_id": patient_id,
            "day": day.isoformat(),
            "state": BookingState.PENDING.value,
            "appointment_id": None,
            "created_at": utc_now(),
        }
        doc["_id"] = booking_id
        doc["guard_id"] = guard_id
        try:
            await self._bookings.insert_one(doc)
        except DuplicateKeyError:  # a concurrent retry with the same key inserted it first
            raced = await self._bookings.find_one({"_id": booking_id})
            if raced is None:
                raise
            return _booking(raced)
        return _booking(doc)

    async def settle(
        self, booking_id: str, state: BookingState, appointment_id: str | None = None
    ) -> Booking:
        """Record what the hospital answered; a failed or cancelled booking frees the day."""
        update: Document = {"state": state.value}
        if appointment_id is not None:
            update["appointment_id"] = appointment_id
        doc = await self._bookings.find_one_and_update(
            {"_id": booking_id}, {"$set": update}, return_document=ReturnDocument.AFTER
        )
        if doc is None:
            raise LookupError(booking_id)
        if state in (BookingState.FAILED, BookingState.CANCELLED):
            await self._guards.delete_one({"_id": doc.get("guard_id"), "booking_id": booking_id})
        return _booking(doc)

    async def pending_before(self, cutoff: datetime, limit: int = 100) -> list[Booking]:
        """Bookings still pending that were claimed before `cutoff`, oldest first."""
        cursor = (
            self._bookings.find(
                {"state": BookingState.PENDING.value, "created_at": {"$lt": cutoff}}
            )
            .sort("created_at", ASCENDING)
            .limit(limit)
        )
        return [_booking(doc) async for doc in cursor]

    async def by_appointment(self, hospital_code: str, appointment_id: str) -> Booking | None:
        """The booking behind a hospital's appointment."""
        doc = await self._bookings.find_one(
            {"hospital_code": hospital_code, "appointment_id": appointment_id}
        )
        return None if doc is None else _booking(doc)

    async def booked_for(self, patient_ids: Sequence[str]) -> list[Booking]:
        """Bookings the hospitals confirmed for these patients (cancelled ones included)."""
        cursor = self._bookings.find(
            {"patient_id": {"$in": list(patient_ids)}, "appointment_id": {"$ne": None}}
        ).sort("created_at", -1)
        return [_booking(doc) async for doc in cursor]

    async def booked_on(self, day: date) -> list[Booking]:
        """Every booking the hospitals confirmed for a day and nobody cancelled: reminders."""
        cursor = self._bookings.find(
            {"day": day.isoformat(), "state": BookingState.BOOKED.value}
        ).sort("_id", ASCENDING)
        return [_booking(doc) async for doc in cursor]

    async def booked_since(self, since: datetime) -> list[Booking]:
        """Confirmed bookings made since a moment: whose bills are worth asking about."""
        cursor = self._bookings.find(
            {"created_at": {"$gte": since}, "appointment_id": {"$ne": None}}
        ).sort("_id", ASCENDING)
        return [_booking(doc) async for doc in cursor]

    async def hospitals_for(self, patient_ids: Sequence[str]) -> dict[str, set[str]]:
        """Which patients booked at which hospitals: the hospitals `myAppointments` must ask."""
        out: dict[str, set[str]] = {}
        cursor = self._bookings.find(
            {"patient_id": {"$in": list(patient_ids)}, "appointment_id": {"$ne": None}},
            {"hospital_code": 1, "patient_id": 1},
        )
        async for doc in cursor:
            out.setdefault(str(doc["hospital_code"]), set()).add(str(doc["patient_id"]))
        return out


def _booking(doc: Document) -> Booking:
    return Booking(
        id=str(doc["_id"]),
        citizen_id=str(doc["citizen_id"]),
        idempotency_key=str(doc["idempotency_key"]),
        hospital_code=str(doc["hospital_code"]),
        doctor_id=str(doc["doctor_id"]),
        slot_id=str(doc["slot_id"]),
        patient_id=str(doc["patient_id"]),
        day=date.fromisoformat(str(doc["day"])),
        state=BookingState(doc["state"]),
        appointment_id=doc.get("appointment_id"),
        created_at=doc["created_at"],
    )
