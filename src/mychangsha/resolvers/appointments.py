"""What the appointment fields mean: booking, cancelling, listing and the live queue.

The hospital decides every booking. The graph records the attempt (keyed by the citizen's
idempotency key, guarded against a second booking with the same doctor that day), asks the
hospital with a conditional create that cannot book twice, and reports success only with the
hospital's Appointment in hand. A retry with the same key, concurrent or later, ends in the
same appointment.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date

from strawberry import relay

from mychangsha.context import Context
from mychangsha.errors import BadUserInput, NotFound
from mychangsha.integrations.errors import UpstreamError, UpstreamNotFound
from mychangsha.integrations.hospital.client import CancellationClosed, SlotFull
from mychangsha.integrations.hospital.models import Appointment, AppointmentStatus, QueuePosition
from mychangsha.platform.clock import CHANGSHA
from mychangsha.resolvers.billing import close_orders_of_cancelled_bills
from mychangsha.resolvers.budget import Budget
from mychangsha.resolvers.hospital_ids import HospitalRef, ref_of
from mychangsha.resolvers.hospitals import hospital_client
from mychangsha.resolvers.idempotency import KEY_RULE, is_valid_key
from mychangsha.resolvers.identity import current_citizen
from mychangsha.resolvers.patients import patient_for, patients_of
from mychangsha.storage.bookings import Booking, BookingState, KeyReused, SameDayConflict

# --- outcomes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Booked:
    """The hospital confirmed the appointment."""

    appointment: Appointment


@dataclass(frozen=True)
class Unavailable:
    """The slot has no place left (or is not bookable)."""


@dataclass(frozen=True)
class Conflict:
    """The patient already has an appointment with this doctor that day."""


@dataclass(frozen=True)
class Invalid:
    """An argument is malformed."""

    field: str
    message: str


@dataclass(frozen=True)
class Closed:
    """The hospital no longer accepts cancellation."""


def hospital_booking_key(booking: Booking) -> str:
    """What the hospital sees as the booking's identifier: stable, opaque, not the citizen's."""
    return hashlib.sha256(booking.id.encode()).hexdigest()[:40]


async def book(
    context: Context, *, slot_id: relay.GlobalID, patient_id: relay.GlobalID, idempotency_key: str
) -> Booked | Unavailable | Conflict | Invalid:
    """Book a slot for the citizen or a family member (level 2; see resolvers.patients)."""
    if not is_valid_key(idempotency_key):
        return Invalid("input.idempotencyKey", KEY_RULE)
    slot_ref = ref_of(slot_id, "Slot", field="input.slotId")
    patient = await patient_for(context, patient_id)
    citizen = await current_citizen(context)
    services = context.services
    client = await hospital_client(services, slot_ref.hospital_code)
    try:
        slot = await client.slot(slot_ref.fhir_id)
    except UpstreamNotFound:
        return Invalid("input.slotId", "No such slot.")
    if slot.remaining == 0 and not await services.bookings.attempted(citizen.id, idempotency_key):
        # A stampede's losers: refused before anything is written or the hospital is asked
        # to book. The hospital's own count stays the authority for everyone else.
        return Unavailable()
    doctor = await services.hospitals.doctor_by_schedule(slot_ref.hospital_code, slot.schedule_id)
    if doctor is None:
        return Invalid("input.slotId", "The slot's doctor is unknown here.")
    day = slot.start.astimezone(CHANGSHA).date()
    try:
        booking = await services.bookings.claim(
            citizen_id=citizen.id,
            idempotency_key=idempotency_key,
            hospital_code=slot_ref.hospital_code,
            doctor_id=doctor.id,
            slot_id=slot.id,
            patient_id=patient.id,
            day=day,
        )
    except KeyReused:
        return Invalid("input.idempotencyKey", "This key was used for a different booking.")
    except SameDayConflict:
        return Conflict()
    if booking.state is BookingState.FAILED:
        return Unavailable()  # the key's first answer stands
    try:
        appointment = await client.book(
            slot_id=slot.id,
            doctor_id=doctor.id,
            patient_id=patient.id,
            patient_name=patient.name,
            booking_key=hospital_booking_key(booking),
        )
    except SlotFull:
        await services.bookings.settle(booking.id, BookingState.FAILED)
        return Unavailable()
    # Upstream errors leave the booking pending: a retry with the same key settles it.
    await services.bookings.settle(booking.id, BookingState.BOOKED, appointment.id)
    await client.invalidate_slots([slot.schedule_id], day)
    return Booked(appointment)


async def _owned_booking(context: Context, appointment: HospitalRef) -> Booking:
    """The caller's booking behind an appointment; NOT_FOUND for anyone else's."""
    citizen = await current_citizen(context)
    booking = await context.services.bookings.by_appointment(
        appointment.hospital_code, appointment.fhir_id
    )
    if booking is None or booking.citizen_id != citizen.id:
        raise NotFound("No such appointment.")
    return booking


async def cancel(context: Context, appointment_id: relay.GlobalID) -> Appointment | Closed:
    """Cancel before the hospital's cut-off; the place goes back to the slot."""
    target = ref_of(appointment_id, "Appointment", field="id")
    booking = await _owned_booking(context, target)
    client = await hospital_client(context.services, target.hospital_code)
    try:
        appointment = await client.cancel(target.fhir_id)
    except CancellationClosed:
        return Closed()
    await context.services.bookings.settle(booking.id, BookingState.CANCELLED)
    slot = await client.slot(booking.slot_id)
    await client.invalidate_slots([slot.schedule_id], booking.day)
    await close_orders_of_cancelled_bills(
        context.services, target.hospital_code, booking.patient_id
    )
    return appointment


async def appointment(context: Context, appointment_id: HospitalRef) -> Appointment:
    """One of the caller's appointments, live from the hospital."""
    await _owned_booking(context, appointment_id)
    client = await hospital_client(context.services, appointment_id.hospital_code)
    return await client.appointment(appointment_id.fhir_id)


@dataclass(frozen=True)
class AppointmentEntry:
    """One row of `myAppointments`: the appointment, or why its hospital could not say."""

    booking: Booking
    appointment: Appointment | None
    error: UpstreamError | None


async def my_appointments(
    context: Context, *, status: AppointmentStatus | None, day: date | None = None
) -> list[AppointmentEntry]:
    """Every appointment booked through the graph for the caller and their family (on a day).

    One search per hospital involved, all at once; a hospital that fails, or has not
    answered when the answer budget is spent, costs its own rows (each carrying the error),
    never the list.
    """
    patients = await patients_of(context)
    services = context.services
    bookings = await services.bookings.booked_for([p.id for p in patients])
    if day is not None:
        bookings = [b for b in bookings if b.day == day]
    by_hospital: dict[str, list[Booking]] = {}
    for booking in bookings:
        by_hospital.setdefault(booking.hospital_code, []).append(booking)

    async def fetch(code: str, rows: Sequence[Booking]) -> dict[str, Appointment]:
        client = await hospital_client(services, code)
        found = await client.appointments_for(sorted({b.patient_id for b in rows}))
        return {a.id: a for a in found}

    codes = list(by_hospital)
    budget = Budget.for_answer(context)
    results = await asyncio.gather(
        *(budget.run(f"hospital-{code}", fetch(code, by_hospital[code])) for code in codes),
        return_exceptions=True,
    )
    entries: list[AppointmentEntry] = []
    for code, result in zip(codes, results, strict=True):
        for booking in by_hospital[code]:
            if isinstance(result, UpstreamError):
                entries.append(AppointmentEntry(booking, None, result))
            elif isinstance(result, BaseException):
                raise result
            else:
                live = result.get(booking.appointment_id or "")
                if live is not None and (status is None or live.status is status):
                    entries.append(AppointmentEntry(booking, live, None))
    entries.sort(key=lambda e: (e.booking.day, e.booking.created_at), reverse=True)
    return entries


async def queue_updates(
    context: Context, appointment_id: relay.GlobalID
) -> AsyncIterator[QueuePosition]:
    """Today's queue position of one of the caller's appointments, each time it changes."""
    target = ref_of(appointment_id, "Appointment", field="appointmentId")
    await _owned_booking(context, target)
    client = await hospital_client(context.services, target.hospital_code)
    interval = context.services.settings.queue_poll_seconds
    last: QueuePosition | None = None
    while True:
        position = await client.queue(target.fhir_id)
        if position != last:
            yield position
            last = position
        if position.status in ("done", "not-today"):
            return
        await asyncio.sleep(interval)


def validate_status(status: str | None) -> AppointmentStatus | None:
    """The status filter as the domain's enum."""
    if status is None:
        return None
    try:
        return AppointmentStatus(status)
    except ValueError as exc:
        raise BadUserInput("Unknown appointment status.", field="status") from exc
