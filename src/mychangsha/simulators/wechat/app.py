"""The WeChat login simulator: `GET /sns/jscode2session` exactly as WeChat answers it.

The real contract has quirks a client must survive, so the simulator keeps them: every
answer, failures included, is HTTP 200 with JSON sent as `text/plain`; failures are
`{"errcode", "errmsg"}` with a request id in the message; the credentials are checked before
the code (wrong appid 40013, wrong secret 40125), then the per-minute quota (45011), then the
code: unknown or older than five minutes 40029, already exchanged 40163. Codes are single-use.

The phone's side, `wx.login()`, is the admin route `POST /__admin/login-codes`: it mints a
code for an openid (a fresh random one unless given), as WeChat would for whoever is holding
the phone. The unionid is derived from the openid, so one user always has the same one.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any, Final

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.base import (
    ApiError,
    OrjsonResponse,
    SimulatorClock,
    aware_now,
    create_simulator_app,
    describe_validation_error,
    read_json_object,
    system_clock,
)
from mychangsha.simulators.wechat.openapi import (
    CODE_LIFETIME_SECONDS,
    DEFAULT_QUOTA_PER_MINUTE,
    openapi_document,
)

__all__ = ["DEV_APP_ID", "DEV_APP_SECRET", "ERRORS", "create_app", "random_openid", "unionid_for"]

NAME: Final = "wechat"
# The dev stack's mini-program: published credentials of a simulator, not a real secret.
DEV_APP_ID: Final = "wx-mychangsha-dev"
DEV_APP_SECRET: Final = "dev-wechat-secret"  # noqa: S105
CODE_LIFETIME: Final = timedelta(seconds=CODE_LIFETIME_SECONDS)
# Spent and expired codes are remembered this long (to answer 40163), then forgotten.
_CODE_MEMORY: Final = timedelta(hours=1)
_OPENID: Final = r"^[A-Za-z0-9_-]{6,64}$"

# errcode: errmsg, as WeChat words them.
ERRORS: Final[Mapping[int, str]] = MappingProxyType(
    {
        -1: "system error",
        40002: "invalid grant_type",
        40013: "invalid appid",
        40029: "invalid code",
        40125: "invalid appsecret",
        40163: "code been used",
        41002: "appid missing",
        41004: "appsecret missing",
        41008: "missing code",
        45011: "api minute-quota reach limit  mustslower  retry next minute",
    }
)


def random_openid() -> str:
    """An openid shaped like WeChat's: "o" and 27 URL-safe characters."""
    return "o" + secrets.token_urlsafe(21)[:27]


def unionid_for(openid: str) -> str:
    """The user's stable unionid: the same openid always gets the same one."""
    digest = hashlib.sha256(f"mychangsha-sim-unionid:{openid}".encode()).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


@dataclass(slots=True)
class _LoginCode:
    openid: str
    unionid: str | None
    issued_at: datetime
    used: bool = False


class _LoginCodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    openid: str | None = Field(default=None, pattern=_OPENID)
    unionid: str | None = Field(default=None, pattern=_OPENID)


class _Quota(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    per_minute: int = Field(alias="perMinute", ge=0, le=1_000_000)


@dataclass
class WechatState:
    """The one mini-program's credentials, the codes handed out and this minute's calls."""

    app_id: str
    app_secret: str
    clock: SimulatorClock
    codes: dict[str, _LoginCode] = field(default_factory=dict)
    quota_per_minute: int = DEFAULT_QUOTA_PER_MINUTE
    minute: int = -1
    calls_this_minute: int = 0

    def reset(self) -> None:
        """No codes, the default quota."""
        self.codes.clear()
        self.quota_per_minute = DEFAULT_QUOTA_PER_MINUTE
        self.minute = -1
        self.calls_this_minute = 0

    def now(self) -> datetime:
        """The injected clock's time (timezone-aware)."""
        return aware_now(self.clock)

    def take_quota(self, now: datetime) -> bool:
        """Count one call in the current clock minute; False when the minute's quota is spent."""
        minute = int(now.timestamp() // 60)
        if minute != self.minute:
            self.minute, self.calls_this_minute = minute, 0
        if self.calls_this_minute >= self.quota_per_minute:
            return False
        self.calls_this_minute += 1
        return True

    def issue(self, openid: str, unionid: str | None) -> str:
        """A fresh single-use code for this user; long-dead codes are forgotten meanwhile."""
        now = self.now()
        self.codes = {
            key: entry for key, entry in self.codes.items() if now - entry.issued_at < _CODE_MEMORY
        }
        code = secrets.token_urlsafe(24)
        self.codes[code] = _LoginCode(openid, unionid, now)
        return code


def _wechat_reply(body: dict[str, Any]) -> Response:
    """WeChat's own framing: HTTP 200 and JSON labelled text/plain, success or not."""
    return Response(orjson.dumps(body), media_type="text/plain")


def _failure(errcode: int) -> Response:
    rid = "-".join(secrets.token_hex(4) for _ in range(3))
    return _wechat_reply({"errcode": errcode, "errmsg": f"{ERRORS[errcode]}, rid: {rid}"})


class WechatApi:
    """Endpoints bound to one simulator's state, so two apps in a process never share it."""

    def __init__(self, state: WechatState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """WeChat's public API: counted and faultable."""
        return [Route("/sns/jscode2session", self.code_to_session, methods=["GET"])]

    def admin_routes(self) -> list[BaseRoute]:
        """The phone's `wx.login()`, and the quota knob."""
        return [
            Route("/__admin/login-codes", self.issue_login_code, methods=["POST"]),
            Route("/__admin/quota", self.get_quota, methods=["GET"]),
            Route("/__admin/quota", self.put_quota, methods=["PUT"]),
        ]

    async def code_to_session(self, request: Request) -> Response:
        """Credentials, then quota, then the code; a code is spent by its first exchange."""
        query = request.query_params
        app_id, secret = query.get("appid"), query.get("secret")
        code, grant_type = query.get("js_code"), query.get("grant_type")
        if not app_id:
            return _failure(41002)
        if not secrets.compare_digest(app_id.encode(), self.state.app_id.encode()):
            return _failure(40013)
        if not secret:
            return _failure(41004)
        if not secrets.compare_digest(secret.encode(), self.state.app_secret.encode()):
            return _failure(40125)
        if grant_type != "authorization_code":
            return _failure(40002)
        now = self.state.now()
        if not self.state.take_quota(now):
            return _failure(45011)
        if not code:
            return _failure(41008)
        entry = self.state.codes.get(code)
        if entry is None:
            return _failure(40029)
        if entry.used:
            return _failure(40163)
        if now - entry.issued_at >= CODE_LIFETIME:
            return _failure(40029)
        entry.used = True
        body = {
            "session_key": base64.b64encode(secrets.token_bytes(16)).decode(),
            "openid": entry.openid,
        }
        if entry.unionid is not None:
            body["unionid"] = entry.unionid
        return _wechat_reply(body)

    async def issue_login_code(self, request: Request) -> Response:
        """What `wx.login()` gives the mini-program: a code for this (or a new) user."""
        raw = await request.body()
        body: dict[str, Any] = await read_json_object(request) if raw.strip() else {}
        try:
            wanted = _LoginCodeRequest.model_validate(body)
        except ValidationError as exc:
            raise ApiError(400, describe_validation_error(exc)) from exc
        openid = wanted.openid or random_openid()
        # An explicit null unionid plays an app not bound to a WeChat Open Platform account.
        given = "unionid" in wanted.model_fields_set
        unionid = wanted.unionid if given else unionid_for(openid)
        code = self.state.issue(openid, unionid)
        return OrjsonResponse({"code": code, "openid": openid, "unionid": unionid}, status_code=201)

    async def get_quota(self, request: Request) -> Response:
        """The per-minute code2session quota in force."""
        return OrjsonResponse({"perMinute": self.state.quota_per_minute})

    async def put_quota(self, request: Request) -> Response:
        """Change the quota (0 makes every call answer 45011) until the next reset."""
        body = await read_json_object(request)
        try:
            quota = _Quota.model_validate(body)
        except ValidationError as exc:
            raise ApiError(400, describe_validation_error(exc)) from exc
        self.state.quota_per_minute = quota.per_minute
        return OrjsonResponse({"perMinute": quota.per_minute})


def create_app(
    *,
    app_id: str = DEV_APP_ID,
    app_secret: str = DEV_APP_SECRET,
    clock: SimulatorClock | None = None,
) -> Starlette:
    """A fresh WeChat login simulator for one mini-program's appid and secret."""
    state = WechatState(app_id=app_id, app_secret=app_secret, clock=clock or system_clock)
    api = WechatApi(state)
    app = create_simulator_app(
        NAME,
        api.routes(),
        openapi_document(),
        on_reset=state.reset,
        admin_routes=api.admin_routes(),
    )
    app.state.wechat = state
    return app
