"""The WeChat login simulator's OpenAPI 3.1 document, built in Python next to the code.

It documents WeChat's contract as it is, including its quirks (errors as HTTP 200, JSON as
`text/plain`), so nobody "fixes" the simulator into something the real API is not. The shared
meta and admin paths and schemas are added by `simulators.base`.
"""

from __future__ import annotations

from typing import Any, Final

CODE_LIFETIME_SECONDS: Final = 300
DEFAULT_QUOTA_PER_MINUTE: Final = 5000


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _query(name: str, description: str, example: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
        "example": example,
    }


_OPENID: Final = {"type": "string", "pattern": "^[A-Za-z0-9_-]{6,64}$"}

_SCHEMAS: Final[dict[str, Any]] = {
    "Code2Session": {
        "type": "object",
        "required": ["openid", "session_key"],
        "properties": {
            "openid": {"type": "string", "examples": ["oQ9xk3T2bZ0m1RcVn8pLwYe4fHsA"]},
            "session_key": {
                "type": "string",
                "description": "Base64 of 16 bytes; decrypts wx.getUserInfo data. Keep secret.",
            },
            "unionid": {
                "type": "string",
                "description": "Present when the app is bound to an Open Platform account.",
            },
        },
    },
    "WechatError": {
        "type": "object",
        "required": ["errcode", "errmsg"],
        "properties": {
            "errcode": {
                "type": "integer",
                "description": (
                    "-1 system busy; 40002 invalid grant_type; 40013 invalid appid; 40029 "
                    "invalid code (unknown or expired); 40125 invalid appsecret; 40163 code "
                    "been used; 41002 appid missing; 41004 appsecret missing; 41008 missing "
                    "code; 45011 minute quota reached."
                ),
                "examples": [40029],
            },
            "errmsg": {"type": "string", "examples": ["invalid code, rid: 6a1f0c2e-..."]},
        },
    },
    "LoginCodeRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "openid": {**_OPENID, "description": "Who logs in; a new random user if absent."},
            "unionid": {
                "type": ["string", "null"],
                "description": "Override the derived unionid; null means none is returned.",
            },
        },
    },
    "LoginCode": {
        "type": "object",
        "required": ["code", "openid", "unionid"],
        "properties": {
            "code": {"type": "string"},
            "openid": _OPENID,
            "unionid": {"type": ["string", "null"]},
        },
    },
    "Quota": {
        "type": "object",
        "required": ["perMinute"],
        "additionalProperties": False,
        "properties": {"perMinute": {"type": "integer", "minimum": 0}},
    },
}


def _paths() -> dict[str, Any]:
    success_or_error = {"oneOf": [_ref("Code2Session"), _ref("WechatError")]}
    return {
        "/sns/jscode2session": {
            "get": {
                "operationId": "code2Session",
                "summary": "Exchange a wx.login() code for the user's openid (once)",
                "tags": ["login"],
                "parameters": [
                    _query("appid", "The mini-program's AppID", "wx-mychangsha-dev"),
                    _query("secret", "The mini-program's AppSecret", "dev-wechat-secret"),
                    _query("js_code", "The code from wx.login(), single-use, 5 minutes", "0a3X"),
                    _query("grant_type", "Always authorization_code", "authorization_code"),
                ],
                "responses": {
                    "200": {
                        "description": (
                            "Success or failure alike: WeChat answers 200 and labels the JSON "
                            "text/plain; failures carry errcode and errmsg."
                        ),
                        "content": {"text/plain": {"schema": success_or_error}},
                    }
                },
            }
        },
        "/__admin/login-codes": {
            "post": {
                "operationId": "adminIssueLoginCode",
                "summary": "Play wx.login() on the phone: mint a code for a user",
                "tags": ["admin"],
                "requestBody": {
                    "required": False,
                    "content": {"application/json": {"schema": _ref("LoginCodeRequest")}},
                },
                "responses": {
                    "201": {
                        "description": "The code",
                        "content": {"application/json": {"schema": _ref("LoginCode")}},
                    },
                    "400": {
                        "description": "Invalid body",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                },
            }
        },
        "/__admin/quota": {
            "get": {
                "operationId": "adminGetQuota",
                "summary": "code2session calls allowed per clock minute",
                "tags": ["admin"],
                "responses": {
                    "200": {
                        "description": "The quota",
                        "content": {"application/json": {"schema": _ref("Quota")}},
                    }
                },
            },
            "put": {
                "operationId": "adminPutQuota",
                "summary": "Change the quota until the next reset (0: every call gets 45011)",
                "tags": ["admin"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("Quota")}},
                },
                "responses": {
                    "200": {
                        "description": "The quota now in force",
                        "content": {"application/json": {"schema": _ref("Quota")}},
                    },
                    "400": {
                        "description": "Invalid body",
                        "content": {"application/json": {"schema": _ref("Error")}},
                    },
                },
            },
        },
    }


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of WeChat's code2session and the simulator's controls."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "WeChat mini-program login (simulator)",
            "version": "1.0.0",
            "description": (
                "auth.code2Session: the mini-program's wx.login() code to the user's openid. "
                "Codes are single-use and expire after five minutes."
            ),
        },
        "tags": [
            {"name": "login", "description": "WeChat's API"},
            {"name": "admin", "description": "Simulator controls for tests"},
            {"name": "meta", "description": "Health and this document"},
        ],
        "paths": _paths(),
        "components": {"schemas": dict(_SCHEMAS)},
    }
