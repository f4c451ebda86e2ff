"""Test controls of the hospital simulator (under `/__admin`, never counted or faulted).

Tests need to provoke what real hospitals do on their own: a slot with two places left, the
queue moving on, a report arriving, a bill for something other than registration. They also
need to see what the hospital holds (every appointment) and how often each hospital was
asked (the graph must fetch each upstream at most once per operation).
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.base import (
    ApiError,
    OrjsonResponse,
    describe_validation_error,
    read_json_object,
)
from mychangsha.simulators.hospital import catalogue_fhir, clinical_fhir
from mychangsha.simulators.hospital.records import InvoiceRecord, Patient, new_id
from mychangsha.simulators.hospital.reports import add_report
from mychangsha.simulators.hospital.sessions import called_number, instant
from mychangsha.simulators.hospital.state import Hospital, HospitalSimulator, SlotView

_STRICT = ConfigDict(extra="forbid", strict=True, populate_by_name=True)
M = TypeVar("M", bound=BaseModel)


class _Capacity(BaseModel):
    model_config = _STRICT

    capacity: int = Field(ge=0, le=10_000)


class _NewReport(BaseModel):
    model_config = _STRICT

    patient_id: str = Field(alias="patientId", min_length=1, max_length=64)
    patient_name: str | None = Field(default=None, alias="patientName")
    kind: Literal["lab", "imaging"] = "lab"


class _NewInvoice(BaseModel):
    model_config = _STRICT

    patient_id: str = Field(alias="patientId", min_length=1, max_length=64)
    patient_name: str | None = Field(default=None, alias="patientName")
    description: str = Field(min_length=1, max_length=200)
    amount_fen: int = Field(alias="amountFen", gt=0)


async def _parse(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(await read_json_object(request))
    except ValidationError as exc:
        raise ApiError(400, describe_validation_error(exc)) from exc


class HospitalAdmin:
    """Admin endpoints bound to one simulator's state."""

    def __init__(self, sim: HospitalSimulator) -> None:
        self.sim = sim

    def routes(self) -> list[BaseRoute]:
        """The test controls."""
        return [
            Route("/__admin/hospital-counters", self.counters, methods=["GET"]),
            Route("/__admin/appointments", self.appointments, methods=["GET"]),
            Route("/__admin/slots/{hospital}/{slot_id}", self.set_capacity, methods=["PUT"]),
            Route(
                "/__admin/queue/{hospital}/{slot_id}/advance", self.advance_queue, methods=["POST"]
            ),
            Route("/__admin/hospitals/{hospital}/reports", self.add_report, methods=["POST"]),
            Route("/__admin/hospitals/{hospital}/invoices", self.add_invoice, methods=["POST"]),
        ]

    def _hospital(self, request: Request) -> Hospital:
        code = request.path_params["hospital"]
        hospital = self.sim.hospitals.get(code)
        if hospital is None:
            raise ApiError(404, f"no hospital {code!r}")
        return hospital

    def _slot(self, hospital: Hospital, slot_id: str) -> SlotView:
        view = hospital.slot(slot_id, self.sim.now())
        if view is None:
            raise ApiError(404, f"no slot {slot_id!r} at {hospital.code}")
        return view

    async def counters(self, request: Request) -> Response:
        """Requests per hospital by `METHOD Type[/{id}[/$op]]`, since the last reset."""
        return OrjsonResponse(self.sim.counters_json())

    async def appointments(self, request: Request) -> Response:
        """Every appointment (filter with `hospital`, `slotId`, `status`), oldest first."""
        params = request.query_params
        items = []
        for code, hospital in self.sim.hospitals.items():
            if params.get("hospital", code) != code:
                continue
            for record in hospital.book.appointments.values():
                if params.get("slotId", record.key.id) != record.key.id:
                    continue
                if params.get("status", record.status) != record.status:
                    continue
                items.append(
                    {
                        "hospital": code,
                        "id": record.id,
                        "slotId": record.key.id,
                        "status": record.status,
                        "bookingKey": record.booking_key,
                        "patientId": record.patient.id,
                        "queueNumber": record.number,
                        "invoiceId": record.invoice_id,
                        "created": instant(record.created),
                    }
                )
        items.sort(key=lambda item: (str(item["created"]), str(item["id"])))
        return OrjsonResponse({"total": len(items), "items": items})

    async def set_capacity(self, request: Request) -> Response:
        """Override a slot's capacity (tests use tiny ones); answers the Slot as now served."""
        hospital = self._hospital(request)
        slot_id = request.path_params["slot_id"]
        self._slot(hospital, slot_id)
        body = await _parse(request, _Capacity)
        hospital.book.capacities[slot_id] = body.capacity
        return OrjsonResponse(catalogue_fhir.slot(self._slot(hospital, slot_id)))

    async def advance_queue(self, request: Request) -> Response:
        """Call the next number of a session now."""
        hospital = self._hospital(request)
        view = self._slot(hospital, request.path_params["slot_id"])
        advances = hospital.book.queue_advances
        advances[view.key.id] = advances.get(view.key.id, 0) + 1
        called = called_number(self.sim.now(), view.key, view.capacity, advances[view.key.id])
        return OrjsonResponse({"slotId": view.key.id, "calledNumber": called})

    async def add_report(self, request: Request) -> Response:
        """Issue a lab or imaging report for a patient; answers the DiagnosticReport."""
        hospital = self._hospital(request)
        body = await _parse(request, _NewReport)
        patient = Patient(body.patient_id, body.patient_name)
        record = add_report(hospital, patient, body.kind, self.sim.now())
        observations = [hospital.book.observations[i] for i in record.observation_ids]
        resource = clinical_fhir.diagnostic_report(hospital.catalogue, record, observations)
        return OrjsonResponse(resource, status_code=201)

    async def add_invoice(self, request: Request) -> Response:
        """Issue a bill (an examination, medicine …) for a patient; answers the Invoice."""
        hospital = self._hospital(request)
        body = await _parse(request, _NewInvoice)
        now = self.sim.now()
        record = InvoiceRecord(
            id=new_id(),
            bill_number=hospital.next_bill_number(now),
            patient=Patient(body.patient_id, body.patient_name),
            description=body.description,
            amount_fen=body.amount_fen,
            created=now,
            updated=now,
        )
        hospital.book.invoices[record.id] = record
        resource = clinical_fhir.invoice(hospital.catalogue, record)
        return OrjsonResponse(resource, status_code=201)
