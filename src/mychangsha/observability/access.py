"""The access line and the request metrics: written once per HTTP request, after its last byte.

Sits inside RequestIdMiddleware (so the line carries the request id) and outside everything
else, so the duration covers the hot lane, the response cache and the engine alike, and the
status is the one the client got. Probes (/healthz, /readyz, /metrics) are counted but not
logged: a load balancer asks every few seconds and would drown the lines that matter.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Final

from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mychangsha.middleware import request_id_var
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
GRAPHQL_PATH: Final = "/graphql"
# Codes that mean the graph (not the caller) failed: such answers are logged as warnings.
SERVER_SIDE_CODES: Final = frozenset(
    {"INTERNAL_SERVER_ERROR", "UPSTREAM_UNAVAILABLE", "UPSTREAM_TIMEOUT"}
)


class AccessLogMiddleware:
    """Logs and measures every HTTP request once it has been answered (or abandoned)."""

    def __init__(self, app: ASGIApp, *, operations: OperationNames | None = None) -> None:
        self.app = app
        self.operations = operations or OperationNames()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        record, token = open_record(request_id_var.get())
        status = 500  # what the client sees when the app raises before starting an answer

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
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
        if path in QUIET_PATHS:
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
        failed = status >= 500 or any(code in SERVER_SIDE_CODES for code in record.codes)
        log.log(
            logging.WARNING if failed else logging.INFO,
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


@functools.cache
def _timer(operation: str, operation_type: str, answered: str) -> Histogram:
    """The labelled histogram, looked up once per label set (labels() costs microseconds)."""
    return OPERATION_SECONDS.labels(operation=operation, type=operation_type, answered=answered)


@functools.cache
def _responses(route: str, status: int) -> Counter:
    """The labelled counter, looked up once per route and status."""
    return HTTP_RESPONSES.labels(route=route, status=str(status))
