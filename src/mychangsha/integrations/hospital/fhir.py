"""FHIR R4 JSON ⇄ the hospital domain, through the fhir.resources R4B models.

Every body a hospital sends is validated into a typed model first (`Bundle.model_validate`,
`Appointment.model_validate` …) and only then mapped, so a field the profile
(docs/fhir-profile.md) does not promise is never read by accident and a malformed resource
fails here, loudly, as `FhirMappingError` — the client turns that into an upstream error.
Builders go the other way: they construct R4B models and serialise them, so what we send is
valid FHIR by construction.

Money arrives in yuan as FHIR decimals and leaves here as integer fen, computed with
`Decimal` (fhir.resources parses decimals as `Decimal`; a float never touches money).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from fhir.resources.R4B.address import Address
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.appointment import AppointmentParticipant
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.chargeitem import ChargeItem
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.extension import Extension
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.identifier import Identifier
from fhir.resources.R4B.invoice import Invoice, InvoiceLineItem, InvoiceLineItemPriceComponent
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.money import Money
from fhir.resources.R4B.observation import Observation as FhirObservation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.parameters import Parameters
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.quantity import Quantity
from fhir.resources.R4B.reference import Reference
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot as FhirSlot
from pydantic import ValidationError

from mychangsha.geo import GeoPoint
from mychangsha.integrations.hospital.models import (
    Appointment,
    AppointmentStatus,
    Bill,
    BillLine,
    BillStatus,
    Department,
    Doctor,
    Hospital,
    Observation,
    QueuePosition,
    Report,
    ReportCategory,
    Slot,
    SlotStatus,
)
from mychangsha.platform.clock import CHANGSHA

__all__ = [
    "BOOKING_SYSTEM",
    "EXT_BOOKED",
    "EXT_CAPACITY",
    "EXT_FEE",
    "EXT_QUEUE_NUMBER",
    "FHIR_JSON",
    "HOSPITAL_SYSTEM",
    "PATIENT_SYSTEM",
    "FhirMappingError",
    "appointment_from",
    "appointment_request",
    "balanced_invoice",
    "bill_from",
    "booking_condition",
    "cancelled",
    "charge_items_needed",
    "day_bounds",
    "department_from",
    "doctor_from",
    "fhir_instant",
    "hospital_from",
    "identifier_token",
    "next_link",
    "observation_from",
    "outcome_message",
    "pages",
    "parse",
    "queue_from",
    "reference_id",
    "relative_link",
    "report_from",
    "resources_of",
    "schedule_ids_by_role",
    "slot_from",
    "version_of",
    "yuan_to_fen",
]

FHIR_JSON = "application/fhir+json"
HOSPITAL_SYSTEM = "urn:mychangsha:hospital"
PATIENT_SYSTEM = "urn:mychangsha:patient"
BOOKING_SYSTEM = "urn:mychangsha:booking"
_EXT = "http://mychangsha.cn/fhir/StructureDefinition/"
EXT_FEE = _EXT + "registration-fee"
EXT_CAPACITY = _EXT + "slot-capacity"
EXT_BOOKED = _EXT + "slot-booked"
EXT_QUEUE_NUMBER = _EXT + "queue-number"
CURRENCY = "CNY"

R = TypeVar("R", bound=Resource)

_FEN = Decimal(100)
_PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?$")
_APPOINTMENT_STATUS = {
    "booked": AppointmentStatus.BOOKED,
    "cancelled": AppointmentStatus.CANCELLED,
    "fulfilled": AppointmentStatus.FULFILLED,
    "noshow": AppointmentStatus.NOSHOW,
    "arrived": AppointmentStatus.ARRIVED,
    "checked-in": AppointmentStatus.ARRIVED,
    "entered-in-error": AppointmentStatus.CANCELLED,
}
_SUBTRACTED_PRICE_TYPES = frozenset({"discount", "deduction"})


class FhirMappingError(ValueError):
    """A body is not the FHIR the profile promises; the hospital, not the citizen, is at fault."""


# --- parsing ------------------------------------------------------------------------------------


def parse(model: type[R], body: Any) -> R:
    """Validate a JSON body into one R4B resource model, or fail with FhirMappingError."""
    if not isinstance(body, dict):
        raise FhirMappingError(f"expected a {model.__name__} object, got {type(body).__name__}")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise FhirMappingError(f"invalid {model.__name__}: {_first_error(exc)}") from exc


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "body"
    return f"{where}: {error['msg']} ({exc.error_count()} error(s))"


def resources_of(bundle: Bundle, kind: type[R]) -> list[R]:
    """The bundle's resources of one type, in the server's order (matches and includes alike)."""
    return [e.resource for e in bundle.entry or () if isinstance(e.resource, kind)]


def next_link(bundle: Bundle) -> str | None:
    """The searchset's `next` page link, if the server cut the result."""
    for link in bundle.link or ():
        if link.relation == "next" and link.url:
            return str(link.url)
    return None


def relative_link(link: str, base_url: str) -> str:
    """A server's page link as a path under our base URL, keeping its query byte for byte.

    Links are opaque: the query is never re-encoded. The host is ignored (servers behind a
    proxy often report an internal one), but the path must lie under the FHIR base.
    """
    target, base = urlsplit(link), urlsplit(base_url)
    base_path = base.path.rstrip("/")
    if target.scheme and not target.path.startswith(base_path + "/"):
        raise FhirMappingError(f"page link {link!r} is outside the FHIR base {base_url!r}")
    path = target.path[len(base_path) :] if target.scheme else target.path
    return path.lstrip("/") + (f"?{target.query}" if target.query else "")


async def pages(
    first: Callable[[], Awaitable[Any]], following: Callable[[str], Awaitable[Any]]
) -> AsyncIterator[Bundle]:
    """Every page of a search: `first()` fetches page one, `following(link)` each `next` link.

    Transport-agnostic so the client decides caching per page; a server that links a page to
    itself, or keeps linking past the end (an empty page), cannot make this loop forever.
    """
    body, seen = await first(), set[str]()
    while True:
        bundle = parse(Bundle, body)
        yield bundle
        link = next_link(bundle)
        if link is None or link in seen or not bundle.entry:
            return
        seen.add(link)
        body = await following(link)


def outcome_message(body: Any) -> str | None:
    """The human-readable part of an OperationOutcome error body, if the body is one."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return None
    try:
        outcome = OperationOutcome.model_validate(body)
    except ValidationError:
        return None
    texts = [issue.diagnostics or _text(issue.details) for issue in outcome.issue or ()]
    return "; ".join(t for t in texts if t) or None


# --- small typed helpers --------------------------------------------------------------------


def reference_id(reference: Reference | None, resource_type: str) -> str | None:
    """`Slot/abc`, `http://…/Slot/abc` or `Slot/abc/_history/2` → `abc`; None if another type."""
    if reference is None or not reference.reference:
        return None
    parts = str(reference.reference).split("/")
    if "_history" in parts:
        parts = parts[: parts.index("_history")]
    if len(parts) < 2 or parts[-2] != resource_type:
        return None
    return parts[-1] or None


def _first_id(references: Iterable[Reference] | None, resource_type: str) -> str | None:
    """The id of the first reference to a resource of this type."""
    ids = (reference_id(r, resource_type) for r in references or ())
    return next((i for i in ids if i), None)


def _extension(extensions: Iterable[Extension] | None, url: str) -> Extension | None:
    return next((ext for ext in extensions or () if ext.url == url), None)


def _text(concept: CodeableConcept | None) -> str | None:
    """A concept's text, else its first coding's display: what a citizen can read."""
    if concept is None:
        return None
    if concept.text:
        return str(concept.text)
    return next((str(c.display) for c in concept.coding or () if c.display), None)


def _first_text(concepts: Sequence[CodeableConcept] | None) -> str | None:
    return next((t for t in map(_text, concepts or ()) if t), None)


def _joined_text(concepts: Sequence[CodeableConcept] | None) -> str | None:
    """Several specialties as one Chinese list (顿号-separated), as a hospital would print it."""
    return "、".join(t for t in map(_text, concepts or ()) if t) or None


def _codes(concepts: Sequence[CodeableConcept] | None) -> list[str]:
    return [str(c.code) for concept in concepts or () for c in concept.coding or () if c.code]


def _identifier(identifiers: Iterable[Identifier] | None, system: str) -> str | None:
    return next((str(i.value) for i in identifiers or () if i.system == system and i.value), None)


def yuan_to_fen(value: Decimal) -> int:
    """Yuan (a FHIR decimal) to integer fen, rounding half-up at the fen as cashiers do."""
    try:
        return int((value * _FEN).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except InvalidOperation as exc:
        raise FhirMappingError(f"not an amount of money: {value!r}") from exc


def _fen(money: Money | None, what: str) -> int:
    """A Money in CNY as fen; any other currency is a profile violation, never converted."""
    if money is None or money.value is None:
        raise FhirMappingError(f"{what} has no amount")
    if money.currency is not None and money.currency != CURRENCY:
        raise FhirMappingError(f"{what} is in {money.currency}, not {CURRENCY}")
    return yuan_to_fen(Decimal(money.value))


def fhir_instant(value: object, what: str) -> datetime:
    """A FHIR dateTime/instant as an aware datetime; dates and partial dates start in Changsha.

    fhir.resources leaves a partial date ('2025-05') as a string and a plain date as a `date`;
    FHIR reads a date without a zone in the server's zone, and the hospitals are in +08:00.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise FhirMappingError(f"{what} has no time zone")
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(), CHANGSHA)
    if isinstance(value, str) and (match := _PARTIAL_DATE.match(value)):
        year, month = int(match[1]), int(match[2] or 1)
        return datetime(year, month, 1, tzinfo=CHANGSHA)
    raise FhirMappingError(f"{what} is not a date or time: {value!r}")


def _optional_instant(value: object, what: str) -> datetime | None:
    return None if value is None else fhir_instant(value, what)


def _unsigned(extension: Extension | None, what: str) -> int:
    if extension is None or extension.valueUnsignedInt is None:
        raise FhirMappingError(f"{what} extension is missing")
    return int(extension.valueUnsignedInt)


def _float(value: Decimal | None) -> float | None:
    """Lab values are measurements, not money: float is the honest type for them."""
    return None if value is None else float(value)


def version_of(resource: Resource) -> str | None:
    """The resource's version id, for `If-Match` on a later update."""
    return str(resource.meta.versionId) if resource.meta and resource.meta.versionId else None


# --- search values ------------------------------------------------------------------------


def _escape(value: str) -> str:
    """FHIR search escaping: `\\ , $ |` in a value are literal only behind a backslash."""
    return re.sub(r"([\\,$|])", r"\\\1", value)


def identifier_token(system: str, values: Iterable[str]) -> str:
    """`system|a,system|b`: one token search matching any of the values (comma means OR)."""
    return ",".join(f"{system}|{_escape(v)}" for v in values)


def booking_condition(booking_key: str) -> str:
    """The `If-None-Exist` value: the query that finds an earlier booking with this key.

    It is a URL query, so the key is percent-encoded; `:` and `|` stay readable.
    """
    token = identifier_token(BOOKING_SYSTEM, [booking_key])
    return "identifier=" + quote(token, safe=":|\\")


def day_bounds(day: date) -> tuple[str, str]:
    """A Changsha calendar day as FHIR instants with an explicit +08:00 (start, next start)."""
    start = datetime.combine(day, time(), CHANGSHA)
    return start.isoformat(), (start + timedelta(days=1)).isoformat()


# --- catalogue ------------------------------------------------------------------------------


def hospital_from(organization: Organization, location: Location | None) -> Hospital:
    """A hospital from its Organization and main Location (position, address)."""
    code = _identifier(organization.identifier, HOSPITAL_SYSTEM) or organization.id
    if not code or not organization.name:
        raise FhirMappingError("Organization without hospital code or name")
    address = (location.address if location else None) or next(
        iter(organization.address or ()), None
    )
    phone = next(
        (str(t.value) for t in organization.telecom or () if t.system == "phone" and t.value),
        None,
    )
    point = None
    position = location.position if location else None
    if position is not None and position.latitude is not None and position.longitude is not None:
        point = GeoPoint(lat=float(position.latitude), lng=float(position.longitude))
    return Hospital(
        code=str(code),
        name=str(organization.name),
        aliases=tuple(str(a) for a in organization.alias or ()),
        grade=_first_text(organization.type),
        address=_address_text(address),
        phone=phone,
        location=point,
    )


def _address_text(address: Address | None) -> str:
    """An Address as one line: its text, else its parts in Chinese order (big to small)."""
    if address is None:
        return ""
    if address.text:
        return str(address.text)
    parts = [address.state, address.city, address.district, *(address.line or ())]
    return "".join(str(p) for p in parts if p)


def department_from(service: HealthcareService, *, hospital_code: str) -> Department:
    """A department from its HealthcareService."""
    if not service.id or not service.name:
        raise FhirMappingError("HealthcareService without id or name")
    return Department(
        id=str(service.id),
        hospital_code=hospital_code,
        name=str(service.name),
        specialty=_joined_text(service.specialty) or _first_text(service.category),
    )


def schedule_ids_by_role(schedules: Iterable[Schedule]) -> dict[str, str]:
    """PractitionerRole id → its Schedule id (the first one, if a role has several)."""
    out: dict[str, str] = {}
    for schedule in schedules:
        for actor in schedule.actor or ():
            role_id = reference_id(actor, "PractitionerRole")
            if role_id and schedule.id:
                out.setdefault(role_id, str(schedule.id))
    return out


def doctor_from(
    role: PractitionerRole,
    practitioner: Practitioner | None,
    schedule_id: str | None,
    *,
    hospital_code: str,
) -> Doctor:
    """A doctor from PractitionerRole (department, title, fee) and Practitioner (name)."""
    department_id = _first_id(role.healthcareService, "HealthcareService")
    practitioner_id = reference_id(role.practitioner, "Practitioner")
    if not role.id or department_id is None or practitioner_id is None:
        raise FhirMappingError(f"PractitionerRole {role.id} lacks a department or practitioner")
    fee = _extension(role.extension, EXT_FEE)
    if fee is None:
        raise FhirMappingError(f"PractitionerRole {role.id} has no registration fee")
    return Doctor(
        id=str(role.id),
        hospital_code=hospital_code,
        department_id=department_id,
        practitioner_id=practitioner_id,
        name=_person_name(practitioner) or _display(role.practitioner) or "",
        title=_first_text(role.code),
        specialty=_joined_text(role.specialty),
        fee_fen=_fen(fee.valueMoney, f"PractitionerRole {role.id} fee"),
        schedule_id=schedule_id,
    )


def _person_name(practitioner: Practitioner | None) -> str | None:
    """A Chinese name as written: its text, else family name then given names, no spaces."""
    name = next(iter(practitioner.name or ()), None) if practitioner else None
    if name is None:
        return None
    if name.text:
        return str(name.text)
    return "".join(str(p) for p in [name.family, *(name.given or ())] if p) or None


def _display(reference: Reference | None) -> str | None:
    return str(reference.display) if reference is not None and reference.display else None


# --- live data ------------------------------------------------------------------------------


def slot_from(slot: FhirSlot, hospital_code: str) -> Slot:
    """A clinic session with its numbered places (capacity and booked extensions)."""
    schedule_id = reference_id(slot.schedule, "Schedule")
    if not slot.id or schedule_id is None:
        raise FhirMappingError("Slot without id or schedule")
    if slot.start is None or slot.end is None:
        raise FhirMappingError(f"Slot {slot.id} has no start or end")
    return Slot(
        id=str(slot.id),
        hospital_code=hospital_code,
        schedule_id=schedule_id,
        start=fhir_instant(slot.start, "Slot.start"),
        end=fhir_instant(slot.end, "Slot.end"),
        status=SlotStatus.FREE if slot.status == "free" else SlotStatus.BUSY,
        capacity=_unsigned(_extension(slot.extension, EXT_CAPACITY), "slot-capacity"),
        booked=_unsigned(_extension(slot.extension, EXT_BOOKED), "slot-booked"),
    )


def appointment_from(appointment: FhirAppointment, *, hospital_code: str) -> Appointment:
    """A booked visit as the hospital holds it: slot, doctor, patient, queue number."""
    status = _APPOINTMENT_STATUS.get(str(appointment.status))
    if not appointment.id or status is None:
        raise FhirMappingError(f"Appointment {appointment.id} has status {appointment.status!r}")
    slot_id = _first_id(appointment.slot, "Slot")
    patient = _patient_participant(appointment.participant)
    if slot_id is None or patient is None or patient.identifier is None:
        raise FhirMappingError(f"Appointment {appointment.id} lacks its slot or patient")
    if appointment.start is None or appointment.end is None:
        raise FhirMappingError(f"Appointment {appointment.id} has no start or end")
    doctor_id = _first_id([p.actor for p in appointment.participant if p.actor], "PractitionerRole")
    queue = _extension(appointment.extension, EXT_QUEUE_NUMBER)
    return Appointment(
        id=str(appointment.id),
        hospital_code=hospital_code,
        status=status,
        slot_id=slot_id,
        doctor_id=doctor_id,
        patient_id=str(patient.identifier.value),
        patient_name=_display(patient),
        start=fhir_instant(appointment.start, "Appointment.start"),
        end=fhir_instant(appointment.end, "Appointment.end"),
        booking_key=_identifier(appointment.identifier, BOOKING_SYSTEM),
        queue_number=None if queue is None else _unsigned(queue, "queue-number"),
    )


def _patient_participant(
    participants: Sequence[AppointmentParticipant] | None,
) -> Reference | None:
    """The participant that is one of our people (identified by the graph's person id)."""
    for participant in participants or ():
        actor = participant.actor
        identifier = actor.identifier if actor else None
        if identifier and identifier.system == PATIENT_SYSTEM and identifier.value:
            return actor
    return None


def queue_from(parameters: Parameters) -> QueuePosition:
    """The `$queue` operation's answer: people ahead, number called, where the visit stands."""
    values: dict[str, Any] = {}
    for p in parameters.parameter or ():
        if p.name:
            values[str(p.name)] = next(
                (v for v in (p.valueUnsignedInt, p.valueInteger, p.valueCode) if v is not None),
                None,
            )
    try:
        return QueuePosition(
            people_ahead=int(values["peopleAhead"]),
            called_number=int(values["calledNumber"]),
            status=str(values["status"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise FhirMappingError(f"$queue answer lacks {exc}") from exc


def report_from(
    report: DiagnosticReport,
    observations_by_id: Mapping[str, FhirObservation],
    *,
    hospital_code: str,
) -> Report:
    """A report with its observations in the report's order; a missing result is skipped."""
    patient = report.subject.identifier if report.subject else None
    if not report.id or patient is None or patient.system != PATIENT_SYSTEM or not patient.value:
        raise FhirMappingError(f"DiagnosticReport {report.id} has no patient identifier")
    codes = _codes(report.category)
    category = ReportCategory.IMAGING if "RAD" in codes else ReportCategory.LAB
    effective: object = report.effectiveDateTime
    if effective is None and report.effectivePeriod is not None:
        effective = report.effectivePeriod.start
    observations = []
    for result in report.result or ():
        observation_id = reference_id(result, "Observation")
        found = observations_by_id.get(observation_id) if observation_id else None
        if found is not None:
            observations.append(observation_from(found))
    return Report(
        id=str(report.id),
        hospital_code=hospital_code,
        patient_id=str(patient.value),
        category=category,
        name=_text(report.code) or "",
        status=str(report.status),
        effective=_optional_instant(effective, "DiagnosticReport.effective"),
        issued=_optional_instant(report.issued, "DiagnosticReport.issued"),
        conclusion=str(report.conclusion) if report.conclusion else None,
        observations=tuple(observations),
    )


def observation_from(observation: FhirObservation) -> Observation:
    """One result: a quantity with its reference range and H/L/N flag, or a text value."""
    if not observation.id:
        raise FhirMappingError("Observation without id")
    quantity = observation.valueQuantity
    ranges = observation.referenceRange or ()
    reference = ranges[0] if ranges else None
    flags = _codes(observation.interpretation)
    return Observation(
        id=str(observation.id),
        name=_text(observation.code) or "",
        value=_float(quantity.value) if quantity else None,
        value_text=_value_text(observation),
        unit=_unit(quantity),
        reference_low=_float(reference.low.value) if reference and reference.low else None,
        reference_high=_float(reference.high.value) if reference and reference.high else None,
        flag=flags[0] if flags else None,
    )


def _value_text(observation: FhirObservation) -> str | None:
    if observation.valueString:
        return str(observation.valueString)
    return _text(observation.valueCodeableConcept)


def _unit(quantity: Quantity | None) -> str | None:
    if quantity is None:
        return None
    unit = quantity.unit or quantity.code
    return str(unit) if unit else None


def bill_from(
    invoice: Invoice, charge_items: Mapping[str, ChargeItem], *, hospital_code: str
) -> Bill:
    """A bill from its Invoice; each line's words and amount from the line or its ChargeItem.

    `charge_items` is keyed by ChargeItem id, and by `#id` for ones contained in the Invoice.
    """
    patient = invoice.subject.identifier if invoice.subject else None
    if not invoice.id or patient is None or patient.system != PATIENT_SYSTEM or not patient.value:
        raise FhirMappingError(f"Invoice {invoice.id} has no patient identifier")
    try:
        status = BillStatus(str(invoice.status))
    except ValueError as exc:
        raise FhirMappingError(f"Invoice {invoice.id} has status {invoice.status!r}") from exc
    return Bill(
        id=str(invoice.id),
        hospital_code=hospital_code,
        patient_id=str(patient.value),
        number=next((str(i.value) for i in invoice.identifier or () if i.value), None),
        status=status,
        total_fen=_fen(invoice.totalGross, f"Invoice {invoice.id} totalGross"),
        issued=_optional_instant(invoice.date, "Invoice.date"),
        lines=tuple(_bill_line(item, charge_items) for item in invoice.lineItem or ()),
        transaction_id=str(invoice.paymentTerms) if invoice.paymentTerms else None,
    )


def charge_items_needed(invoices: Iterable[Invoice]) -> list[str]:
    """Ids of the ChargeItems a bill cannot be read without: lines lacking words or amount.

    A line that names itself and prices itself (priceComponent) needs nothing more, so a
    well-filled Invoice costs no extra request.
    """
    ids: dict[str, None] = {}
    for invoice in invoices:
        for item in invoice.lineItem or ():
            charge_id = reference_id(item.chargeItemReference, "ChargeItem")
            if charge_id and not (_line_description(item) and _priced(item)):
                ids.setdefault(charge_id)
    return list(ids)


def _charge_key(reference: Reference | None) -> str | None:
    """How `charge_items` is keyed: a contained ChargeItem as `#id`, any other by its id."""
    if reference is not None and reference.reference and str(reference.reference).startswith("#"):
        return str(reference.reference)
    return reference_id(reference, "ChargeItem")


def _line_description(item: InvoiceLineItem) -> str | None:
    return _text(item.chargeItemCodeableConcept) or _display(item.chargeItemReference)


def _priced(item: InvoiceLineItem) -> list[InvoiceLineItemPriceComponent]:
    return [
        c for c in item.priceComponent or () if c.type != "informational" and c.amount is not None
    ]


def _bill_line(item: InvoiceLineItem, charge_items: Mapping[str, ChargeItem]) -> BillLine:
    charge_id = _charge_key(item.chargeItemReference)
    charge = charge_items.get(charge_id) if charge_id else None
    description = _line_description(item) or (_text(charge.code) if charge else None) or ""
    components = _priced(item)
    if components:
        amount = 0
        for component in components:
            fen = _fen(component.amount, "Invoice line price")
            amount += -abs(fen) if component.type in _SUBTRACTED_PRICE_TYPES else fen
    elif charge is not None and charge.priceOverride is not None:
        amount = _fen(charge.priceOverride, f"ChargeItem {charge.id} price")
    else:
        raise FhirMappingError(f"Invoice line {description!r} has no amount")
    return BillLine(description=description, amount_fen=amount)


# --- requests we send -------------------------------------------------------------------------


def appointment_request(
    slot_id: str,
    doctor_role_id: str,
    patient_id: str,
    patient_name: str,
    booking_key: str,
) -> dict[str, Any]:
    """The Appointment to POST: booked, on the slot, for our person, keyed for idempotency."""
    appointment = FhirAppointment(
        status="booked",
        slot=[Reference(reference=f"Slot/{slot_id}")],
        identifier=[Identifier(system=BOOKING_SYSTEM, value=booking_key)],
        participant=[
            AppointmentParticipant(
                actor=Reference(
                    identifier=Identifier(system=PATIENT_SYSTEM, value=patient_id),
                    display=patient_name,
                ),
                status="accepted",
            ),
            AppointmentParticipant(
                actor=Reference(reference=f"PractitionerRole/{doctor_role_id}"),
                status="accepted",
            ),
        ],
    )
    return _json(appointment)


def cancelled(appointment_json: Any) -> dict[str, Any]:
    """The same Appointment with status cancelled, ready to PUT back (everything else kept)."""
    appointment = parse(FhirAppointment, appointment_json)
    return _json(appointment.model_copy(update={"status": "cancelled"}))


def balanced_invoice(invoice_json: Any, transaction_id: str) -> dict[str, Any]:
    """The same Invoice marked paid, its paymentTerms naming the payment transaction."""
    invoice = parse(Invoice, invoice_json)
    return _json(invoice.model_copy(update={"status": "balanced", "paymentTerms": transaction_id}))


def _json(resource: Resource) -> dict[str, Any]:
    """FHIR JSON of a model: no nulls (FHIR forbids them), decimals as numbers."""
    body: dict[str, Any] = resource.model_dump(mode="json", exclude_none=True, by_alias=True)
    return body
