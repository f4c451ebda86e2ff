"""The tourism platform's OpenAPI 3.1 document, built in Python so it stays next to the code.

The shared meta and admin paths (`/healthz`, `/__admin/counters|faults|reset`) and the
`Error`, `Faults` and `Counters` schemas are added by `simulators.base`.
"""

from __future__ import annotations

from typing import Any, Final

MAX_PAGE_SIZE: Final = 100
DEFAULT_PAGE_SIZE: Final = 20


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


_NOT_FOUND: Final = _json("Error", "No attraction with this id")
_BAD_REQUEST: Final = _json("Error", "Invalid parameters or body")
_ID_PARAM: Final = {
    "name": "attraction_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "example": "att-yuelushan",
}

_STRING: Final = {"type": "string"}
_TIME: Final = {"type": "string", "pattern": "^(?:[01]\\d|2[0-3]):[0-5]\\d$|^24:00$"}

_SCHEMAS: Final[dict[str, Any]] = {
    "Location": {
        "type": "object",
        "description": "WGS-84 degrees.",
        "required": ["lat", "lng"],
        "properties": {
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lng": {"type": "number", "minimum": -180, "maximum": 180},
        },
    },
    "OpeningHours": {
        "type": "object",
        "required": ["days", "open", "close"],
        "properties": {
            "days": {"type": "string", "examples": ["Mon-Sun", "Tue-Sun"]},
            "open": _TIME,
            "close": _TIME,
        },
    },
    "Ticket": {
        "type": "object",
        "required": ["id", "name", "priceFen", "reservationRequired"],
        "properties": {
            "id": _STRING,
            "name": _STRING,
            "priceFen": {"type": "integer", "minimum": 0, "description": "Price in fen (分)."},
            "reservationRequired": {"type": "boolean"},
        },
    },
    "Attraction": {
        "type": "object",
        "required": [
            "id",
            "name",
            "nameEn",
            "district",
            "address",
            "location",
            "level",
            "description",
            "tags",
            "openingHours",
            "tickets",
            "capacity",
            "updatedAt",
        ],
        "properties": {
            "id": {"type": "string", "examples": ["att-yuelushan"]},
            "name": {"type": "string", "examples": ["岳麓山"]},
            "nameEn": {"type": ["string", "null"]},
            "district": {"type": "string", "examples": ["岳麓区"]},
            "address": _STRING,
            "location": _ref("Location"),
            "level": {"type": ["string", "null"], "examples": ["5A", "4A"]},
            "description": _STRING,
            "tags": {"type": "array", "items": _STRING},
            "openingHours": {"type": "array", "items": _ref("OpeningHours")},
            "tickets": {"type": "array", "items": _ref("Ticket")},
            "capacity": {"type": "integer", "minimum": 0},
            "updatedAt": {"type": "string", "format": "date-time"},
        },
    },
    "AttractionPatch": {
        "type": "object",
        "description": "Any attraction fields except id and updatedAt; a new id needs them all.",
        "additionalProperties": False,
        "properties": {
            name: {"$ref": f"#/components/schemas/Attraction/properties/{name}"}
            for name in (
                "name",
                "nameEn",
                "district",
                "address",
                "location",
                "level",
                "description",
                "tags",
                "openingHours",
                "tickets",
                "capacity",
            )
        },
    },
    "AttractionPage": {
        "type": "object",
        "required": ["items", "page", "pageSize", "total", "next"],
        "properties": {
            "items": {"type": "array", "items": _ref("Attraction")},
            "page": {"type": "integer", "minimum": 1},
            "pageSize": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "total": {"type": "integer", "minimum": 0},
            "next": {
                "type": ["string", "null"],
                "description": "Path and query of the next page; null on the last page.",
                "examples": ["/v1/attractions?page=2&pageSize=20"],
            },
        },
    },
    "CrowdReading": {
        "type": "object",
        "required": ["attractionId", "level", "visitors", "capacity", "updatedAt"],
        "properties": {
            "attractionId": _STRING,
            "level": {
                "type": "string",
                "enum": ["comfortable", "busy", "crowded"],
                "description": "visitors/capacity below 0.5, below 0.8, else crowded.",
            },
            "visitors": {"type": "integer", "minimum": 0},
            "capacity": {"type": "integer", "minimum": 0},
            "updatedAt": {"type": "string", "format": "date-time"},
        },
    },
    "CrowdList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("CrowdReading")}},
    },
    "CrowdPin": {
        "type": "object",
        "required": ["visitors"],
        "additionalProperties": False,
        "properties": {"visitors": {"type": "integer", "minimum": 0}},
    },
}


def _api_paths() -> dict[str, Any]:
    tags = ["attractions"]
    return {
        "/v1/attractions": {
            "get": {
                "operationId": "listAttractions",
                "summary": "The catalogue, ordered by id, one page at a time",
                "tags": tags,
                "parameters": [
                    {
                        "name": "page",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "default": 1},
                    },
                    {
                        "name": "pageSize",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_PAGE_SIZE,
                            "default": DEFAULT_PAGE_SIZE,
                        },
                    },
                ],
                "responses": {
                    "200": _json("AttractionPage", "One page"),
                    "400": _BAD_REQUEST,
                },
            }
        },
        "/v1/attractions/{attraction_id}": {
            "get": {
                "operationId": "getAttraction",
                "summary": "One attraction",
                "tags": tags,
                "parameters": [_ID_PARAM],
                "responses": {"200": _json("Attraction", "The attraction"), "404": _NOT_FOUND},
            }
        },
        "/v1/attractions/{attraction_id}/crowd": {
            "get": {
                "operationId": "getAttractionCrowd",
                "summary": "The live crowd reading of one attraction",
                "tags": ["crowd"],
                "parameters": [_ID_PARAM],
                "responses": {"200": _json("CrowdReading", "The reading"), "404": _NOT_FOUND},
            }
        },
        "/v1/crowd": {
            "get": {
                "operationId": "listCrowd",
                "summary": "Live crowd readings, ordered by attraction id",
                "tags": ["crowd"],
                "parameters": [
                    {
                        "name": "ids",
                        "in": "query",
                        "description": "Comma-separated attraction ids; unknown ids are absent.",
                        "schema": {"type": "string"},
                        "example": "att-yuelushan,att-hunan-museum",
                    }
                ],
                "responses": {"200": _json("CrowdList", "The readings")},
            }
        },
    }


def _admin_paths() -> dict[str, Any]:
    tags = ["admin"]
    return {
        "/__admin/crowd/{attraction_id}": {
            "put": {
                "operationId": "adminPinCrowd",
                "summary": "Pin an attraction's visitor count (the level is derived)",
                "tags": tags,
                "parameters": [_ID_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("CrowdPin")}},
                },
                "responses": {
                    "200": _json("CrowdReading", "The pinned reading"),
                    "400": _BAD_REQUEST,
                    "404": _NOT_FOUND,
                },
            },
            "delete": {
                "operationId": "adminUnpinCrowd",
                "summary": "Back to the simulated curve",
                "tags": tags,
                "parameters": [_ID_PARAM],
                "responses": {
                    "200": _json("CrowdReading", "The simulated reading"),
                    "404": _NOT_FOUND,
                },
            },
        },
        "/__admin/attractions/{attraction_id}": {
            "put": {
                "operationId": "adminPatchAttraction",
                "summary": "Change (or add) an attraction; updatedAt moves forward",
                "tags": tags,
                "parameters": [_ID_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("AttractionPatch")}},
                },
                "responses": {
                    "200": _json("Attraction", "The changed attraction"),
                    "201": _json("Attraction", "The added attraction"),
                    "400": _BAD_REQUEST,
                },
            },
            "delete": {
                "operationId": "adminDeleteAttraction",
                "summary": "Remove an attraction from the catalogue until the next reset",
                "tags": tags,
                "parameters": [_ID_PARAM],
                "responses": {"204": {"description": "Removed"}, "404": _NOT_FOUND},
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the tourism platform's API and its test controls."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Changsha tourism platform (simulator)",
            "version": "1.0.0",
            "description": (
                "智慧文旅: attractions of Changsha and their live crowd levels. JSON is "
                "camelCase, times are ISO 8601 with an offset, money is integer fen. Errors "
                'are `{"error": {"code", "message"}}`.'
            ),
        },
        "tags": [
            {"name": "attractions", "description": "The catalogue"},
            {"name": "crowd", "description": "Live crowd readings"},
            {"name": "admin", "description": "Simulator controls for tests"},
            {"name": "meta", "description": "Health and this document"},
        ],
        "paths": {**_api_paths(), **_admin_paths()},
        "components": {"schemas": dict(_SCHEMAS)},
    }
