"""`GET metadata`: each hospital's CapabilityStatement, listing exactly what the routes serve.

The search parameter names here are the ones the endpoints accept (the endpoints reject any
other), so a client can discover the server's abilities the FHIR way.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from mychangsha.simulators.hospital.fhir import CATALOGUE_UPDATED, FHIR_JSON, FHIR_VERSION, Resource
from mychangsha.simulators.hospital.hospitals import HospitalInfo

_TOKEN = "token"  # noqa: S105 - a FHIR search parameter type, not a secret
_REF = "reference"

SEARCH_PARAMS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {
        "Organization": {"_id": _TOKEN, "identifier": _TOKEN},
        "Location": {"_id": _TOKEN, "organization": _REF},
        "HealthcareService": {"_id": _TOKEN, "organization": _REF, "name": "string"},
        "Practitioner": {"_id": _TOKEN},
        "PractitionerRole": {
            "_id": _TOKEN,
            "service": _REF,
            "practitioner": _REF,
            "organization": _REF,
        },
        "Schedule": {"_id": _TOKEN, "actor": _REF},
        "Slot": {"_id": _TOKEN, "schedule": _REF, "start": "date", "status": _TOKEN},
        "Appointment": {
            "_id": _TOKEN,
            "identifier": _TOKEN,
            "actor": _REF,
            "patient": _REF,
            "slot": _REF,
            "status": _TOKEN,
            "date": "date",
        },
        "DiagnosticReport": {
            "_id": _TOKEN,
            "subject": _REF,
            "patient": _REF,
            "category": _TOKEN,
        },
        "Observation": {},
        "Invoice": {"_id": _TOKEN, "subject": _REF, "patient": _REF, "status": _TOKEN},
    }
)
_INCLUDES: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        "PractitionerRole": ("PractitionerRole:practitioner", "PractitionerRole:service"),
        "DiagnosticReport": ("DiagnosticReport:result",),
    }
)
_UPDATABLE: Final = frozenset({"Appointment", "Invoice"})


def _resource(resource_type: str, params: Mapping[str, str]) -> Resource:
    interactions = [{"code": "read"}]
    if params:
        interactions.append({"code": "search-type"})
    if resource_type in _UPDATABLE:
        interactions.append({"code": "update"})
    if resource_type == "Appointment":
        interactions.append({"code": "create"})
    body: Resource = {"type": resource_type, "interaction": interactions}
    if resource_type == "Appointment":
        body["conditionalCreate"] = True
        body["operation"] = [
            {"name": "queue", "definition": "http://mychangsha.cn/fhir/OperationDefinition/queue"}
        ]
    if resource_type in _INCLUDES:
        body["searchInclude"] = list(_INCLUDES[resource_type])
    if params:
        body["searchParam"] = [{"name": name, "type": kind} for name, kind in params.items()]
    return body


def capability_statement(info: HospitalInfo, base_url: str) -> Resource:
    """What this hospital's FHIR server can do."""
    return {
        "resourceType": "CapabilityStatement",
        "id": info.code,
        "status": "active",
        "date": CATALOGUE_UPDATED,
        "publisher": info.name,
        "kind": "instance",
        "software": {"name": "mychangsha hospital simulator"},
        "implementation": {"description": f"{info.name} FHIR R4", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "rest": [
            {
                "mode": "server",
                "resource": [
                    _resource(resource_type, params)
                    for resource_type, params in SEARCH_PARAMS.items()
                ],
            }
        ],
    }
