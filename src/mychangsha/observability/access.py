"""The access line and the request metrics: written once per HTTP request, after its last byte.

The outermost of the graph's middleware (it assigns the request id every line carries), so
the duration covers the guards, the hot lane, the response cache and the engine alike, and
the status is the one the client got. Probes (/healthz, /readyz, /metrics) are counted but
not logged: a load balancer asks every few seconds and would drown the lines that matter.
Public answers sent from a cache are logged at DEBUG only (see `_level`).
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Final

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mychangsha.middleware import ARRIVED, HEADER_NAME, assign_request_id, request_id_var
from mychangsha.observability.logs import FIELDS_ATTRIBUTE
from mychangsha.observability.metrics import (
    HTTP_RESPONSES,
    OPERATION_ERRORS,
    OPERATION_SECONDS,
    OperationNames,
    route_label,
)
from mychangsha.observability.record import RequestRecord, close_record, open_record

log = logging.getLogger("mychangsha.access")

QUIET_PATHS: Final = frozenset({"/healthz", "/readyz", "/metrics"})
PUBLIC_CACHE_OUTCOMES: Final = frozenset({"hit", "hot"})
GRAPHQL_PATH: Final = "/graphql"
# Codes that mean the graph (not the caller) failed: such answers are logged as warnings.
SERVER_SIDE_CODES: Final = frozenset(
    {"INTERNAL_SERVER_ERROR", "UPSTREAM_UNAVAILABLE", "UPSTREAM_TIMEOUT"}
)


class AccessLogMiddleware:
    """Gives every request its id, then logs and measures it once it has been answered.

    One layer for both, since every answer passes through it once: the id is set for the
    log lines of the request (websockets too) and echoed in `X-Request-Id`.
    """

    def __init__(self, app: ASGIApp, *, operations: OperationNames | None = None) -> None:
        self.app = app
        self.operations = operations or OperationNames()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = assign_request_id(scope)
        id_token = request_id_var.set(request_id)
        try:
            if scope["type"] == "http":
                await self._observed(scope, receive, send, request_id)
            else:
                await self.app(scope, receive, send)
        finally:
            request_id_var.reset(id_token)

    async def _observed(self, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        scope.setdefault("state", {})[ARRIVED] = time.monotonic()  # answer budgets count from here
        record, token = open_record(request_id)
        status = 500  # what the client sees when the app raises before starting an answer
        id_header = (HEADER_NAME, request_id.encode("latin-1"))

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*(message.get("headers") or ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            close_record(token)
            self._finish(scope, record, status)

    def _finish(self, scope: Scope, record: RequestRecord, status: int) -> None:
        seconds = time.perf_counter() - record.started
        path: str = scope["path"]
        _responses(route_label(path), status).inc()
        if path == GRAPHQL_PATH:
            self._measure_operation(record, seconds)
        level = _level(path, status, record)
        if level is None or not log.isEnabledFor(level):
            return
        fields = {
            "method": scope["method"],
            "path": path,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "operation": record.operation,
            "operation_type": record.operation_type,
            "citizen": record.citizen,
            "codes": record.codes or None,
            "cache": record.cache,
        }
        log.log(
            level,
            "%s %s %s",
            scope["method"],
            path,
            status,
            extra={FIELDS_ATTRIBUTE: {k: v for k, v in fields.items() if v is not None}},
        )

    def _measure_operation(self, record: RequestRecord, seconds: float) -> None:
        operation = self.operations.label(record.operation)
        answered = _ANSWERED.get(record.cache or "", "executed")
        _timer(operation, record.operation_type or "none", answered).observe(seconds)
        for code in record.codes:
            OPERATION_ERRORS.labels(operation=operation, code=code).inc()


_ANSWERED: Final = {"hit": "cache", "hot": "hot"}


def _level(path: str, status: int, record: RequestRecord) -> int | None:
    """How loud a request's line is; None for probes, which are only counted.

    Failures of the graph are warnings. A public answer sent whole from a cache is DEBUG: it
    names no one and ran nothing, and at thousands a second per worker its lines would cost
    more than the answers (the metrics still count each one).
    """
    if path in QUIET_PATHS:
        return None
    if status >= 500 or any(code in SERVER_SIDE_CODES for code in record.codes):
        return logging.WARNING
    if status == 200 and record.citizen is None and record.cache in PUBLIC_CACHE_OUTCOMES:
        return logging.DEBUG
    return logging.INFO


@functools.cache
def _timer(operation: str, operation_type: str, answered: str) -> Histogram:
    """The labelled histogram, looked up once per label set (labels() costs microseconds)."""
    return OPERATION_SECONDS.labels(operation=operation, type=operation_type, answered=answered)


@functools.cache
def _responses(route: str, status: int) -> Counter:
    """The labelled counter, looked up once per route and status."""
    return HTTP_RESPONSES.labels(route=route, status=str(status))
