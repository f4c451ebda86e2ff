"""FHIR plumbing shared by every route: media type, OperationOutcome errors, profile constants.

FHIR servers answer errors as `OperationOutcome` with the HTTP status the spec prescribes, not
in the simulators' usual `{"error"}` shape; `FhirError` carries both the status and the issue
code (`not-found`, `conflict`, `business-rule` …) so handlers just raise it.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response

from mychangsha.simulators.base import OrjsonResponse

Resource = dict[str, Any]

FHIR_JSON: Final = "application/fhir+json"
FHIR_VERSION: Final = "4.0.1"

HOSPITAL_SYSTEM: Final = "urn:mychangsha:hospital"
PATIENT_SYSTEM: Final = "urn:mychangsha:patient"
BOOKING_SYSTEM: Final = "urn:mychangsha:booking"
BILL_SYSTEM: Final = "urn:mychangsha:bill"

_EXT: Final = "http://mychangsha.cn/fhir/StructureDefinition/"
FEE_EXTENSION: Final = _EXT + "registration-fee"
CAPACITY_EXTENSION: Final = _EXT + "slot-capacity"
BOOKED_EXTENSION: Final = _EXT + "slot-booked"
QUEUE_NUMBER_EXTENSION: Final = _EXT + "queue-number"
APPOINTMENT_EXTENSION: Final = _EXT + "appointment"

LOINC: Final = "http://loinc.org"
UCUM: Final = "http://unitsofmeasure.org"
INTERPRETATION_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
DIAGNOSTIC_SERVICE_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/v2-0074"

# When the catalogue (hospitals, departments, doctors) was last changed.
CATALOGUE_UPDATED: Final = "2025-03-01T09:00:00+08:00"


class FhirResponse(OrjsonResponse):
    """JSON with FHIR's media type."""

    media_type = FHIR_JSON


class FhirError(Exception):
    """An error answered as an OperationOutcome with the given HTTP status and issue code."""

    def __init__(self, status_code: int, code: str, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.status_code = status_code
        self.code = code
        self.diagnostics = diagnostics


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> Resource:
    """A one-issue OperationOutcome."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


async def fhir_error_handler(request: Request, exc: Exception) -> Response:
    """Starlette handler turning `FhirError` into its OperationOutcome response."""
    assert isinstance(exc, FhirError)
    body = operation_outcome(exc.code, exc.diagnostics)
    return FhirResponse(body, status_code=exc.status_code)


def not_found(resource_type: str, resource_id: str) -> FhirError:
    """The 404 of a read."""
    return FhirError(404, "not-found", f"{resource_type}/{resource_id} is not known")


def reference(resource_type: str, resource_id: str, display: str | None = None) -> Resource:
    """A relative literal reference, with a display when it helps a reader."""
    ref: Resource = {"reference": f"{resource_type}/{resource_id}"}
    if display is not None:
        ref["display"] = display
    return ref


def text(value: str) -> Resource:
    """A CodeableConcept that is just text."""
    return {"text": value}


def money(fen: int) -> Resource:
    """FHIR Money in yuan (a decimal), CNY."""
    value: int | float = fen // 100 if fen % 100 == 0 else fen / 100
    return {"value": value, "currency": "CNY"}


def meta(version: int, last_updated: str) -> Resource:
    """Resource.meta of a record."""
    return {"versionId": str(version), "lastUpdated": last_updated}


def unsigned_extension(url: str, value: int) -> Resource:
    """An extension carrying a valueUnsignedInt."""
    return {"url": url, "valueUnsignedInt": value}
