"""Booking rules: taking a numbered place, idempotency, cancelling, paying a bill.

The hospital is the source of truth for its inventory, so these functions are the only place
a place is taken or freed. They are synchronous and called under the simulator's lock: a
check-then-take never interleaves with another request, so 200 racers on a 2-place slot get
exactly 2 appointments and 198 conflicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import unquote

from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.invoice import Invoice
from pydantic import ValidationError

from mychangsha.simulators.base import describe_validation_error
from mychangsha.simulators.hospital.fhir import BOOKING_SYSTEM, PATIENT_SYSTEM, FhirError
from mychangsha.simulators.hospital.records import (
    AppointmentRecord,
    InvoiceRecord,
    Patient,
    new_id,
)
from mychangsha.simulators.hospital.reports import add_report
from mychangsha.simulators.hospital.search import bad_request, reference_id
from mychangsha.simulators.hospital.state import Hospital


def business_rule(diagnostics: str) -> FhirError:
    """A 422: the request is well-formed but the hospital's rules refuse it."""
    return FhirError(422, "business-rule", diagnostics)


@dataclass(frozen=True, slots=True)
class BookingRequest:
    """What a POSTed Appointment asks for."""

    slot_id: str
    booking_key: str | None
    patient: Patient
    role_id: str | None


def parse_appointment(body: dict[str, object]) -> Appointment:
    """The body as an R4B Appointment, or a 400 naming what is wrong."""
    try:
        return Appointment.model_validate(body)
    except ValidationError as exc:
        raise bad_request(f"invalid Appointment: {describe_validation_error(exc)}") from exc


def booking_request(model: Appointment) -> BookingRequest:
    """The slot, booking key, patient and (optional) doctor of a new Appointment."""
    if model.status != "booked":
        raise bad_request("a new Appointment must have status 'booked'")
    slots = model.slot or []
    if len(slots) != 1 or slots[0].reference is None:
        raise bad_request("a new Appointment must reference exactly one Slot")
    slot_id = reference_id(slots[0].reference, "Slot")
    if slot_id is None:
        raise bad_request(f"not a Slot reference: {slots[0].reference!r}")
    keys = [i.value for i in model.identifier or [] if i.system == BOOKING_SYSTEM and i.value]
    if len(keys) > 1:
        raise bad_request(f"at most one {BOOKING_SYSTEM} identifier")
    patients: list[Patient] = []
    role_id = None
    for participant in model.participant:
        actor = participant.actor
        if actor is None:
            continue
        ident = actor.identifier
        if ident is not None and ident.system == PATIENT_SYSTEM and ident.value:
            patients.append(Patient(ident.value, actor.display))
        elif actor.reference is not None and actor.reference.startswith("PractitionerRole/"):
            role_id = reference_id(actor.reference, "PractitionerRole")
    if len(patients) != 1:
        raise bad_request(f"exactly one participant must be identified by {PATIENT_SYSTEM}")
    return BookingRequest(slot_id, keys[0] if keys else None, patients[0], role_id)


def condition_key(header: str) -> str:
    """The booking key of `If-None-Exist: identifier=urn:mychangsha:booking|KEY`."""
    name, _, raw = header.partition("=")
    value = unquote(raw)
    system, bar, key = value.partition("|")
    if name.strip() != "identifier" or "&" in raw or not bar or system != BOOKING_SYSTEM or not key:
        raise bad_request(
            f"If-None-Exist supports only identifier={BOOKING_SYSTEM}|KEY, got {header!r}"
        )
    return key


def existing(hospital: Hospital, booking_key: str) -> AppointmentRecord | None:
    """The appointment made with this key, if any (whatever its status)."""
    appointment_id = hospital.book.by_booking_key.get(booking_key)
    return None if appointment_id is None else hospital.book.appointments[appointment_id]


def book(hospital: Hospital, request: BookingRequest, now: datetime) -> AppointmentRecord:
    """Take the lowest free number of the slot, bill the fee and issue a lab report."""
    view = hospital.slot(request.slot_id, now)
    if view is None:
        raise FhirError(422, "not-found", f"Slot/{request.slot_id} is not known")
    if not hospital.is_published(view.key, now) or view.ended:
        raise business_rule(f"Slot/{request.slot_id} is not bookable now")
    if request.role_id is not None and request.role_id != view.doctor.role_id:
        raise business_rule(f"Slot/{request.slot_id} is not PractitionerRole/{request.role_id}'s")
    if request.booking_key is not None and request.booking_key in hospital.book.by_booking_key:
        raise FhirError(409, "duplicate", f"booking {request.booking_key} already exists")
    taken = hospital.book.taken(view.key.id)
    number = next((n for n in range(1, view.capacity + 1) if n not in taken), None)
    if number is None:
        raise FhirError(409, "conflict", f"Slot/{view.key.id} is full")
    taken.add(number)
    doctor = view.doctor
    appointment_id = new_id()
    bill = InvoiceRecord(
        id=new_id(),
        bill_number=hospital.next_bill_number(now),
        patient=request.patient,
        description=f"挂号费 · {doctor.department.info.name} {doctor.name}（{doctor.title}）",
        amount_fen=doctor.fee_fen,
        created=now,
        updated=now,
        appointment_id=appointment_id,
    )
    record = AppointmentRecord(
        appointment_id, view.key, request.booking_key, request.patient, number, now, now, bill.id
    )
    hospital.book.invoices[bill.id] = bill
    hospital.book.appointments[record.id] = record
    if request.booking_key is not None:
        hospital.book.by_booking_key[request.booking_key] = record.id
    add_report(hospital, request.patient, "lab", now)
    return record


def check_version(if_match: str | None, version: int) -> None:
    """Optimistic locking: `If-Match: W/"n"` must name the current version (412 if not)."""
    if if_match is None:
        return
    wanted = if_match.strip().removeprefix("W/").strip('"')
    if wanted != str(version):
        raise FhirError(412, "conflict", f"version {wanted} is not current ({version})")


def update_appointment(
    hospital: Hospital, record: AppointmentRecord, model: Appointment, now: datetime
) -> bool:
    """Apply a PUT: only `booked` -> `cancelled` changes anything; True when it did."""
    if model.status is None:
        raise bad_request("an Appointment needs a status")
    if model.status == record.status:
        return False
    if model.status != "cancelled" or record.status != "booked":
        raise business_rule(f"cannot change an appointment from {record.status} to {model.status}")
    if now >= record.key.cancel_deadline:
        raise business_rule("appointments cannot be cancelled after 18:00 the day before")
    hospital.book.taken(record.key.id).discard(record.number)
    record.status = "cancelled"
    reason = model.cancelationReason
    record.cancellation_reason = reason.text if reason is not None else None
    record.updated = now
    record.version += 1
    bill = hospital.book.invoices.get(record.invoice_id)
    if bill is not None and bill.status == "issued":
        bill.status = "cancelled"
        bill.updated = now
        bill.version += 1
    return True


def parse_invoice(body: dict[str, object]) -> Invoice:
    """The body as an R4B Invoice, or a 400."""
    try:
        return Invoice.model_validate(body)
    except ValidationError as exc:
        raise bad_request(f"invalid Invoice: {describe_validation_error(exc)}") from exc


def update_invoice(record: InvoiceRecord, model: Invoice, now: datetime) -> bool:
    """Apply a PUT: only `issued` -> `balanced` (with paymentTerms); True when it changed."""
    if model.status is None:
        raise bad_request("an Invoice needs a status")
    if model.status == record.status:
        return False
    if model.status != "balanced" or record.status != "issued":
        raise business_rule(f"cannot change an invoice from {record.status} to {model.status}")
    if not model.paymentTerms:
        raise bad_request("balancing an Invoice needs paymentTerms (the payment id)")
    record.status = "balanced"
    record.payment_terms = model.paymentTerms
    record.updated = now
    record.version += 1
    return True
