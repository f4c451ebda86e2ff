"""The test controls' part of the OpenAPI document: progression, advance, webhooks, catalogue."""

from __future__ import annotations

from typing import Any, Final

from mychangsha.simulators.government.applications import STATUSES
from mychangsha.simulators.government.openapi_common import (
    BAD,
    NOT_FOUND,
    body,
    operation,
    path_param,
    query_param,
    ref,
    reply,
)

__all__ = ["ADMIN_SCHEMAS", "admin_paths"]

_NUMBER: Final = path_param("number", "办件编号", "430100-2026-000001")

ADMIN_SCHEMAS: Final[dict[str, Any]] = {
    "Progression": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "stepSeconds": {
                "type": ["number", "null"],
                "minimum": 0,
                "default": 15,
                "description": "Seconds between automatic steps; null: admin only.",
            },
            "supplementFor": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Codes or names asking for one supplement.",
            },
            "reject": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Codes or names rejected after review.",
            },
        },
    },
    "Advance": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "to": {"type": "string", "enum": list(STATUSES)},
            "note": {"type": "string", "maxLength": 200},
        },
    },
    "WebhookConfig": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "url": {
                "type": ["string", "null"],
                "description": "Default for applications without callbackUrl.",
            },
            "dropNext": {
                "type": "integer",
                "minimum": 0,
                "description": "Silently lose the next n events.",
            },
            "retrySchedule": {"type": "array", "items": {"type": "number", "minimum": 0}},
            "timeoutMs": {"type": "integer", "minimum": 1},
        },
    },
    "Delivery": {
        "type": "object",
        "description": "id, eventId, applicationNumber, kind "
        "(event|duplicate|tampered), url, status (pending|delivered|failed|dropped|"
        "no_url), attempts [{at, statusCode, error}], event.",
    },
    "DeliveryList": {
        "type": "object",
        "properties": {"items": {"type": "array", "items": ref("Delivery")}},
    },
    "ServicePatch": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            key: {"$ref": f"#/components/schemas/Service/properties/{key}"}
            for key in ("name", "lifeEvents", "timeLimitDays", "feeFen", "fullyOnline")
        },
    },
}


def admin_paths() -> dict[str, Any]:
    progression = {"200": reply("Progression", "In force"), "400": BAD}
    webhook = {"200": reply("WebhookConfig", "In force"), "400": BAD}
    event = path_param("event_id", "The event to send again", "evt_…")
    tamper = query_param(
        "tamper", "1: change the body after signing", {"type": "string", "enum": ["1"]}
    )
    return {
        "/__admin/progression": {
            "get": operation("adminGetProgression", "Progression settings", "admin", progression),
            "put": operation(
                "adminPutProgression",
                "Replace progression settings",
                "admin",
                progression,
                requestBody=body("Progression"),
            ),
        },
        "/__admin/applications/{number}/advance": {
            "post": operation(
                "adminAdvance",
                "Walk an application to a status (or one step)",
                "admin",
                {
                    "200": reply("Application", "Moved"),
                    "404": NOT_FOUND,
                    "409": reply("Error", "Not reachable from the current status"),
                },
                parameters=[_NUMBER],
                requestBody=body("Advance"),
            ),
        },
        "/__admin/webhook": {
            "get": operation("adminGetWebhook", "Webhook settings", "admin", webhook),
            "put": operation(
                "adminPutWebhook",
                "Change the given webhook settings",
                "admin",
                webhook,
                requestBody=body("WebhookConfig"),
            ),
        },
        "/__admin/webhooks": {
            "get": operation(
                "adminListDeliveries",
                "Every webhook delivery, oldest first",
                "admin",
                {"200": reply("DeliveryList", "Deliveries")},
                parameters=[
                    query_param("applicationNumber", "Only this application's"),
                    query_param("eventId", "Only this event's"),
                ],
            ),
        },
        "/__admin/webhooks/{event_id}/redeliver": {
            "post": operation(
                "adminRedeliver",
                "Send an event again (same eventId)",
                "admin",
                {"200": reply("Delivery", "After the first attempt"), "404": NOT_FOUND},
                parameters=[event, tamper],
            ),
        },
        "/__admin/services/{code}": {
            "put": operation(
                "adminPatchService",
                "Revise a service; updatedAt moves forward",
                "admin",
                {"200": reply("Service", "Revised"), "400": BAD, "404": NOT_FOUND},
                parameters=[path_param("code", "Service code", "430100-QR-0001")],
                requestBody=body("ServicePatch"),
            ),
        },
    }
