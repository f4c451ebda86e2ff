"""Prometheus metrics of requests and operations, and the exposition for one or many workers.

Label values are bounded: an operation is labelled with its name only when it is one of the
trusted documents the clients ship (clients/operations); anything else a caller names is
`other`, so a client cannot grow the metric store by inventing names. Upstream metrics live in
integrations/metrics.py, response-cache ones in cache/responses.py.

With several uvicorn workers every process keeps its own numbers; `cli serve` then points
PROMETHEUS_MULTIPROC_DIR at a shared directory (before any metric exists) and `/metrics`
sums the files of all live workers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Final

from graphql import OperationDefinitionNode, parse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROC_ENV: Final = "PROMETHEUS_MULTIPROC_DIR"
OTHER: Final = "other"
ROUTES: Final = frozenset({"/graphql", "/healthz", "/readyz", "/metrics", "/.well-known/jwks.json"})

OPERATION_SECONDS: Final = Histogram(
    "mychangsha_operation_seconds",
    "Time from a GraphQL request's arrival to its last byte sent, by operation and how it was"
    " answered (executed, cache, hot).",
    ["operation", "type", "answered"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.8, 1.0, 2.5, 5.0),
)
OPERATION_ERRORS: Final = Counter(
    "mychangsha_operation_errors_total",
    "Errors in GraphQL answers by operation and extensions.code (one per code per answer).",
    ["operation", "code"],
)
HTTP_RESPONSES: Final = Counter(
    "mychangsha_http_responses_total",
    "HTTP responses by route and status code.",
    ["route", "status"],
)
WEBSOCKET_OPERATIONS: Final = Gauge(
    "mychangsha_websocket_operations_active",
    "Operations running over websockets now: live subscriptions, mostly.",
    multiprocess_mode="livesum",
)


class OperationNames:
    """The operation names that may become label values: those of the trusted documents."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._names = frozenset(names)

    @classmethod
    def of_documents(cls, documents: Iterable[str]) -> OperationNames:
        """Every named operation defined in the documents."""
        names: set[str] = set()
        for text in documents:
            for definition in parse(text).definitions:
                if isinstance(definition, OperationDefinitionNode) and definition.name:
                    names.add(definition.name.value)
        return cls(names)

    def label(self, name: str | None) -> str:
        """The name itself when trusted; `other` for anything a caller made up (or none)."""
        return name if name in self._names else OTHER


def route_label(path: str) -> str:
    """A fixed route name for the path; `other` for the rest (404s, downloads, callbacks)."""
    return path if path in ROUTES else OTHER


def exposition() -> tuple[bytes, str]:
    """This process's metrics, or every live worker's summed when they share a directory."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def worker_exited(pid: int) -> None:
    """Drop a finished worker's live gauges from the shared directory."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
