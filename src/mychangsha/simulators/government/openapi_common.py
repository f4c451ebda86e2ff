"""Building blocks of the government platform's OpenAPI document: refs, replies, parameters.

Shared by the schema and path modules (`openapi_schemas.py`, `openapi_applications.py`,
`openapi_admin.py`, `openapi.py`), which are split only to keep each one readable.
"""

from __future__ import annotations

from typing import Any, Final

from mychangsha.simulators.government.applications import STATUSES
from mychangsha.simulators.government.catalogue_data import LIFE_EVENTS

__all__ = [
    "BAD",
    "CODE",
    "DATE",
    "LIFE_EVENT",
    "NOT_FOUND",
    "NULLABLE_STRING",
    "PAGING",
    "STATUS",
    "STRING",
    "TIME",
    "array",
    "body",
    "obj",
    "operation",
    "page_of",
    "path_param",
    "query_param",
    "ref",
    "reply",
]


def ref(name: str) -> dict[str, str]:
    """A `$ref` to one of the component schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str], properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """An object schema."""
    return {"type": "object", "required": required, "properties": properties, **extra}


def array(items: dict[str, Any]) -> dict[str, Any]:
    """An array schema."""
    return {"type": "array", "items": items}


def page_of(item: str) -> dict[str, Any]:
    """The paging envelope every list of the platform uses."""
    return obj(
        ["items", "page", "pageSize", "total", "next"],
        {
            "items": array(ref(item)),
            "page": {"type": "integer", "minimum": 1},
            "pageSize": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
            "next": {
                "type": ["string", "null"],
                "description": "Path and query of the next page; null on the last page.",
            },
        },
    )


def reply(name: str, description: str) -> dict[str, Any]:
    """A JSON response of the named schema."""
    return {"description": description, "content": {"application/json": {"schema": ref(name)}}}


def body(name: str) -> dict[str, Any]:
    """A required JSON request body of the named schema."""
    return {"required": True, "content": {"application/json": {"schema": ref(name)}}}


def path_param(name: str, description: str, example: str) -> dict[str, Any]:
    """A string path parameter."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
        "example": example,
    }


def query_param(
    name: str, description: str, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An optional query parameter (a string unless `schema` says otherwise)."""
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": schema or {"type": "string"},
    }


def operation(
    op_id: str, summary: str, tag: str, responses: dict[str, Any], **more: Any
) -> dict[str, Any]:
    """One operation object."""
    return {"operationId": op_id, "summary": summary, "tags": [tag], "responses": responses, **more}


STRING: Final = {"type": "string"}
NULLABLE_STRING: Final = {"type": ["string", "null"]}
TIME: Final = {
    "type": "string",
    "format": "date-time",
    "examples": ["2026-03-02T09:30:00.000+08:00"],
}
DATE: Final = {"type": "string", "format": "date"}
STATUS: Final = {"type": "string", "enum": list(STATUSES)}
LIFE_EVENT: Final = {"type": "string", "enum": list(LIFE_EVENTS)}
CODE: Final = {"type": "string", "pattern": r"^430100-[A-Z]{2,3}-\d{3,4}$"}
PAGING: Final = [
    query_param("page", "1-based page", {"type": "integer", "minimum": 1, "default": 1}),
    query_param("pageSize", "Items per page", {"type": "integer", "minimum": 1, "maximum": 100}),
]
BAD: Final = reply("Error", "Invalid parameters or body")
NOT_FOUND: Final = reply("Error", "Not found")
