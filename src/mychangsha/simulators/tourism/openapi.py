"""The tourism platform's OpenAPI 3.1 document, built in Python so it stays next to the code.

The shared meta and admin paths (`/healthz`, `/__admin/counters|faults|reset`) and the
`Error`, `Faults` and `Counters` schemas are added by `simulators.base`.
"""

from __future__ import annotations

from typing import Any, Final

MAX_PAGE_SIZE: Final = 100
DEFAULT_PAGE_SIZE: Final = 20
DEFAULT_EVENT_PAGE_SIZE: Final = 50


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


_DATE: Final = {"type": "string", "format": "date", "examples": ["2026-11-26"]}
_EVENT_FIELDS: Final = (
    "title",
    "titleEn",
    "category",
    "startDate",
    "endDate",
    "dailyStart",
    "dailyEnd",
    "venue",
    "description",
    "priceFen",
    "reservationRequired",
)
_EVENT_ID_PARAM: Final = {
    "name": "event_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "example": "evt-mawangdui-han-tombs",
}
_EVENT_SCHEMAS: Final[dict[str, Any]] = {
    "Venue": {
        "type": "object",
        "required": ["name", "address", "location", "attractionId"],
        "properties": {
            "name": {"type": "string", "examples": ["湖南博物院"]},
            "address": _STRING,
            "location": _ref("Location"),
            "attractionId": {
                "type": ["string", "null"],
                "description": "The attraction of the catalogue the venue is, if any.",
            },
        },
    },
    "Event": {
        "type": "object",
        "description": "Dates and daily times are local (Asia/Shanghai); endDate >= startDate.",
        "required": ["id", *_EVENT_FIELDS, "updatedAt"],
        "properties": {
            "id": {"type": "string", "examples": ["evt-mawangdui-han-tombs"]},
            "title": {"type": "string", "examples": ["长沙马王堆汉墓陈列"]},
            "titleEn": {"type": ["string", "null"]},
            "category": {"type": "string", "enum": ["exhibition", "festival", "performance"]},
            "startDate": _DATE,
            "endDate": _DATE,
            "dailyStart": {"oneOf": [_TIME, {"type": "null"}]},
            "dailyEnd": {"oneOf": [_TIME, {"type": "null"}]},
            "venue": _ref("Venue"),
            "description": _STRING,
            "priceFen": {
                "type": ["integer", "null"],
                "minimum": 0,
                "description": "Lowest price in fen; 0 is free, null not yet announced.",
            },
            "reservationRequired": {"type": "boolean"},
            "updatedAt": {"type": "string", "format": "date-time"},
        },
    },
    "EventPatch": {
        "type": "object",
        "description": "Any event fields except id and updatedAt; a new id needs them all.",
        "additionalProperties": False,
        "properties": {
            name: {"$ref": f"#/components/schemas/Event/properties/{name}"}
            for name in _EVENT_FIELDS
        },
    },
    "EventPage": {
        "type": "object",
        "required": ["items", "page", "pageSize", "total", "next"],
        "properties": {
            "items": {"type": "array", "items": _ref("Event")},
            "page": {"type": "integer", "minimum": 1},
            "pageSize": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            "total": {"type": "integer", "minimum": 0},
            "next": {
                "type": ["string", "null"],
                "description": "Path and query of the next page; null on the last page.",
                "examples": ["/v1/events?page=2&pageSize=50"],
            },
        },
    },
}


def _event_paths() -> dict[str, Any]:
    not_found = _json("Error", "No event with this id")
    return {
        "/v1/events": {
            "get": {
                "operationId": "listEvents",
                "summary": "The events calendar, ordered by id, one page at a time",
                "tags": ["events"],
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
                            "default": DEFAULT_EVENT_PAGE_SIZE,
                        },
                    },
                ],
                "responses": {"200": _json("EventPage", "One page"), "400": _BAD_REQUEST},
            }
        },
        "/__admin/events/{event_id}": {
            "put": {
                "operationId": "adminPutEvent",
                "summary": "Change (or add) an event; updatedAt moves forward",
                "tags": ["admin"],
                "parameters": [_EVENT_ID_PARAM],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("EventPatch")}},
                },
                "responses": {
                    "200": _json("Event", "The changed event"),
                    "201": _json("Event", "The added event"),
                    "400": _BAD_REQUEST,
                },
            },
            "delete": {
                "operationId": "adminDeleteEvent",
                "summary": "Remove an event until the next reset",
                "tags": ["admin"],
                "parameters": [_EVENT_ID_PARAM],
                "responses": {"204": {"description": "Removed"}, "404": not_found},
            },
        },
    }


_SLOT_ID_PARAM: Final = {
    "name": "slot_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "example": "att-hunan-museum-free@2026-11-26T10:00",
}
_RESERVATION_ID_PARAM: Final = {
    "name": "reservation_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "example": "RSV3F9A0C1E2B4D6F80",
}
_SLOT_DATE: Final = {"type": "string", "format": "date", "examples": ["2026-11-26"]}
_SLOT_TIME: Final = {"type": "string", "pattern": "^(?:[01]\\d|2[0-3]):[0-5]\\d$"}
_RSV_STAMP: Final = {"type": ["string", "null"], "format": "date-time"}
_RSV_COUNT: Final = {"type": "integer", "minimum": 0}
_RSV_REFUSED: Final = _json("Error", "Refused by the platform's rules (see `error.code`)")
_NO_RESERVATION: Final = _json("Error", "RESERVATION_NOT_FOUND")
_RSV_CONFLICT: Final = _json("Error", "Not in a state that allows this (see `error.code`)")


def _reservation_body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


_RESERVATION_SCHEMAS: Final[dict[str, Any]] = {
    "Slot": {
        "type": "object",
        "description": (
            "One hour of one ticket type. Book only when min(remaining, dailyRemaining) >= "
            "visitors; the id is opaque."
        ),
        "required": [
            "id",
            "ticketTypeId",
            "ticketName",
            "date",
            "start",
            "end",
            "priceFen",
            "quota",
            "remaining",
            "dailyQuota",
            "dailyRemaining",
        ],
        "properties": {
            "id": {"type": "string", "examples": ["att-hunan-museum-free@2026-11-26T10:00"]},
            "ticketTypeId": _STRING,
            "ticketName": _STRING,
            "date": _SLOT_DATE,
            "start": _SLOT_TIME,
            "end": _SLOT_TIME,
            "priceFen": _RSV_COUNT,
            "quota": _RSV_COUNT,
            "remaining": {**_RSV_COUNT, "description": "The slot's own remaining places."},
            "dailyQuota": _RSV_COUNT,
            "dailyRemaining": {**_RSV_COUNT, "description": "The ticket type's places left today."},
        },
    },
    "SlotList": {
        "type": "object",
        "required": ["attractionId", "date", "items"],
        "properties": {
            "attractionId": _STRING,
            "date": _SLOT_DATE,
            "items": {"type": "array", "items": _ref("Slot")},
        },
    },
    "VisitorRequest": {
        "type": "object",
        "required": ["ref", "name", "idNumber"],
        "additionalProperties": False,
        "properties": {
            "ref": {"type": "string", "minLength": 1, "maxLength": 64},
            "name": {"type": "string", "description": "1 to 30 characters."},
            "idNumber": {
                "type": "string",
                "description": "18 characters with the GB 11643 check character.",
                "examples": ["430104201503071234"],
            },
        },
    },
    "ReservationRequest": {
        "type": "object",
        "required": ["slotId", "visitors"],
        "additionalProperties": False,
        "properties": {
            "slotId": {"type": "string", "minLength": 1, "maxLength": 200},
            "visitors": {
                "type": "array",
                "description": "1 to 5 people (else 422 VISITOR_LIMIT).",
                "items": _ref("VisitorRequest"),
            },
        },
    },
    "Visitor": {
        "type": "object",
        "required": ["ticketId", "ref", "name", "idNumberMasked"],
        "properties": {
            "ticketId": _STRING,
            "ref": _STRING,
            "name": _STRING,
            "idNumberMasked": {"type": "string", "examples": ["430104********1234"]},
        },
    },
    "Reservation": {
        "type": "object",
        "required": [
            "id",
            "status",
            "attractionId",
            "slotId",
            "ticketTypeId",
            "ticketName",
            "date",
            "start",
            "end",
            "visitors",
            "unitPriceFen",
            "amountFen",
            "createdAt",
            "payBy",
            "paidAt",
            "transactionId",
            "cancelledAt",
        ],
        "properties": {
            "id": _STRING,
            "status": {
                "type": "string",
                "enum": ["awaiting_payment", "confirmed", "cancelled", "expired"],
            },
            "attractionId": _STRING,
            "slotId": _STRING,
            "ticketTypeId": _STRING,
            "ticketName": _STRING,
            "date": _SLOT_DATE,
            "start": _SLOT_TIME,
            "end": _SLOT_TIME,
            "visitors": {"type": "array", "items": _ref("Visitor")},
            "unitPriceFen": _RSV_COUNT,
            "amountFen": _RSV_COUNT,
            "createdAt": {"type": "string", "format": "date-time"},
            "payBy": {
                **_RSV_STAMP,
                "description": "Unpaid after this, the reservation expires; null when free.",
            },
            "paidAt": _RSV_STAMP,
            "transactionId": {"type": ["string", "null"]},
            "cancelledAt": _RSV_STAMP,
        },
    },
    "Payment": {
        "type": "object",
        "required": ["transactionId", "amountFen"],
        "additionalProperties": False,
        "properties": {
            "transactionId": {"type": "string", "minLength": 1, "maxLength": 128},
            "amountFen": _RSV_COUNT,
        },
    },
    "ReservationList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("Reservation")}},
    },
    "SlotQuota": {
        "type": "object",
        "required": ["quota"],
        "additionalProperties": False,
        "properties": {"quota": _RSV_COUNT},
    },
    "DailyQuota": {
        "type": "object",
        "required": ["dailyQuota"],
        "additionalProperties": False,
        "properties": {"dailyQuota": _RSV_COUNT},
    },
    "DailyQuotaState": {
        "type": "object",
        "required": ["ticketTypeId", "date", "dailyQuota", "dailyRemaining"],
        "properties": {
            "ticketTypeId": _STRING,
            "date": _SLOT_DATE,
            "dailyQuota": _RSV_COUNT,
            "dailyRemaining": _RSV_COUNT,
        },
    },
    "ReservationSettings": {
        "type": "object",
        "required": ["holdSeconds"],
        "additionalProperties": False,
        "properties": {
            "holdSeconds": {
                "type": "integer",
                "minimum": 0,
                "maximum": 604800,
                "default": 900,
                "description": "How long unpaid places are held (reservations made from now on).",
            }
        },
    },
}


def _reservation_paths() -> dict[str, Any]:
    tags = ["reservations"]
    return {
        "/v1/attractions/{attraction_id}/slots": {
            "get": {
                "operationId": "listSlots",
                "summary": "A day's entry slots (today … today+6), by ticket type then start",
                "tags": tags,
                "parameters": [
                    _ID_PARAM,
                    {"name": "date", "in": "query", "required": True, "schema": _SLOT_DATE},
                ],
                "responses": {
                    "200": _json("SlotList", "The slots; none on a closed day"),
                    "400": _BAD_REQUEST,
                    "404": _NOT_FOUND,
                    "422": _json("Error", "DATE_NOT_BOOKABLE"),
                },
            }
        },
        "/v1/reservations": {
            "post": {
                "operationId": "createReservation",
                "summary": "Reserve places for 1–5 named visitors, all or nothing",
                "tags": tags,
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 128},
                    }
                ],
                "requestBody": _reservation_body("ReservationRequest"),
                "responses": {
                    "201": _json("Reservation", "Reserved"),
                    "200": _json("Reservation", "The reservation made earlier with this key"),
                    "400": _BAD_REQUEST,
                    "404": _json("Error", "SLOT_NOT_FOUND"),
                    "409": _json("Error", "QUOTA_EXHAUSTED or VISITOR_ALREADY_BOOKED"),
                    "422": _RSV_REFUSED,
                },
            }
        },
        "/v1/reservations/{reservation_id}": {
            "get": {
                "operationId": "getReservation",
                "summary": "One reservation as it is now (unpaid holds past payBy are expired)",
                "tags": tags,
                "parameters": [_RESERVATION_ID_PARAM],
                "responses": {
                    "200": _json("Reservation", "The reservation"),
                    "404": _NO_RESERVATION,
                },
            }
        },
        "/v1/reservations/{reservation_id}/cancel": {
            "post": {
                "operationId": "cancelReservation",
                "summary": "Cancel before the slot starts and give the places back",
                "tags": tags,
                "parameters": [_RESERVATION_ID_PARAM],
                "responses": {
                    "200": _json("Reservation", "Cancelled (also when it already was)"),
                    "404": _NO_RESERVATION,
                    "409": _RSV_CONFLICT,
                },
            }
        },
        "/v1/reservations/{reservation_id}/payment": {
            "post": {
                "operationId": "payReservation",
                "summary": "Record the payment of a held reservation, which confirms it",
                "tags": tags,
                "parameters": [_RESERVATION_ID_PARAM],
                "requestBody": _reservation_body("Payment"),
                "responses": {
                    "200": _json("Reservation", "Confirmed (also for the same transaction again)"),
                    "400": _BAD_REQUEST,
                    "404": _NO_RESERVATION,
                    "409": _json("Error", "NOT_PAYABLE"),
                    "422": _json("Error", "AMOUNT_MISMATCH"),
                },
            }
        },
    }


def _reservation_admin_paths() -> dict[str, Any]:
    tags = ["admin"]
    return {
        "/__admin/slots/{slot_id}": {
            "put": {
                "operationId": "adminSetSlotQuota",
                "summary": "Set one slot's quota (remaining = quota − taken, never negative)",
                "tags": tags,
                "parameters": [_SLOT_ID_PARAM],
                "requestBody": _reservation_body("SlotQuota"),
                "responses": {
                    "200": _json("Slot", "The slot now"),
                    "400": _BAD_REQUEST,
                    "404": _json("Error", "SLOT_NOT_FOUND"),
                },
            }
        },
        "/__admin/quotas/{ticket_type_id}/{date}": {
            "put": {
                "operationId": "adminSetDailyQuota",
                "summary": "Set a ticket type's quota for one day",
                "tags": tags,
                "parameters": [
                    {
                        "name": "ticket_type_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "date", "in": "path", "required": True, "schema": _SLOT_DATE},
                ],
                "requestBody": _reservation_body("DailyQuota"),
                "responses": {
                    "200": _json("DailyQuotaState", "The day's quota now"),
                    "400": _BAD_REQUEST,
                    "404": _json("Error", "SLOT_NOT_FOUND"),
                },
            }
        },
        "/__admin/reservation-settings": {
            "put": {
                "operationId": "adminPutReservationSettings",
                "summary": "Set how long unpaid places are held",
                "tags": tags,
                "requestBody": _reservation_body("ReservationSettings"),
                "responses": {
                    "200": _json("ReservationSettings", "The settings now"),
                    "400": _BAD_REQUEST,
                },
            }
        },
        "/__admin/reservations": {
            "get": {
                "operationId": "adminListReservations",
                "summary": "Every reservation, oldest first (ID numbers masked)",
                "tags": tags,
                "responses": {"200": _json("ReservationList", "Every reservation")},
            }
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
            {"name": "reservations", "description": "Timed entry slots and real-name reservations"},
            {"name": "events", "description": "Exhibitions, festivals and performances"},
            {"name": "admin", "description": "Simulator controls for tests"},
            {"name": "meta", "description": "Health and this document"},
        ],
        "paths": {
            **_api_paths(),
            **_admin_paths(),
            **_event_paths(),
            **_reservation_paths(),
            **_reservation_admin_paths(),
        },
        "components": {"schemas": {**_SCHEMAS, **_EVENT_SCHEMAS, **_RESERVATION_SCHEMAS}},
    }
