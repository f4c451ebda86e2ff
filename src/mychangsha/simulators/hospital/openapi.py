"""The hospital simulator's OpenAPI 3.1 document, built in Python so it stays next to the code.

FHIR resources are described by reference to the FHIR R4 specification and
`docs/fhir-profile.md` rather than re-modelled here; the document lists every route, its
parameters and statuses, and the admin controls. The shared meta and admin paths are added
by `simulators.base`.
"""

from __future__ import annotations

from typing import Any, Final

from mychangsha.simulators.hospital.capability import SEARCH_PARAMS
from mychangsha.simulators.hospital.search import DEFAULT_COUNT, MAX_COUNT

_FHIR: Final = "application/fhir+json"
_BASE: Final = "/fhir/{hospital}"
_HOSPITAL: Final = {
    "name": "hospital",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "example": "xiangya",
}
_ID: Final = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}
_PAGING: Final = [
    {
        "name": "_count",
        "in": "query",
        "schema": {"type": "integer", "minimum": 0, "default": DEFAULT_COUNT},
        "description": f"Page size, at most {MAX_COUNT} (larger values are clamped).",
    },
    {"name": "_offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
]
_EXTRA_PARAMS: Final[dict[str, tuple[str, ...]]] = {
    "Appointment": ("actor:identifier", "patient:identifier"),
    "DiagnosticReport": ("subject:identifier", "patient:identifier", "_include"),
    "Invoice": ("subject:identifier", "patient:identifier"),
    "PractitionerRole": ("_include",),
    "Slot": ("schedule.actor",),
}


def _fhir(description: str) -> dict[str, Any]:
    return {"description": description, "content": {_FHIR: {"schema": {"type": "object"}}}}


def _outcome(description: str) -> dict[str, Any]:
    return {
        "description": f"{description} (OperationOutcome)",
        "content": {_FHIR: {"schema": _ref("OperationOutcome")}},
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _op(summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "tags": ["fhir"], "responses": responses, **extra}


def _search_params(resource_type: str) -> list[dict[str, Any]]:
    names = [*SEARCH_PARAMS[resource_type], *_EXTRA_PARAMS.get(resource_type, ())]
    params = [{"name": name, "in": "query", "schema": {"type": "string"}} for name in names]
    return [_HOSPITAL, *params, *_PAGING]


def _resource_paths() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for resource_type, params in SEARCH_PARAMS.items():
        if params:
            paths[f"{_BASE}/{resource_type}"] = {
                "get": _op(
                    f"Search {resource_type} (searchset Bundle)",
                    {"200": _fhir("Bundle"), "400": _outcome("Bad search")},
                    parameters=_search_params(resource_type),
                )
            }
        paths[f"{_BASE}/{resource_type}/{{id}}"] = {
            "get": _op(
                f"Read {resource_type}",
                {"200": _fhir(resource_type), "404": _outcome("Unknown id")},
                parameters=[_HOSPITAL, _ID],
            )
        }
    return paths


def _write_paths() -> dict[str, Any]:
    created = {
        "200": _fhir("The Appointment already made with this If-None-Exist key"),
        "201": _fhir("Booked: one place of the slot taken"),
        "400": _outcome("Invalid Appointment"),
        "409": _outcome("Slot full (conflict)"),
        "422": _outcome("Unknown or unbookable slot"),
    }
    condition = {
        "name": "If-None-Exist",
        "in": "header",
        "schema": {"type": "string"},
        "example": "identifier=urn:mychangsha:booking|b-123",
    }
    updated = {
        "200": _fhir("Updated (or unchanged when already in that status)"),
        "400": _outcome("Invalid body"),
        "404": _outcome("Unknown id"),
        "412": _outcome("If-Match names an old version"),
        "422": _outcome("Refused by a business rule"),
    }
    body = {"required": True, "content": {_FHIR: {"schema": {"type": "object"}}}}
    appointment = f"{_BASE}/Appointment"
    return {
        appointment: {
            "post": _op(
                "Book (conditional create)",
                created,
                parameters=[_HOSPITAL, condition],
                requestBody=body,
            )
        },
        f"{appointment}/{{id}}": {
            "put": _op("Cancel (status cancelled)", updated, parameters=[_HOSPITAL, _ID])
        },
        f"{appointment}/{{id}}/$queue": {
            "get": _op(
                "Queue position (Parameters)",
                {"200": _fhir("Parameters"), "422": _outcome("Not booked")},
                parameters=[_HOSPITAL, _ID],
            )
        },
        f"{_BASE}/Invoice/{{id}}": {
            "put": _op("Mark paid (status balanced)", updated, parameters=[_HOSPITAL, _ID])
        },
        f"{_BASE}/metadata": {
            "get": _op(
                "CapabilityStatement", {"200": _fhir("CapabilityStatement")}, parameters=[_HOSPITAL]
            )
        },
    }


def _admin_paths() -> dict[str, Any]:
    ok = {"200": {"description": "OK"}, "404": {"description": "Unknown hospital or slot"}}
    admin = ["admin"]
    hospital = {**_HOSPITAL}
    slot = {"name": "slot_id", "in": "path", "required": True, "schema": {"type": "string"}}
    json_body = {"required": True, "content": {"application/json": {"schema": {}}}}
    return {
        "/__admin/hospital-counters": {
            "get": {"summary": "Requests per hospital by METHOD Type", "tags": admin,
                    "responses": {"200": {"description": "{code: {key: n}}"}}}
        },
        "/__admin/appointments": {
            "get": {"summary": "Every appointment (filters: hospital, slotId, status)",
                    "tags": admin, "responses": {"200": {"description": "{total, items}"}}}
        },
        "/__admin/slots/{hospital}/{slot_id}": {
            "put": {"summary": 'Override capacity: {"capacity": n}', "tags": admin,
                    "parameters": [hospital, slot], "requestBody": json_body, "responses": ok}
        },
        "/__admin/queue/{hospital}/{slot_id}/advance": {
            "post": {"summary": "Call the next number now", "tags": admin,
                     "parameters": [hospital, slot], "responses": ok}
        },
        "/__admin/hospitals/{hospital}/reports": {
            "post": {"summary": 'Issue a report: {"patientId", "patientName"?, "kind": '
                                '"lab"|"imaging"}', "tags": admin, "parameters": [hospital],
                     "requestBody": json_body, "responses": {"201": {"description": "Report"}}}
        },
        "/__admin/hospitals/{hospital}/invoices": {
            "post": {"summary": 'Issue a bill: {"patientId", "patientName"?, "description", '
                                '"amountFen"}', "tags": admin, "parameters": [hospital],
                     "requestBody": json_body, "responses": {"201": {"description": "Invoice"}}}
        },
    }  # fmt: skip


def openapi_document() -> dict[str, Any]:
    """The document served at `/openapi.json`."""
    directory = {
        "get": {
            "summary": "Hospitals and their absolute FHIR base URLs",
            "tags": ["directory"],
            "responses": {"200": {"description": '[{"code", "name", "fhirBaseUrl"}]'}},
        }
    }
    paths: dict[str, Any] = {"/directory": directory}
    for part in (_resource_paths(), _write_paths(), _admin_paths()):
        for path, item in part.items():
            paths.setdefault(path, {}).update(item)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Changsha hospitals FHIR R4 (simulator)",
            "version": "1.0.0",
            "description": (
                "One FHIR R4 server per hospital under /fhir/{hospital}; the profile is "
                "docs/fhir-profile.md. Errors are OperationOutcome."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": {
                "OperationOutcome": {
                    "type": "object",
                    "required": ["resourceType", "issue"],
                    "properties": {
                        "resourceType": {"const": "OperationOutcome"},
                        "issue": {"type": "array", "items": {"type": "object"}},
                    },
                }
            }
        },
    }
