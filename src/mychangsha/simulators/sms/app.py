"""The SMS gateway simulator: templated messages to mainland mobiles, and an outbox to read.

`POST /v1/messages` is the gateway's contract (see `openapi.py`): a registered signature, an
approved template and its variables, answered 202 with a message id, and deduplicated by an
`Idempotency-Key` header so a retried send never texts a citizen twice. Instead of reaching a
phone, every accepted message lands in an outbox that tests and developers read over HTTP
(`GET /outbox`), the way Mailpit shows mail. The outbox is a test control, so like the admin
routes it is never counted or faulted: a test can read the code even while the API is "down".
"""

from __future__ import annotations

import re
import secrets
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final
from zoneinfo import ZoneInfo

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
from mychangsha.simulators.sms.data import DEFAULT_SIGN_NAMES, TEMPLATES
from mychangsha.simulators.sms.openapi import (
    DEFAULT_OUTBOX_LIMIT,
    MAX_OUTBOX_LIMIT,
    OUTBOX_CAPACITY,
    openapi_document,
)

NAME: Final = "sms"
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
# Mainland China mobile numbers: 11 ASCII digits, 1 then a network digit 3-9.
MAINLAND_MOBILE: Final = re.compile(r"1[3-9][0-9]{9}")
# Visible ASCII only, as the IETF Idempotency-Key draft expects of a key.
_IDEMPOTENCY_KEY: Final = re.compile(r"[\x21-\x7e]{1,255}")
_DIGITS: Final = re.compile(r"[0-9]{1,9}")


class _SendRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    phone: str
    sign_name: str = Field(alias="signName", min_length=1, max_length=20)
    template: str = Field(min_length=1, max_length=64)
    params: dict[str, str] = Field(default_factory=dict)

    def fingerprint(self) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
        """What makes two sends the same request: a reused key must come with it unchanged."""
        return (self.phone, self.sign_name, self.template, tuple(sorted(self.params.items())))


@dataclass(frozen=True, slots=True)
class _Accepted:
    fingerprint: tuple[str, str, str, tuple[tuple[str, str], ...]]
    message_id: str


@dataclass
class SmsState:
    """The outbox (oldest first, bounded) and the idempotency keys seen so far."""

    clock: SimulatorClock
    sign_names: frozenset[str]
    outbox: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=OUTBOX_CAPACITY))
    keys: dict[str, _Accepted] = field(default_factory=dict)

    def reset(self) -> None:
        """An empty outbox and no remembered keys."""
        self.outbox.clear()
        self.keys.clear()


class SmsApi:
    """Endpoints bound to one simulator's state, so two apps in a process never share it."""

    def __init__(self, state: SmsState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """The gateway's public API: counted and faultable."""
        return [Route("/v1/messages", self.send_message, methods=["POST"])]

    def admin_routes(self) -> list[BaseRoute]:
        """The outbox: what a phone would have received, for tests and developers."""
        return [
            Route("/outbox", self.read_outbox, methods=["GET"]),
            Route("/outbox", self.clear_outbox, methods=["DELETE"]),
        ]

    async def send_message(self, request: Request) -> Response:
        """Validate, dedupe by Idempotency-Key, render and store the message; 202 either way."""
        key = request.headers.get("idempotency-key")
        if key is not None and not _IDEMPOTENCY_KEY.fullmatch(key):
            raise ApiError(400, "Idempotency-Key must be 1-255 visible ASCII characters")
        body = await read_json_object(request)
        try:
            send = _SendRequest.model_validate(body)
        except ValidationError as exc:
            raise ApiError(400, describe_validation_error(exc)) from exc
        if not MAINLAND_MOBILE.fullmatch(send.phone):
            raise ApiError(
                400, f"{send.phone!r} is not a mainland China mobile number", code="INVALID_PHONE"
            )
        if send.sign_name not in self.state.sign_names:
            raise ApiError(
                400, f"signature {send.sign_name!r} is not registered", code="UNKNOWN_SIGN_NAME"
            )
        template = TEMPLATES.get(send.template)
        if template is None:
            raise ApiError(400, f"no approved template {send.template!r}", code="UNKNOWN_TEMPLATE")
        if problems := template.problems(send.params):
            raise ApiError(400, "; ".join(problems), code="INVALID_PARAMS")

        if key is not None and (seen := self.state.keys.get(key)) is not None:
            if seen.fingerprint != send.fingerprint():
                raise ApiError(
                    422,
                    "this Idempotency-Key was used for a different message",
                    code="IDEMPOTENCY_KEY_REUSED",
                )
            return _accepted(seen.message_id, replayed=True)

        message_id = f"sms-{secrets.token_hex(12)}"
        sent_at = aware_now(self.state.clock).astimezone(SHANGHAI)
        self.state.outbox.append(
            {
                "id": message_id,
                "phone": send.phone,
                "signName": send.sign_name,
                "template": send.template,
                "params": dict(send.params),
                "text": template.render(send.sign_name, send.params),
                "sentAt": sent_at.isoformat(timespec="milliseconds"),
            }
        )
        if key is not None:
            self.state.keys[key] = _Accepted(send.fingerprint(), message_id)
        return _accepted(message_id, replayed=False)

    async def read_outbox(self, request: Request) -> Response:
        """Messages newest first, optionally only those to one phone."""
        phone = request.query_params.get("phone")
        raw_limit = request.query_params.get("limit")
        limit = DEFAULT_OUTBOX_LIMIT
        if raw_limit is not None:
            if not _DIGITS.fullmatch(raw_limit) or not 1 <= int(raw_limit) <= MAX_OUTBOX_LIMIT:
                raise ApiError(
                    400, f"limit must be an integer from 1 to {MAX_OUTBOX_LIMIT}, got {raw_limit!r}"
                )
            limit = int(raw_limit)
        items = []
        for item in reversed(self.state.outbox):
            if phone is None or item["phone"] == phone:
                items.append(item)
                if len(items) == limit:
                    break
        return OrjsonResponse({"items": items})

    async def clear_outbox(self, request: Request) -> Response:
        """Forget every message (idempotency keys stay: a replay still must not resend)."""
        deleted = len(self.state.outbox)
        self.state.outbox.clear()
        return OrjsonResponse({"deleted": deleted})


def _accepted(message_id: str, *, replayed: bool) -> Response:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return OrjsonResponse(
        {"messageId": message_id, "status": "queued"}, status_code=202, headers=headers
    )


def create_app(
    *, clock: SimulatorClock | None = None, sign_names: Iterable[str] = DEFAULT_SIGN_NAMES
) -> Starlette:
    """A fresh SMS gateway simulator; `clock` stamps `sentAt`, `sign_names` are registered."""
    state = SmsState(clock=clock or system_clock, sign_names=frozenset(sign_names))
    api = SmsApi(state)
    app = create_simulator_app(
        NAME,
        api.routes(),
        openapi_document(),
        on_reset=state.reset,
        admin_routes=api.admin_routes(),
    )
    app.state.sms = state
    return app
