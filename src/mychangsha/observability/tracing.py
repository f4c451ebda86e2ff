"""OpenTelemetry tracing, when OTEL_TRACING is on: the `otel` extra is then required.

Spans: the operation and its parse/validate/execute steps, every resolver that is not a plain
attribute read (strawberry's OpenTelemetryExtension skips those and introspection), and every
upstream HTTP call (httpx instrumentation), which also writes the W3C `traceparent` header so
an upstream that traces joins the same trace. A request that arrives with a `traceparent`
(from a gateway or an app that traces) continues that trace instead of starting one. Where
spans go is OpenTelemetry's own business: the OTEL_EXPORTER_OTLP_* and OTEL_SERVICE_NAME
variables, or a provider the host installed
(`opentelemetry-instrument`, a test's in-memory exporter), which is then used as it is.
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

INSTALL_HINT = "OTEL_TRACING needs the otel extra: pip install 'mychangsha[otel]'"


class TracingUnavailable(RuntimeError):
    """Tracing was asked for but OpenTelemetry is not installed."""


def enable_tracing() -> None:
    """Install an exporting tracer provider unless one exists, and trace upstream calls."""
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        raise TracingUnavailable(INSTALL_HINT) from exc
    if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
        provider = TracerProvider(resource=Resource.create())
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(provider)
    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument()


def tracing_extension() -> type[SchemaExtension]:
    """strawberry's span-per-operation-and-resolver extension."""
    try:
        from strawberry.extensions.tracing import OpenTelemetryExtension
    except ImportError as exc:
        raise TracingUnavailable(INSTALL_HINT) from exc
    return OpenTelemetryExtension


class TraceContextMiddleware:
    """Continues the caller's trace: its W3C `traceparent` becomes the parent of our spans."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        from opentelemetry import context, propagate

        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        carrier = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope.get("headers") or ()
            if name in (b"traceparent", b"tracestate")
        }
        token = context.attach(propagate.extract(carrier))
        try:
            await self.app(scope, receive, send)
        finally:
            context.detach(token)


def tracing_middleware(enabled: bool) -> list[Middleware]:
    """The trace-context middleware when tracing is on; nothing otherwise."""
    return [Middleware(TraceContextMiddleware)] if enabled else []
