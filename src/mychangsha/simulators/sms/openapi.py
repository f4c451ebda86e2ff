"""The SMS gateway's OpenAPI 3.1 document, built in Python so it stays next to the code.

The shared meta and admin paths and the `Error`, `Faults` and `Counters` schemas are added
by `simulators.base`.
"""

from __future__ import annotations

from typing import Any, Final

from mychangsha.simulators.sms.data import TEMPLATES

DEFAULT_OUTBOX_LIMIT: Final = 20
MAX_OUTBOX_LIMIT: Final = 1000
# The outbox keeps this many newest messages, so a long dev session cannot grow it forever.
OUTBOX_CAPACITY: Final = 10_000


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


_PHONE: Final = {"type": "string", "pattern": "^1[3-9][0-9]{9}$", "examples": ["13800138000"]}

_SCHEMAS: Final[dict[str, Any]] = {
    "SendMessage": {
        "type": "object",
        "required": ["phone", "signName", "template"],
        "additionalProperties": False,
        "properties": {
            "phone": _PHONE,
            "signName": {
                "type": "string",
                "description": "A registered signature, shown as 【signName】.",
                "examples": ["我的长沙"],
            },
            "template": {"type": "string", "enum": sorted(TEMPLATES)},
            "params": {
                "type": "object",
                "description": "The template's variables, every one of them, as strings.",
                "additionalProperties": {"type": "string"},
                "examples": [{"code": "123456", "minutes": "5"}],
            },
        },
    },
    "MessageAccepted": {
        "type": "object",
        "required": ["messageId", "status"],
        "properties": {
            "messageId": {"type": "string", "examples": ["sms-3f2a9c0b1d4e5f6a7b8c9d0e"]},
            "status": {"const": "queued"},
        },
    },
    "OutboxMessage": {
        "type": "object",
        "required": ["id", "phone", "signName", "template", "params", "text", "sentAt"],
        "properties": {
            "id": {"type": "string"},
            "phone": _PHONE,
            "signName": {"type": "string"},
            "template": {"type": "string"},
            "params": {"type": "object", "additionalProperties": {"type": "string"}},
            "text": {
                "type": "string",
                "examples": ["【我的长沙】您的登录验证码为123456，5分钟内有效。请勿泄露给他人。"],
            },
            "sentAt": {"type": "string", "format": "date-time"},
        },
    },
    "Outbox": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": _ref("OutboxMessage")}},
    },
    "OutboxCleared": {
        "type": "object",
        "required": ["deleted"],
        "properties": {"deleted": {"type": "integer", "minimum": 0}},
    },
}


def _paths() -> dict[str, Any]:
    return {
        "/v1/messages": {
            "post": {
                "operationId": "sendMessage",
                "summary": "Send a templated message to one mainland mobile",
                "tags": ["messages"],
                "parameters": [
                    {
                        "name": "Idempotency-Key",
                        "in": "header",
                        "description": (
                            "Repeating a send with the same key and body answers the first "
                            "message id and sends nothing (the reply carries "
                            "`Idempotent-Replayed: true`); the same key with another body is 422."
                        ),
                        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("SendMessage")}},
                },
                "responses": {
                    "202": _json("MessageAccepted", "Queued for delivery"),
                    "400": _json(
                        "Error",
                        "Invalid body; codes INVALID_PHONE, UNKNOWN_SIGN_NAME, UNKNOWN_TEMPLATE, "
                        "INVALID_PARAMS or BAD_REQUEST",
                    ),
                    "422": _json("Error", "IDEMPOTENCY_KEY_REUSED with a different body"),
                },
            }
        },
        "/outbox": {
            "get": {
                "operationId": "readOutbox",
                "summary": "Messages the gateway accepted, newest first (simulator only)",
                "tags": ["outbox"],
                "parameters": [
                    {"name": "phone", "in": "query", "schema": _PHONE},
                    {
                        "name": "limit",
                        "in": "query",
                        "schema": {
                            "type": "integer",
                            "minimum": 1,
                            "maximum": MAX_OUTBOX_LIMIT,
                            "default": DEFAULT_OUTBOX_LIMIT,
                        },
                    },
                ],
                "responses": {
                    "200": _json("Outbox", "The messages"),
                    "400": _json("Error", "Invalid limit"),
                },
            },
            "delete": {
                "operationId": "clearOutbox",
                "summary": "Forget every message (idempotency keys are kept)",
                "tags": ["outbox"],
                "responses": {"200": _json("OutboxCleared", "How many were removed")},
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the SMS gateway and its outbox."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SMS gateway (simulator)",
            "version": "1.0.0",
            "description": (
                "Templated SMS to mainland China mobiles under a registered signature. The "
                "simulator delivers to an outbox instead of phones; read it at `/outbox`. "
                'Errors are `{"error": {"code", "message"}}`.'
            ),
        },
        "tags": [
            {"name": "messages", "description": "Sending"},
            {"name": "outbox", "description": "What phones would have received (simulator)"},
            {"name": "admin", "description": "Simulator controls for tests"},
            {"name": "meta", "description": "Health and this document"},
        ],
        "paths": _paths(),
        "components": {"schemas": dict(_SCHEMAS)},
    }
