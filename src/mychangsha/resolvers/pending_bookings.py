"""Bookings a failure left half way are finished, not forgotten.

A booking is claimed in MongoDB (pending), then made at the hospital, then settled. When the
graph fails between the last two (MongoDB away, the process killed) the hospital may hold an
appointment the citizen was never told about, and the pending claim keeps the patient's day
with that doctor. The citizen's retry with the same key finishes it; when no retry comes
within the grace period, this job does what that retry would: the hospital's conditional
create with the booking's own key returns the appointment it made (or makes it, if the first
request never arrived), and a full slot releases the claim. The citizen's cached answers end
either way, so `myAppointments` and the home screen show the outcome.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from mychangsha.cache.responses import forget_private_answers
from mychangsha.integrations.errors import UpstreamError
from mychangsha.integrations.hospital.client import SlotFull
from mychangsha.platform.clock import utc_now
from mychangsha.resolvers.appointments import hospital_booking_key
from mychangsha.resolvers.hospitals import hospital_client
from mychangsha.services import Services
from mychangsha.storage.bookings import Booking, BookingState

log = logging.getLogger(__name__)


async def finish_pending_bookings(services: Services, *, now: datetime | None = None) -> int:
    """Finish every booking pending for longer than the grace period; how many were."""
    grace = timedelta(seconds=services.settings.booking_pending_grace_seconds)
    cutoff = (now or utc_now()) - grace
    finished = 0
    for booking in await services.bookings.pending_before(cutoff):
        try:
            state = await _finish(services, booking)
        except UpstreamError as exc:  # the hospital is away: the next period tries again
            log.warning("pending booking %s not finished yet: %s", booking.id, exc)
            continue
        log.info("pending booking %s finished as %s", booking.id, state.value)
        await forget_private_answers(services.response_cache, booking.citizen_id)
        finished += 1
    return finished


async def _finish(services: Services, booking: Booking) -> BookingState:
    name = await _patient_name(services, booking.patient_id)
    if name is None:  # the patient left the family meanwhile: nobody to book for
        await services.bookings.settle(booking.id, BookingState.FAILED)
        return BookingState.FAILED
    client = await hospital_client(services, booking.hospital_code)
    try:
        appointment = await client.book(
            slot_id=booking.slot_id,
            doctor_id=booking.doctor_id,
            patient_id=booking.patient_id,
            patient_name=name,
            booking_key=hospital_booking_key(booking),
        )
    except SlotFull:
        await services.bookings.settle(booking.id, BookingState.FAILED)
        return BookingState.FAILED
    await services.bookings.settle(booking.id, BookingState.BOOKED, appointment.id)
    return BookingState.BOOKED


async def _patient_name(services: Services, patient_id: str) -> str | None:
    """The name the hospital knows the patient by: a citizen's or a family member's."""
    citizens = services.identity.citizens
    citizen = (await citizens.by_ids([patient_id])).get(patient_id)
    if citizen is not None:
        return citizen.name or ""
    member = (await citizens.family_members_by_ids([patient_id])).get(patient_id)
    return None if member is None else member.name
