"""Endpoints of patient data: appointments (book, cancel, queue), reports, observations, bills.

Patients are found by the graph's identifier (`subject:identifier`, `actor:identifier`,
`patient:identifier` = `urn:mychangsha:patient|ID`, comma-separated ids ORed), so one search
per hospital covers a citizen and the family members they act for.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.hospital import booking
from mychangsha.simulators.hospital import clinical_fhir as render
from mychangsha.simulators.hospital.catalogue_api import PREFIX, hospital_of
from mychangsha.simulators.hospital.fhir import (
    BOOKING_SYSTEM,
    DIAGNOSTIC_SERVICE_SYSTEM,
    PATIENT_SYSTEM,
    FhirResponse,
    Resource,
    not_found,
)
from mychangsha.simulators.hospital.records import (
    AppointmentRecord,
    InvoiceRecord,
    Patient,
    ReportRecord,
)
from mychangsha.simulators.hospital.search import (
    SearchQuery,
    bad_request,
    bundle_response,
    date_filters,
    fhir_base,
    reference_id,
    token_matches,
)
from mychangsha.simulators.hospital.sessions import queue_position
from mychangsha.simulators.hospital.state import Hospital, HospitalSimulator


async def read_fhir_body(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 OperationOutcome."""
    try:
        body = orjson.loads(await request.body())
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object (a FHIR resource)")
    return body


def _patient_matches(query: SearchQuery, patient: Patient) -> bool:
    match = functools.partial(_is_patient, patient)
    return query.accepts("subject:identifier", match) and query.accepts("patient:identifier", match)


def _is_patient(patient: Patient, value: str) -> bool:
    return token_matches(value, PATIENT_SYSTEM, patient.id)


def _versioned(resource: Resource, version: int, status_code: int = 200) -> Response:
    return FhirResponse(resource, status_code=status_code, headers={"ETag": f'W/"{version}"'})


class ClinicalApi:
    """Patient-data endpoints bound to one simulator's state."""

    def __init__(self, sim: HospitalSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        """Appointment, DiagnosticReport, Observation and Invoice interactions."""
        return [
            Route(f"{PREFIX}/Appointment", self.create_appointment, methods=["POST"]),
            Route(f"{PREFIX}/Appointment", self.search_appointments, methods=["GET"]),
            Route(f"{PREFIX}/Appointment/{{id}}", self.read_appointment, methods=["GET"]),
            Route(f"{PREFIX}/Appointment/{{id}}", self.update_appointment, methods=["PUT"]),
            Route(f"{PREFIX}/Appointment/{{id}}/$queue", self.queue, methods=["GET"]),
            Route(f"{PREFIX}/DiagnosticReport", self.search_reports, methods=["GET"]),
            Route(f"{PREFIX}/DiagnosticReport/{{id}}", self.read_report, methods=["GET"]),
            Route(f"{PREFIX}/Observation/{{id}}", self.read_observation, methods=["GET"]),
            Route(f"{PREFIX}/Invoice", self.search_invoices, methods=["GET"]),
            Route(f"{PREFIX}/Invoice/{{id}}", self.read_invoice, methods=["GET"]),
            Route(f"{PREFIX}/Invoice/{{id}}", self.update_invoice, methods=["PUT"]),
        ]

    # --- appointments ---------------------------------------------------------------------

    def _appointment(self, hospital: Hospital, appointment_id: str) -> AppointmentRecord:
        record = hospital.book.appointments.get(appointment_id)
        if record is None:
            raise not_found("Appointment", appointment_id)
        return record

    def _render_appointment(self, hospital: Hospital, record: AppointmentRecord) -> Resource:
        doctor = hospital.catalogue.by_role[record.key.role_id]
        return render.appointment(hospital.catalogue, record, doctor)

    async def create_appointment(self, request: Request) -> Response:
        """Book a place: 201 new, 200 the existing one for a known key, 409 when full."""
        hospital = hospital_of(self.sim, request)
        body = await read_fhir_body(request)
        header = request.headers.get("if-none-exist")
        key = booking.condition_key(header) if header else None
        wanted = booking.booking_request(booking.parse_appointment(body))
        if key is not None and wanted.booking_key != key:
            raise bad_request(f"If-None-Exist must name the Appointment's {BOOKING_SYSTEM} id")
        async with self.sim.lock:
            now = self.sim.now()
            found = booking.existing(hospital, key) if key is not None else None
            record = found or booking.book(hospital, wanted, now)
        resource = self._render_appointment(hospital, record)
        if found is not None:
            return _versioned(resource, record.version)
        response = _versioned(resource, record.version, 201)
        base = fhir_base(request, hospital.code)
        response.headers["Location"] = f"{base}/Appointment/{record.id}/_history/{record.version}"
        return response

    async def search_appointments(self, request: Request) -> Response:
        """By patient identifier, booking identifier, doctor, slot, status or date."""
        hospital = hospital_of(self.sim, request)
        names = ("_id", "identifier", "actor:identifier", "patient:identifier", "actor", "slot")
        query = SearchQuery(request, (*names, "status", "date"))
        dates = date_filters(query, "date")
        found = [
            record
            for record in hospital.book.appointments.values()
            if self._appointment_matches(query, record)
            and all(flt.matches(record.key.start) for flt in dates)
        ]
        found.sort(key=lambda r: (r.key.start, r.created, r.id))
        one = functools.partial(self._render_appointment, hospital)
        return bundle_response(request, query, hospital.code, found, one)

    @staticmethod
    def _appointment_matches(query: SearchQuery, record: AppointmentRecord) -> bool:
        patient = functools.partial(_is_patient, record.patient)
        key = record.booking_key or ""
        role = record.key.role_id
        return (
            query.accepts("_id", record.id.__eq__)
            and query.accepts("identifier", lambda v: token_matches(v, BOOKING_SYSTEM, key))
            and query.accepts("actor:identifier", patient)
            and query.accepts("patient:identifier", patient)
            and query.accepts("actor", lambda v: reference_id(v, "PractitionerRole") == role)
            and query.accepts("slot", lambda v: reference_id(v, "Slot") == record.key.id)
            and query.accepts("status", record.status.__eq__)
        )

    async def read_appointment(self, request: Request) -> Response:
        """One appointment, with its version as ETag."""
        hospital = hospital_of(self.sim, request)
        record = self._appointment(hospital, request.path_params["id"])
        return _versioned(self._render_appointment(hospital, record), record.version)

    async def update_appointment(self, request: Request) -> Response:
        """PUT with status `cancelled` frees the place (422 after the cut-off); idempotent."""
        hospital = hospital_of(self.sim, request)
        body = await read_fhir_body(request)
        model = booking.parse_appointment(body)
        appointment_id = request.path_params["id"]
        if model.id != appointment_id:
            raise bad_request(f"the body's id must be {appointment_id!r}")
        async with self.sim.lock:
            record = self._appointment(hospital, appointment_id)
            if model.status not in (None, record.status):  # a retry never fails on version
                booking.check_version(request.headers.get("if-match"), record.version)
            booking.update_appointment(hospital, record, model, self.sim.now())
        return _versioned(self._render_appointment(hospital, record), record.version)

    async def queue(self, request: Request) -> Response:
        """`$queue`: people ahead, the number being called, and waiting|called|done|not-today."""
        hospital = hospital_of(self.sim, request)
        record = self._appointment(hospital, request.path_params["id"])
        if record.status != "booked":
            raise booking.business_rule(f"Appointment/{record.id} is {record.status}")
        slot_id = record.key.id
        position = queue_position(
            self.sim.now(),
            record.key,
            record.number,
            hospital.book.taken(slot_id),
            capacity=hospital.capacity(slot_id),
            advanced=hospital.book.queue_advances.get(slot_id, 0),
        )
        return FhirResponse(render.queue_parameters(position, record.number))

    # --- reports --------------------------------------------------------------------------

    def _render_report(self, hospital: Hospital, record: ReportRecord) -> Resource:
        observations = [hospital.book.observations[i] for i in record.observation_ids]
        return render.diagnostic_report(hospital.catalogue, record, observations)

    async def search_reports(self, request: Request) -> Response:
        """By patient identifier and category (LAB|RAD), newest first; `_include` results."""
        hospital = hospital_of(self.sim, request)
        query = SearchQuery(
            request,
            ("_id", "subject:identifier", "patient:identifier", "category"),
            includes=("DiagnosticReport:result",),
        )
        found = [
            record
            for record in hospital.book.reports.values()
            if _patient_matches(query, record.patient)
            and query.accepts("_id", record.id.__eq__)
            and query.accepts("category", functools.partial(_is_category, record))
        ]
        found.sort(key=lambda r: (r.issued, r.id), reverse=True)

        def results(page: Sequence[ReportRecord]) -> list[Resource]:
            if "DiagnosticReport:result" not in query.includes:
                return []
            book = hospital.book
            return [
                render.observation(hospital.catalogue, book.observations[obs_id])
                for record in page
                for obs_id in record.observation_ids
            ]

        one = functools.partial(self._render_report, hospital)
        return bundle_response(request, query, hospital.code, found, one, results)

    async def read_report(self, request: Request) -> Response:
        """One report (its observations are read separately or via the search's `_include`)."""
        hospital = hospital_of(self.sim, request)
        record = hospital.book.reports.get(request.path_params["id"])
        if record is None:
            raise not_found("DiagnosticReport", request.path_params["id"])
        return FhirResponse(self._render_report(hospital, record))

    async def read_observation(self, request: Request) -> Response:
        """One observation."""
        hospital = hospital_of(self.sim, request)
        record = hospital.book.observations.get(request.path_params["id"])
        if record is None:
            raise not_found("Observation", request.path_params["id"])
        return FhirResponse(render.observation(hospital.catalogue, record))

    # --- invoices -------------------------------------------------------------------------

    def _invoice(self, hospital: Hospital, invoice_id: str) -> InvoiceRecord:
        record = hospital.book.invoices.get(invoice_id)
        if record is None:
            raise not_found("Invoice", invoice_id)
        return record

    async def search_invoices(self, request: Request) -> Response:
        """By patient identifier and status (issued = unpaid), newest first."""
        hospital = hospital_of(self.sim, request)
        query = SearchQuery(request, ("_id", "subject:identifier", "patient:identifier", "status"))
        found = [
            record
            for record in hospital.book.invoices.values()
            if _patient_matches(query, record.patient)
            and query.accepts("_id", record.id.__eq__)
            and query.accepts("status", record.status.__eq__)
        ]
        found.sort(key=lambda r: (r.created, r.id), reverse=True)
        one = functools.partial(render.invoice, hospital.catalogue)
        return bundle_response(request, query, hospital.code, found, one)

    async def read_invoice(self, request: Request) -> Response:
        """One bill, with its version as ETag."""
        hospital = hospital_of(self.sim, request)
        record = self._invoice(hospital, request.path_params["id"])
        return _versioned(render.invoice(hospital.catalogue, record), record.version)

    async def update_invoice(self, request: Request) -> Response:
        """PUT with status `balanced` marks it paid; again is 200 unchanged; cancelled is 422."""
        hospital = hospital_of(self.sim, request)
        model = booking.parse_invoice(await read_fhir_body(request))
        invoice_id = request.path_params["id"]
        if model.id != invoice_id:
            raise bad_request(f"the body's id must be {invoice_id!r}")
        async with self.sim.lock:
            record = self._invoice(hospital, invoice_id)
            if model.status not in (None, record.status):
                booking.check_version(request.headers.get("if-match"), record.version)
            booking.update_invoice(record, model, self.sim.now())
        return _versioned(render.invoice(hospital.catalogue, record), record.version)


def _is_category(record: ReportRecord, value: str) -> bool:
    return token_matches(value, DIAGNOSTIC_SERVICE_SYSTEM, record.category)
