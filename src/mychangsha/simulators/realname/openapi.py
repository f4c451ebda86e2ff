"""The real-name verification service's OpenAPI 3.1 document, built in Python next to the code.

The shared meta and admin paths and schemas are added by `simulators.base`.
"""

from __future__ import annotations

from typing import Any, Final

# The shape of a resident ID number: 17 digits, then a digit or X. The check character
# itself is not verified by the service.
ID_NUMBER_PATTERN: Final = r"^[0-9]{17}[0-9Xx]$"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


_ID_NUMBER: Final = {
    "type": "string",
    "pattern": ID_NUMBER_PATTERN,
    "examples": ["430102198503120114"],
}
_NAME: Final = {"type": "string", "minLength": 1, "maxLength": 64, "examples": ["张伟"]}
_STATUS: Final = {"type": "string", "enum": ["active", "name_changed", "deregistered"]}

_SCHEMAS: Final[dict[str, Any]] = {
    "VerificationRequest": {
        "type": "object",
        "required": ["name", "idNumber"],
        "additionalProperties": False,
        "properties": {"name": _NAME, "idNumber": _ID_NUMBER},
    },
    "Verification": {
        "type": "object",
        "required": ["verificationId", "result", "checkedAt"],
        "properties": {
            "verificationId": {"type": "string", "examples": ["rnv-5c1d9e0f2a3b4c5d6e7f8a9b"]},
            "result": {
                "type": "string",
                "enum": ["match", "mismatch", "not_found"],
                "description": (
                    "match: the registry holds this number under this name; mismatch: under "
                    "another name; not_found: no such (living, registered) person."
                ),
            },
            "checkedAt": {"type": "string", "format": "date-time"},
        },
    },
    "CitizenRecord": {
        "type": "object",
        "required": ["name", "idNumber"],
        "additionalProperties": False,
        "properties": {
            "name": _NAME,
            "idNumber": _ID_NUMBER,
            "status": {
                **_STATUS,
                "default": "active",
                "description": "name_changed always answers mismatch, deregistered not_found.",
            },
        },
    },
    "CitizenRecordList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("CitizenRecord")}},
    },
}


def _paths() -> dict[str, Any]:
    return {
        "/v1/verifications": {
            "post": {
                "operationId": "verify",
                "summary": "Check that a name and a resident ID number belong together",
                "tags": ["verification"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("VerificationRequest")}},
                },
                "responses": {
                    "200": _json("Verification", "The verdict"),
                    "400": _json("Error", "Missing or malformed fields"),
                },
            }
        },
        "/__admin/records": {
            "get": {
                "operationId": "adminListRecords",
                "summary": "Every record the service holds, ordered by ID number",
                "tags": ["admin"],
                "responses": {"200": _json("CitizenRecordList", "The records")},
            },
            "put": {
                "operationId": "adminPutRecord",
                "summary": "Add (or replace by ID number) a record until the next reset",
                "tags": ["admin"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("CitizenRecord")}},
                },
                "responses": {
                    "200": _json("CitizenRecord", "Replaced"),
                    "201": _json("CitizenRecord", "Added"),
                    "400": _json("Error", "Invalid body"),
                },
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the verification service and its test controls."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Real-name verification service (simulator)",
            "version": "1.0.0",
            "description": (
                "Public-security style identity check: does a resident ID number belong to "
                'this name? Errors are `{"error": {"code", "message"}}`.'
            ),
        },
        "tags": [
            {"name": "verification", "description": "The check"},
            {"name": "admin", "description": "Simulator controls for tests"},
            {"name": "meta", "description": "Health and this document"},
        ],
        "paths": _paths(),
        "components": {"schemas": dict(_SCHEMAS)},
    }
