"""What every upstream simulator shares: admin API, request counters, fault injection, errors.

A simulator is a real HTTP server speaking an upstream's contract, so the graph and its tests
exercise the same code paths as against the real system. Around the simulated API routes this
module adds the things tests and the dev stack need to drive it:

- `GET /openapi.json`, `GET /healthz`;
- `GET /__admin/counters`: requests that reached each API route, by `METHOD /path/{template}`,
  so tests can prove that caching and DataLoaders save upstream calls;
- `GET|PUT /__admin/faults`: latency, error rate and downtime for API routes (optionally only
  under a path prefix), so tests can prove timeouts, retries and stale-if-error;
- `GET /__admin/traces`: the W3C `traceparent` of the latest API requests that carried one,
  so tests can prove the graph passes its trace context on;
- `POST /__admin/reset`: counters, faults and the simulator's own overrides back to zero.

All state lives on `app.state` (never in module globals), so two simulators in one process
are independent.
"""

from __future__ import annotations

import asyncio
import copy
import random
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "ApiError",
    "Faults",
    "OrjsonResponse",
    "SimulatorClock",
    "SimulatorMiddleware",
    "SimulatorState",
    "aware_now",
    "create_simulator_app",
    "describe_validation_error",
    "error_response",
    "read_json_object",
    "system_clock",
    "with_common_openapi",
]

ADMIN_PREFIX: Final = "/__admin"

_STATUS_CODES: Final[Mapping[int, str]] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


# --- time -------------------------------------------------------------------------------------


class SimulatorClock(Protocol):
    """Where a simulator reads the time: injectable so tests can pin it to any moment."""

    def __call__(self) -> datetime: ...


def system_clock() -> datetime:
    """The real time, timezone-aware UTC."""
    return datetime.now(UTC)


def aware_now(clock: SimulatorClock) -> datetime:
    """The clock's time, refusing naive datetimes: a naive time has no meaning across zones."""
    now = clock()
    if now.tzinfo is None or now.utcoffset() is None:
        raise TypeError("a simulator clock must return a timezone-aware datetime")
    return now


# --- responses and errors ---------------------------------------------------------------------


class OrjsonResponse(Response):
    """JSON encoded with orjson: fast, and datetimes come out as ISO 8601 without help."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Encode the body; non-string dict keys are allowed for convenience."""
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def error_response(
    status_code: int,
    message: str,
    *,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> OrjsonResponse:
    """The one error shape of every simulator: `{"error": {"code", "message"}}`."""
    body = {"error": {"code": code or _STATUS_CODES.get(status_code, "ERROR"), "message": message}}
    return OrjsonResponse(body, status_code=status_code, headers=headers)


class ApiError(Exception):
    """Raised by endpoints to answer with the error shape; keeps handlers free of plumbing."""

    def __init__(self, status_code: int, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.code = code


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or a 400 in the error shape."""
    raw = await request.body()
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def describe_validation_error(exc: ValidationError) -> str:
    """A pydantic error as one readable line naming the offending fields."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


async def _api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.message, code=exc.code)


async def _http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail
    if exc.status_code == 404:
        message = f"no route for {request.method} {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    return error_response(exc.status_code, message, headers=exc.headers)


async def _server_error_handler(request: Request, exc: Exception) -> Response:
    return error_response(500, f"the simulator failed: {type(exc).__name__}")


# --- faults and counters ----------------------------------------------------------------------


class Faults(BaseModel):
    """Injected misbehaviour of the API routes; replaced as a whole by `PUT /__admin/faults`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    latency_ms: int = Field(default=0, alias="latencyMs", ge=0, le=600_000)
    error_rate: float = Field(default=0.0, alias="errorRate", ge=0.0, le=1.0)
    down: bool = False
    path_prefix: str | None = Field(default=None, alias="pathPrefix")

    def applies_to(self, path: str) -> bool:
        """Whether a request path is under the faulted prefix (every path when none is set)."""
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def to_json(self) -> dict[str, Any]:
        """The admin API's camelCase shape."""
        return self.model_dump(by_alias=True)


TRACE_HISTORY: Final = 100


@dataclass
class SimulatorState:
    """Mutable per-app state: counters by route template, the current faults, reset hooks."""

    name: str
    counters: Counter[str] = field(default_factory=Counter)
    faults: Faults = field(default_factory=Faults)
    rng: random.Random = field(default_factory=random.Random)
    on_reset: Callable[[], None] | None = None
    traceparents: deque[str] = field(default_factory=lambda: deque(maxlen=TRACE_HISTORY))

    def reset(self) -> None:
        """Counters and faults to zero, then the simulator's own overrides."""
        self.counters.clear()
        self.traceparents.clear()
        self.faults = Faults()
        if self.on_reset is not None:
            self.on_reset()

    def counters_json(self) -> dict[str, Any]:
        """`{"total", "byRoute"}` as the admin API returns it."""
        return {
            "total": sum(self.counters.values()),
            "byRoute": dict(sorted(self.counters.items())),
        }


def _route_key(routes: Sequence[BaseRoute], scope: Scope) -> str | None:
    """`METHOD /template` of the API route a request reaches, or None for non-API paths."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            template = getattr(route, "path", scope["path"])
            return f"{scope['method']} {template}"
    return None


class SimulatorMiddleware:
    """Counts API requests by route template and applies the injected faults to them.

    Pure ASGI, so streaming bodies pass through untouched; admin and meta routes are never
    counted or faulted, so tests can always reach them, even while the API is "down".
    """

    def __init__(self, app: ASGIApp, *, state: SimulatorState, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.state = state
        self.routes = tuple(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count, then maybe refuse, delay or fail, then hand over to the routes."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key = _route_key(self.routes, scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        self.state.counters[key] += 1
        for name, value in scope["headers"]:
            if name == b"traceparent":
                self.state.traceparents.append(value.decode("latin-1"))
        faults = self.state.faults
        if faults.applies_to(scope["path"]):
            failure = await self._apply(faults)
            if failure is not None:
                await failure(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _apply(self, faults: Faults) -> Response | None:
        if faults.down:
            return error_response(503, f"{self.state.name} is down (injected fault)")
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if faults.error_rate and self.state.rng.random() < faults.error_rate:
            return error_response(500, f"{self.state.name} failed (injected fault)")
        return None


# --- admin and meta endpoints -----------------------------------------------------------------


def _simulator(request: Request) -> SimulatorState:
    state = request.app.state.simulator
    assert isinstance(state, SimulatorState)
    return state


async def _healthz(request: Request) -> Response:
    return OrjsonResponse({"status": "ok", "name": _simulator(request).name})


async def _counters(request: Request) -> Response:
    return OrjsonResponse(_simulator(request).counters_json())


async def _traces(request: Request) -> Response:
    return OrjsonResponse({"traceparents": list(_simulator(request).traceparents)})


async def _get_faults(request: Request) -> Response:
    return OrjsonResponse(_simulator(request).faults.to_json())


async def _put_faults(request: Request) -> Response:
    body = await read_json_object(request)
    try:
        faults = Faults.model_validate(body)
    except ValidationError as exc:
        raise ApiError(400, describe_validation_error(exc)) from exc
    _simulator(request).faults = faults
    return OrjsonResponse(faults.to_json())


async def _reset(request: Request) -> Response:
    _simulator(request).reset()
    return OrjsonResponse({"status": "reset"})


def _openapi_endpoint(document: Mapping[str, Any]) -> Callable[[Request], Awaitable[Response]]:
    body = orjson.dumps(document)

    async def openapi(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return openapi


# --- the OpenAPI parts every simulator shares -------------------------------------------------


def _json_content(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _reply(description: str, ref: str) -> dict[str, Any]:
    return {"description": description, "content": _json_content(ref)}


ERROR_SCHEMA: Final[Mapping[str, Any]] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "examples": ["NOT_FOUND"]},
                "message": {"type": "string"},
            },
        }
    },
}

_COMMON_SCHEMAS: Final[Mapping[str, Any]] = {
    "Error": ERROR_SCHEMA,
    "Health": {
        "type": "object",
        "required": ["status", "name"],
        "properties": {"status": {"const": "ok"}, "name": {"type": "string"}},
    },
    "Counters": {
        "type": "object",
        "required": ["total", "byRoute"],
        "properties": {
            "total": {"type": "integer", "minimum": 0},
            "byRoute": {
                "type": "object",
                "description": "Requests by `METHOD /path/{template}`.",
                "additionalProperties": {"type": "integer", "minimum": 0},
            },
        },
    },
    "Faults": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "latencyMs": {"type": "integer", "minimum": 0, "maximum": 600000, "default": 0},
            "errorRate": {"type": "number", "minimum": 0, "maximum": 1, "default": 0},
            "down": {"type": "boolean", "default": False},
            "pathPrefix": {"type": ["string", "null"], "default": None},
        },
    },
}


def _common_paths() -> dict[str, Any]:
    admin = ["admin"]
    bad = _reply("Invalid body", "Error")
    return {
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Liveness",
                "tags": ["meta"],
                "responses": {"200": _reply("Alive", "Health")},
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "tags": ["meta"],
                "responses": {"200": {"description": "OpenAPI 3.1 document"}},
            }
        },
        f"{ADMIN_PREFIX}/counters": {
            "get": {
                "operationId": "adminCounters",
                "summary": "Requests that reached each API route since the last reset",
                "tags": admin,
                "responses": {"200": _reply("Counters", "Counters")},
            }
        },
        f"{ADMIN_PREFIX}/faults": {
            "get": {
                "operationId": "adminGetFaults",
                "summary": "The injected faults",
                "tags": admin,
                "responses": {"200": _reply("Faults", "Faults")},
            },
            "put": {
                "operationId": "adminPutFaults",
                "summary": "Replace the injected faults (missing keys mean no fault)",
                "tags": admin,
                "requestBody": {"required": True, "content": _json_content("Faults")},
                "responses": {"200": _reply("Faults now in force", "Faults"), "400": bad},
            },
        },
        f"{ADMIN_PREFIX}/reset": {
            "post": {
                "operationId": "adminReset",
                "summary": "Zero counters, clear faults and the simulator's overrides",
                "tags": admin,
                "responses": {"200": {"description": "Reset"}},
            }
        },
    }


def with_common_openapi(document: Mapping[str, Any]) -> dict[str, Any]:
    """The simulator's document plus the shared meta and admin paths and schemas."""
    merged = copy.deepcopy(dict(document))
    paths = merged.setdefault("paths", {})
    for path, item in _common_paths().items():
        paths.setdefault(path, item)
    schemas = merged.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in _COMMON_SCHEMAS.items():
        schemas.setdefault(name, copy.deepcopy(dict(schema)))
    return merged


# --- the factory ------------------------------------------------------------------------------


def create_simulator_app(
    name: str,
    routes: Sequence[BaseRoute],
    openapi: Mapping[str, Any],
    *,
    on_reset: Callable[[], None] | None = None,
    admin_routes: Sequence[BaseRoute] = (),
    fault_seed: int | None = None,
) -> Starlette:
    """A Starlette app serving the simulated API `routes` plus the shared admin and meta routes.

    `admin_routes` are the simulator's own test controls (never counted or faulted);
    `on_reset` clears the overrides they make. `fault_seed` makes the injected error rate
    reproducible.
    """
    state = SimulatorState(name=name, rng=random.Random(fault_seed), on_reset=on_reset)
    meta: list[BaseRoute] = [
        Route("/openapi.json", _openapi_endpoint(with_common_openapi(openapi)), methods=["GET"]),
        Route("/healthz", _healthz, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/counters", _counters, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/traces", _traces, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/faults", _get_faults, methods=["GET"]),
        Route(f"{ADMIN_PREFIX}/faults", _put_faults, methods=["PUT"]),
        Route(f"{ADMIN_PREFIX}/reset", _reset, methods=["POST"]),
    ]
    app = Starlette(
        routes=[*meta, *admin_routes, *routes],
        middleware=[Middleware(SimulatorMiddleware, state=state, routes=routes)],
        exception_handlers={
            ApiError: _api_error_handler,
            HTTPException: _http_error_handler,
            Exception: _server_error_handler,
        },
    )
    app.state.simulator = state
    return app
