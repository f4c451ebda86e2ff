"""The payment simulator's OpenAPI 3.1 document, built in Python so it stays next to the code.

It documents WeChat Pay v3 as the simulator speaks it, its simplifications said out loud. The
notification the simulator *sends* is documented under `webhooks`. The shared meta and admin
paths and schemas are added by `simulators.base`.
"""

from __future__ import annotations

from typing import Any, Final

from mychangsha.simulators.payment.orders import OUT_TRADE_NO_PATTERN


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _body(name: str, *, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": _ref(name)}}}


_TIME: Final = {"type": "string", "format": "date-time", "examples": ["2025-05-14T11:00:00+08:00"]}
_OUT_TRADE_NO: Final = {
    "type": "string",
    "pattern": OUT_TRADE_NO_PATTERN,
    "examples": ["MC20250514110000A1B2C3D4E5F6"],
}
_AUTHORIZATION: Final = {
    "name": "Authorization",
    "in": "header",
    "required": False,
    "description": (
        'WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",'
        'serial_no="…". Checked only when the simulator was given the merchant public key; '
        "then a missing or wrong signature is 401 SIGN_ERROR."
    ),
    "schema": {"type": "string"},
}
_NUMBER_PARAMETER: Final = {
    "name": "out_trade_no",
    "in": "path",
    "required": True,
    "schema": _OUT_TRADE_NO,
}

_SCHEMAS: Final[dict[str, Any]] = {
    "WechatError": {
        "type": "object",
        "required": ["code", "message"],
        "description": "WeChat Pay's error shape (admin routes use the shared `Error`).",
        "properties": {
            "code": {
                "type": "string",
                "enum": [
                    "PARAM_ERROR",
                    "INVALID_REQUEST",
                    "ORDER_NOT_EXIST",
                    "ORDER_CLOSED",
                    "ORDERPAID",
                    "SIGN_ERROR",
                ],
            },
            "message": {"type": "string", "examples": ["201 商户订单号重复"]},
        },
    },
    "CreateOrder": {
        "type": "object",
        "required": ["appid", "mchid", "description", "out_trade_no", "notify_url", "amount"],
        "properties": {
            "appid": {"type": "string", "maxLength": 32},
            "mchid": {"type": "string", "maxLength": 32},
            "description": {"type": "string", "maxLength": 127, "examples": ["湘雅医院-门诊缴费"]},
            "out_trade_no": _OUT_TRADE_NO,
            "notify_url": {
                "type": "string",
                "description": "No query string. WeChat demands https; the simulator takes http.",
            },
            "amount": {
                "type": "object",
                "required": ["total"],
                "properties": {
                    "total": {"type": "integer", "minimum": 1, "description": "Fen (分)."},
                    "currency": {"const": "CNY", "default": "CNY"},
                },
            },
            "time_expire": {**_TIME, "description": "After it, the unpaid order is CLOSED."},
            "attach": {"type": "string", "maxLength": 128},
            "payer": {
                "type": "object",
                "description": "JSAPI only, and required there.",
                "required": ["openid"],
                "properties": {"openid": {"type": "string"}},
            },
        },
    },
    "Prepay": {
        "type": "object",
        "required": ["prepay_id"],
        "properties": {
            "prepay_id": {"type": "string", "examples": ["wx20250514110000a1b2c3d4e5f6a7b8c9d0"]}
        },
    },
    "Transaction": {
        "type": "object",
        "required": ["appid", "mchid", "out_trade_no", "trade_state", "amount"],
        "description": "Paid-only fields appear once trade_state is SUCCESS.",
        "properties": {
            "appid": {"type": "string"},
            "mchid": {"type": "string"},
            "out_trade_no": _OUT_TRADE_NO,
            "transaction_id": {"type": "string", "examples": ["4200002025051412345678901234"]},
            "trade_type": {"enum": ["APP", "JSAPI"]},
            "trade_state": {"enum": ["NOTPAY", "SUCCESS", "CLOSED"]},
            "trade_state_desc": {"type": "string"},
            "bank_type": {"type": "string"},
            "attach": {"type": "string"},
            "success_time": _TIME,
            "payer": {"type": "object", "properties": {"openid": {"type": "string"}}},
            "amount": {
                "type": "object",
                "required": ["total", "currency"],
                "properties": {
                    "total": {"type": "integer"},
                    "payer_total": {"type": "integer"},
                    "currency": {"const": "CNY"},
                    "payer_currency": {"const": "CNY"},
                },
            },
        },
    },
    "CloseOrder": {
        "type": "object",
        "required": ["mchid"],
        "properties": {"mchid": {"type": "string"}},
    },
    "Certificates": {
        "type": "object",
        "required": ["data"],
        "description": (
            "Simplified: WeChat answers `encrypt_certificate` (an X.509 certificate sealed with "
            "the APIv3 key); the simulator answers the public key in PEM."
        ),
        "properties": {
            "data": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["serial_no", "effective_time", "expire_time", "public_key_pem"],
                    "properties": {
                        "serial_no": {"type": "string", "pattern": "^[0-9A-F]{40}$"},
                        "effective_time": _TIME,
                        "expire_time": _TIME,
                        "public_key_pem": {"type": "string"},
                    },
                },
            }
        },
    },
    "Pay": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "openid": {"type": "string", "description": "Who pays an APP order (random if absent)."}
        },
    },
    "Notification": {
        "type": "object",
        "required": ["id", "create_time", "resource_type", "event_type", "summary", "resource"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "create_time": _TIME,
            "resource_type": {"const": "encrypt-resource"},
            "event_type": {"const": "TRANSACTION.SUCCESS"},
            "summary": {"const": "支付成功"},
            "resource": {
                "type": "object",
                "required": [
                    "original_type",
                    "algorithm",
                    "ciphertext",
                    "associated_data",
                    "nonce",
                ],
                "properties": {
                    "original_type": {"const": "transaction"},
                    "algorithm": {"const": "AEAD_AES_256_GCM"},
                    "ciphertext": {
                        "type": "string",
                        "description": "Base64 of AES-256-GCM ciphertext || tag; decrypts to a "
                        "Transaction under the APIv3 key.",
                    },
                    "associated_data": {"const": "transaction"},
                    "nonce": {"type": "string", "minLength": 12, "maxLength": 12},
                },
            },
        },
    },
    "DeliveryConfig": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "delayMs": {"type": "integer", "minimum": 0, "default": 0},
            "retrySchedule": {
                "type": "array",
                "maxItems": 20,
                "items": {"type": "number", "minimum": 0, "maximum": 3600},
                "default": [0.2, 0.5, 1.0, 2.0],
                "description": "Seconds before each retry of a delivery not answered 2xx.",
            },
            "awaitFirstAttempt": {
                "type": "boolean",
                "default": False,
                "description": "POST /pay answers only after the first delivery attempt.",
            },
            "timeoutMs": {"type": "integer", "minimum": 1, "default": 5000},
        },
    },
    "Delivery": {
        "type": "object",
        "required": ["id", "outTradeNo", "notificationId", "kind", "url", "status", "attempts"],
        "properties": {
            "id": {"type": "string"},
            "outTradeNo": _OUT_TRADE_NO,
            "notificationId": {"type": "string"},
            "kind": {"enum": ["payment", "duplicate", "tampered"]},
            "url": {"type": "string"},
            "status": {"enum": ["pending", "delivered", "failed"]},
            "attempts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "at": _TIME,
                        "statusCode": {"type": ["integer", "null"]},
                        "error": {"type": ["string", "null"]},
                    },
                },
            },
        },
    },
    "Items": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": {"type": "object"}}},
    },
}


def _merchant_paths() -> dict[str, Any]:
    wechat_error = _json("WechatError", "PARAM_ERROR, INVALID_REQUEST, ORDER_CLOSED, ORDERPAID")
    create = {
        "tags": ["orders"],
        "parameters": [_AUTHORIZATION],
        "requestBody": _body("CreateOrder"),
        "responses": {
            "200": _json("Prepay", "The order's prepay id (the same one for the same order)"),
            "400": wechat_error,
            "401": _json("WechatError", "SIGN_ERROR"),
        },
    }
    by_number = "/v3/pay/transactions/out-trade-no/{out_trade_no}"
    return {
        "/v3/pay/transactions/app": {
            "post": {**create, "operationId": "createAppOrder", "summary": "APP order"}
        },
        "/v3/pay/transactions/jsapi": {
            "post": {
                **create,
                "operationId": "createJsapiOrder",
                "summary": "JSAPI order (mini-program); payer.openid required",
            }
        },
        by_number: {
            "get": {
                "operationId": "queryOrder",
                "summary": "An order by the merchant's number",
                "tags": ["orders"],
                "parameters": [
                    _AUTHORIZATION,
                    _NUMBER_PARAMETER,
                    {
                        "name": "mchid",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": _json("Transaction", "The order"),
                    "400": _json("WechatError", "PARAM_ERROR (mchid missing)"),
                    "404": _json("WechatError", "ORDER_NOT_EXIST"),
                },
            }
        },
        f"{by_number}/close": {
            "post": {
                "operationId": "closeOrder",
                "summary": "Close an unpaid order",
                "tags": ["orders"],
                "parameters": [_AUTHORIZATION, _NUMBER_PARAMETER],
                "requestBody": _body("CloseOrder"),
                "responses": {
                    "204": {"description": "Closed (also when it already was)"},
                    "400": _json("WechatError", "ORDERPAID"),
                    "404": _json("WechatError", "ORDER_NOT_EXIST"),
                },
            }
        },
        "/v3/certificates": {
            "get": {
                "operationId": "certificates",
                "summary": "Platform public keys that sign notifications (simplified)",
                "tags": ["keys"],
                "parameters": [_AUTHORIZATION],
                "responses": {"200": _json("Certificates", "Every key still listed")},
            }
        },
    }


def _citizen_paths() -> dict[str, Any]:
    return {
        "/pay/{prepay_id}": {
            "post": {
                "operationId": "pay",
                "summary": "The citizen pays in the app's payment SDK (simulator only)",
                "description": (
                    "Marks the order SUCCESS (again: no change, no new notification) and sends "
                    "the notification to notify_url in the background, so it may arrive before "
                    "this answer does."
                ),
                "tags": ["citizen"],
                "parameters": [
                    {
                        "name": "prepay_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": _body("Pay", required=False),
                "responses": {
                    "200": _json("Transaction", "Paid"),
                    "400": _json("WechatError", "ORDER_CLOSED"),
                    "404": _json("WechatError", "ORDER_NOT_EXIST"),
                },
            }
        }
    }


def _admin_paths() -> dict[str, Any]:
    admin = ["admin"]
    return {
        "/__admin/orders": {
            "get": {
                "operationId": "adminOrders",
                "summary": "Every order with its prepay id and notification id",
                "tags": admin,
                "responses": {"200": _json("Items", "Orders, oldest first")},
            }
        },
        "/__admin/orders/{out_trade_no}/notify": {
            "post": {
                "operationId": "adminNotify",
                "summary": "Send the paid order's notification again (duplicate) or tampered",
                "tags": admin,
                "parameters": [
                    _NUMBER_PARAMETER,
                    {
                        "name": "tamper",
                        "in": "query",
                        "description": "1: the body is changed after signing; sent once.",
                        "schema": {"enum": ["0", "1", "true", "false"]},
                    },
                ],
                "responses": {
                    "200": _json("Delivery", "After the first attempt"),
                    "404": _json("Error", "No such order"),
                    "409": _json("Error", "The order is not paid"),
                },
            }
        },
        "/__admin/notifications": {
            "get": {
                "operationId": "adminNotifications",
                "summary": "Every delivery and its attempts' status codes",
                "tags": admin,
                "parameters": [{"name": "outTradeNo", "in": "query", "schema": _OUT_TRADE_NO}],
                "responses": {"200": _json("Items", "Deliveries (Delivery), oldest first")},
            }
        },
        "/__admin/delivery": {
            "get": {
                "operationId": "adminGetDelivery",
                "summary": "Delivery settings",
                "tags": admin,
                "responses": {"200": _json("DeliveryConfig", "In force")},
            },
            "put": {
                "operationId": "adminPutDelivery",
                "summary": "Replace delivery settings (delay, retry schedule) until reset",
                "tags": admin,
                "requestBody": _body("DeliveryConfig"),
                "responses": {
                    "200": _json("DeliveryConfig", "Now in force"),
                    "400": _json("Error", "Invalid"),
                },
            },
        },
        "/__admin/platform-keys/rotate": {
            "post": {
                "operationId": "adminRotateKey",
                "summary": "A new platform key signs from now on; the old one stays listed",
                "tags": admin,
                "responses": {"200": _json("Certificates", "Every key now listed")},
            }
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the payment gateway simulator."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Payment gateway (WeChat Pay API v3 simulator)",
            "version": "1.0.0",
            "description": (
                "WeChat Pay v3 for one city app: APP and JSAPI orders, query, close, platform "
                "keys, and the signed, encrypted TRANSACTION.SUCCESS notification sent to "
                "notify_url with retries until it is answered 2xx. `POST /pay/{prepay_id}` plays "
                "the citizen paying. Merchant errors are WeChat's `{code, message}`."
            ),
        },
        "tags": [
            {"name": "orders", "description": "The merchant's orders"},
            {"name": "keys", "description": "Keys to verify notifications"},
            {"name": "citizen", "description": "What the payment SDK does (simulator)"},
            {"name": "admin", "description": "Simulator controls for tests"},
            {"name": "meta", "description": "Health and this document"},
        ],
        "paths": {**_merchant_paths(), **_citizen_paths(), **_admin_paths()},
        "webhooks": {
            "transactionSuccess": {
                "post": {
                    "summary": "TRANSACTION.SUCCESS to the order's notify_url",
                    "description": (
                        "Headers Wechatpay-Timestamp, Wechatpay-Nonce, Wechatpay-Serial and "
                        "Wechatpay-Signature: base64 RSA-SHA256 (PKCS#1 v1.5) by the platform "
                        "key over `{timestamp}\\n{nonce}\\n{body}\\n`. Answer 200 or 204; "
                        "anything else is retried (retrySchedule)."
                    ),
                    "requestBody": _body("Notification"),
                    "responses": {
                        "204": {"description": "Received"},
                        "500": {"description": "Not received: retried"},
                    },
                }
            }
        },
        "components": {"schemas": dict(_SCHEMAS)},
    }
