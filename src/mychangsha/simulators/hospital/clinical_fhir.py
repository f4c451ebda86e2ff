"""Records as FHIR R4 JSON: Appointment, Invoice, DiagnosticReport, Observation, and the
`$queue` answer, shaped as `docs/fhir-profile.md` promises.

Patients are referenced by identifier only (`urn:mychangsha:patient|ID`): the graph never
learns the hospital's own Patient ids, and hospitals match the identifier themselves.
"""

from __future__ import annotations

from mychangsha.simulators.hospital.data import Doctor, HospitalCatalogue
from mychangsha.simulators.hospital.fhir import (
    APPOINTMENT_EXTENSION,
    BILL_SYSTEM,
    BOOKING_SYSTEM,
    DIAGNOSTIC_SERVICE_SYSTEM,
    INTERPRETATION_SYSTEM,
    LOINC,
    PATIENT_SYSTEM,
    QUEUE_NUMBER_EXTENSION,
    UCUM,
    Resource,
    meta,
    money,
    reference,
    text,
    unsigned_extension,
)
from mychangsha.simulators.hospital.records import (
    AppointmentRecord,
    InvoiceRecord,
    ObservationRecord,
    Patient,
    ReportRecord,
)
from mychangsha.simulators.hospital.sessions import QueuePosition, instant

_FLAGS = {"H": ("High", "偏高"), "L": ("Low", "偏低"), "N": ("Normal", "正常")}
_CATEGORIES = {"LAB": ("Laboratory", "检验"), "RAD": ("Radiology", "影像")}


def patient_reference(patient: Patient) -> Resource:
    """A reference by the graph's person identifier, with the name when known."""
    ref: Resource = {"identifier": {"system": PATIENT_SYSTEM, "value": patient.id}}
    if patient.name:
        ref["display"] = patient.name
    return ref


def appointment(
    catalogue: HospitalCatalogue, record: AppointmentRecord, doctor: Doctor
) -> Resource:
    """A booking with its queue number; participants are the patient, doctor and department."""
    department = doctor.department
    info = catalogue.info
    body: Resource = {
        "resourceType": "Appointment",
        "id": record.id,
        "meta": meta(record.version, instant(record.updated)),
        "extension": [unsigned_extension(QUEUE_NUMBER_EXTENSION, record.number)],
    }
    if record.booking_key is not None:
        body["identifier"] = [{"system": BOOKING_SYSTEM, "value": record.booking_key}]
    body["status"] = record.status
    if record.cancellation_reason:
        body["cancelationReason"] = text(record.cancellation_reason)
    accepted = {"required": "required", "status": "accepted"}
    body |= {
        "serviceType": [text(department.info.name)],
        "specialty": [text("、".join(doctor.expertise))],
        "description": (
            f"{info.name} {department.info.name} {doctor.name}（{doctor.title}）"
            f"{record.key.session.label} 第{record.number}号"
        ),
        "start": instant(record.key.start),
        "end": instant(record.key.end),
        "created": instant(record.created),
        "slot": [reference("Slot", record.key.id)],
        "participant": [
            {"actor": patient_reference(record.patient), **accepted},
            {"actor": reference("PractitionerRole", doctor.role_id, doctor.name), **accepted},
            {
                "actor": reference("HealthcareService", department.id, department.info.name),
                **accepted,
            },
            {"actor": reference("Location", info.code, info.name), **accepted},
        ],
    }
    return body


def invoice(catalogue: HospitalCatalogue, record: InvoiceRecord) -> Resource:
    """A bill: one line item, totals in yuan; `paymentTerms` carries the payment id once paid."""
    info = catalogue.info
    amount = money(record.amount_fen)
    body: Resource = {
        "resourceType": "Invoice",
        "id": record.id,
        "meta": meta(record.version, instant(record.updated)),
    }
    if record.appointment_id is not None:
        body["extension"] = [
            {
                "url": APPOINTMENT_EXTENSION,
                "valueReference": reference("Appointment", record.appointment_id),
            }
        ]
    body |= {
        "identifier": [{"system": BILL_SYSTEM, "value": record.bill_number}],
        "status": record.status,
        "type": text(record.description),
        "subject": patient_reference(record.patient),
        "date": instant(record.created),
        "issuer": reference("Organization", info.code, info.name),
        "lineItem": [
            {
                "sequence": 1,
                "chargeItemCodeableConcept": text(record.description),
                "priceComponent": [{"type": "base", "amount": amount}],
            }
        ],
        "totalNet": amount,
        "totalGross": amount,
    }
    if record.status == "cancelled":
        body["cancelledReason"] = "预约已取消"
    if record.payment_terms is not None:
        body["paymentTerms"] = record.payment_terms
    return body


def _quantity(value: float, record: ObservationRecord) -> Resource:
    return {"value": value, "unit": record.unit, "system": UCUM, "code": record.ucum}


def observation(catalogue: HospitalCatalogue, record: ObservationRecord) -> Resource:
    """One lab value with unit, reference range and H/L/N interpretation."""
    display, label = _FLAGS[record.flag]
    return {
        "resourceType": "Observation",
        "id": record.id,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": record.loinc}], "text": record.name},
        "subject": patient_reference(record.patient),
        "effectiveDateTime": instant(record.effective),
        "performer": [reference("Organization", catalogue.code, catalogue.info.name)],
        "valueQuantity": _quantity(record.value, record),
        "interpretation": [
            {
                "coding": [
                    {"system": INTERPRETATION_SYSTEM, "code": record.flag, "display": display}
                ],
                "text": label,
            }
        ],
        "referenceRange": [
            {"low": _quantity(record.low, record), "high": _quantity(record.high, record)}
        ],
    }


def diagnostic_report(
    catalogue: HospitalCatalogue, record: ReportRecord, observations: list[ObservationRecord]
) -> Resource:
    """A report referencing its observations (`_include=DiagnosticReport:result` brings them)."""
    display, label = _CATEGORIES[record.category]
    category = {
        "coding": [
            {"system": DIAGNOSTIC_SERVICE_SYSTEM, "code": record.category, "display": display}
        ],
        "text": label,
    }
    body: Resource = {
        "resourceType": "DiagnosticReport",
        "id": record.id,
        "status": "final",
        "category": [category],
        "code": {"coding": [{"system": LOINC, "code": record.loinc}], "text": record.name},
        "subject": patient_reference(record.patient),
        "effectiveDateTime": instant(record.effective),
        "issued": instant(record.issued),
        "performer": [reference("Organization", catalogue.code, catalogue.info.name)],
    }
    if observations:
        body["result"] = [reference("Observation", item.id, item.name) for item in observations]
    if record.conclusion is not None:
        body["conclusion"] = record.conclusion
    return body


def queue_parameters(position: QueuePosition, number: int) -> Resource:
    """The `$queue` answer: people ahead, number being called, status (and one's own number)."""
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "peopleAhead", "valueUnsignedInt": position.people_ahead},
            {"name": "calledNumber", "valueUnsignedInt": position.called_number},
            {"name": "status", "valueCode": position.status},
            {"name": "queueNumber", "valueUnsignedInt": number},
        ],
    }
