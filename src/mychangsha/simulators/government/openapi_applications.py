"""The applications part of the OpenAPI document: schemas and paths.

Applications are multipart (an `application` JSON part plus `materials[<name>]` file parts);
the status webhook posted to the application's `callbackUrl` is described in `openapi.py`.
"""

from __future__ import annotations

from typing import Any, Final

from mychangsha.simulators.government.applications import STATUSES
from mychangsha.simulators.government.openapi_common import (
    BAD,
    CODE,
    DATE,
    NOT_FOUND,
    NULLABLE_STRING,
    PAGING,
    STATUS,
    STRING,
    TIME,
    array,
    obj,
    operation,
    page_of,
    path_param,
    query_param,
    ref,
    reply,
)

__all__ = ["APPLICATION_SCHEMAS", "application_paths"]

APPLICATION_SCHEMAS: Final[dict[str, Any]] = {
    "Applicant": obj(
        ["name", "idNumber", "phone"],
        {
            "name": STRING,
            "idNumber": {**STRING, "pattern": r"^\d{17}[\dX]$", "description": "GB 11643-1999"},
            "phone": {**STRING, "pattern": r"^1[3-9]\d{9}$"},
        },
    ),
    "ApplicationSubmission": obj(
        ["applicant", "externalId"],
        {
            "serviceCode": {**CODE, "description": "Exactly one of serviceCode, bundleCode."},
            "bundleCode": CODE,
            "applicant": ref("Applicant"),
            "fields": {
                "type": "object",
                "description": "Values by form-field name: text and select as strings, dates as "
                "YYYY-MM-DD, numbers as JSON numbers (or decimal strings), never negative.",
            },
            "externalId": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "description": "The caller's idempotency key: the same id answers the same "
                "application (200) instead of creating another.",
            },
            "callbackUrl": {
                "type": "string",
                "format": "uri",
                "description": "Where this application's status-change webhooks are posted.",
            },
        },
        additionalProperties=False,
    ),
    "StoredMaterial": obj(
        ["material", "fileName", "contentType", "size", "sha256", "uploadedAt", "round"],
        {
            "material": STRING,
            "fileName": STRING,
            "contentType": {
                "type": "string",
                "enum": ["application/pdf", "image/jpeg", "image/png"],
            },
            "size": {"type": "integer"},
            "sha256": {**STRING, "pattern": "^[0-9a-f]{64}$"},
            "uploadedAt": TIME,
            "round": {
                "type": "integer",
                "description": "0 with the application, then 1, 2 … per supplement.",
            },
        },
    ),
    "TimelineEntry": obj(["status", "at", "note"], {"status": STATUS, "at": TIME, "note": STRING}),
    "SupplementRequest": obj(
        ["names", "reason", "requestedAt", "fulfilledAt"],
        {
            "names": array(STRING),
            "reason": STRING,
            "requestedAt": TIME,
            "fulfilledAt": {**TIME, "type": ["string", "null"]},
        },
    ),
    "Application": obj(
        [
            "applicationNumber",
            "externalId",
            "serviceCode",
            "bundleCode",
            "title",
            "serviceCodes",
            "departments",
            "applicant",
            "fields",
            "materials",
            "status",
            "statusText",
            "submittedAt",
            "updatedAt",
            "dueDate",
            "supplementRequest",
            "certificateIds",
            "callbackUrl",
            "timeline",
        ],
        {
            "applicationNumber": {
                **STRING,
                "pattern": r"^430100-\d{4}-\d{6}$",
                "examples": ["430100-2026-000123"],
            },
            "externalId": STRING,
            "serviceCode": {**CODE, "type": ["string", "null"]},
            "bundleCode": {**CODE, "type": ["string", "null"]},
            "title": STRING,
            "serviceCodes": array(CODE),
            "departments": array(STRING),
            "applicant": ref("Applicant"),
            "fields": {"type": "object"},
            "materials": array(ref("StoredMaterial")),
            "status": STATUS,
            "statusText": {**STRING, "examples": ["审查中"]},
            "submittedAt": TIME,
            "updatedAt": TIME,
            "dueDate": DATE,
            "supplementRequest": {"oneOf": [ref("SupplementRequest"), {"type": "null"}]},
            "certificateIds": array(STRING),
            "callbackUrl": NULLABLE_STRING,
            "timeline": array(ref("TimelineEntry")),
        },
    ),
    "ApplicationPage": page_of("Application"),
    "DetailedError": obj(
        ["error"],
        {
            "error": obj(
                ["code", "message"],
                {
                    "code": {
                        "type": "string",
                        "examples": ["MISSING_MATERIALS", "INVALID_FIELD", "INVALID_MATERIAL"],
                    },
                    "message": STRING,
                    "names": {
                        **array(STRING),
                        "description": "Materials concerned (material errors).",
                    },
                    "field": {**STRING, "description": "The offending field (INVALID_FIELD)."},
                },
            )
        },
    ),
    "WebhookEvent": obj(
        ["eventId", "applicationNumber", "status", "previousStatus", "at", "externalId"],
        {
            "eventId": {**STRING, "description": "Unique per change; a redelivery repeats it."},
            "applicationNumber": STRING,
            "status": STATUS,
            "previousStatus": {"type": ["string", "null"], "enum": [*STATUSES, None]},
            "at": TIME,
            "externalId": STRING,
        },
    ),
}

_REJECTED: Final = reply(
    "DetailedError",
    "MISSING_MATERIALS (names), INVALID_FIELD (field), INVALID_MATERIAL (names: empty, too "
    "large or of a type the material does not accept, judged by content), UNKNOWN_MATERIAL "
    "(names), UNKNOWN_SERVICE",
)
_MATERIAL_PARTS: Final = {
    "type": "string",
    "contentMediaType": "application/octet-stream",
    "description": "One file of the named material; repeat the part for several files.",
}
_MULTIPART_NOTE: Final = (
    "Parts: `application` (JSON, see ApplicationSubmission) and one file part per file named "
    "`materials[<material name>]`, e.g. `materials[居民身份证]`. At most 20 files, 10 MB each, "
    "30 MB in all; types pdf, jpg, png decided by content."
)
_NUMBER: Final = path_param("number", "办件编号", "430100-2026-000001")


def application_paths() -> dict[str, Any]:
    multipart = {
        "required": True,
        "description": _MULTIPART_NOTE,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["application"],
                    "properties": {"application": ref("ApplicationSubmission")},
                    "patternProperties": {r"^materials\[.+\]$": _MATERIAL_PARTS},
                },
                "encoding": {"application": {"contentType": "application/json"}},
            }
        },
    }
    supplement = {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"note": {"type": "string", "maxLength": 200}},
                    "patternProperties": {r"^materials\[.+\]$": _MATERIAL_PARTS},
                }
            }
        },
    }
    listing = [
        query_param("applicantIdNumber", "Only this applicant's applications"),
        query_param(
            "updatedSince",
            "Only those changed at or after this time (ISO 8601 with offset; percent-encode '+')",
            {"type": "string", "format": "date-time"},
        ),
        query_param("externalId", "Only the application with this idempotency key"),
        query_param(
            "status", "Only applications in this status", {"type": "string", "enum": list(STATUSES)}
        ),
        *PAGING,
    ]
    return {
        "/v1/applications": {
            "post": operation(
                "submitApplication",
                "Apply for a service or bundle with materials",
                "applications",
                {
                    "201": reply("Application", "Submitted"),
                    "200": reply("Application", "Already submitted with this externalId"),
                    "400": BAD,
                    "409": reply("DetailedError", "externalId used for another application"),
                    "415": reply("Error", "Not multipart/form-data"),
                    "422": _REJECTED,
                },
                requestBody=multipart,
            ),
            "get": operation(
                "listApplications",
                "Applications by last change, oldest first (for pollers)",
                "applications",
                {"200": reply("ApplicationPage", "One page"), "400": BAD},
                parameters=listing,
            ),
        },
        "/v1/applications/{number}": {
            "get": operation(
                "getApplication",
                "One application with its timeline",
                "applications",
                {"200": reply("Application", "The application"), "404": NOT_FOUND},
                parameters=[_NUMBER],
            )
        },
        "/v1/applications/{number}/supplements": {
            "post": operation(
                "supplementApplication",
                "Upload the materials asked for; review resumes",
                "applications",
                {
                    "200": reply("Application", "Back in review"),
                    "404": NOT_FOUND,
                    "409": reply("DetailedError", "NOT_AWAITING_SUPPLEMENT"),
                    "422": _REJECTED,
                },
                parameters=[_NUMBER],
                requestBody=supplement,
            )
        },
    }
