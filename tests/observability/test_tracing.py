"""OpenTelemetry tracing when configured: a span for the operation, for its resolvers and for
each upstream call, all in one trace, whose context the upstream receives."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from mychangsha.app import create_app
from mychangsha.settings import Settings
from tests.api.identity_client import random_ip, random_phone
from tests.conftest import SimulatorAdmin
from tests.support.servers import free_port, serve_in_thread

REQUEST_CODE = """mutation RequestSignInCode($phone: String!) {
  authOtpRequest(phone: $phone) { __typename } }"""


@pytest.fixture(scope="module")
def exported() -> InMemorySpanExporter:
    """Spans kept in memory, as a collector would receive them."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return exporter


@pytest.fixture(scope="module")
def traced_graph_url(
    graph_url: str, graph_env: dict[str, str], exported: InMemorySpanExporter
) -> Iterator[str]:
    """A graph in this process with OTEL_TRACING on (so its spans reach `exported`)."""
    port = free_port()
    env = {**graph_env, "OTEL_TRACING": "true", "CATALOGUE_SYNC_ON_START": "false"}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        app = create_app(Settings(port=port, public_base_url=f"http://127.0.0.1:{port}"))
    try:
        with serve_in_thread(app, port) as url:
            yield url
    finally:
        HTTPXClientInstrumentor().uninstrument()


def _request_code(graph: str) -> None:
    body = httpx.post(
        f"{graph}/graphql",
        json={"query": REQUEST_CODE, "variables": {"phone": random_phone()}},
        headers={"x-forwarded-for": random_ip()},
    ).json()
    assert body["data"]["authOtpRequest"]["__typename"] == "OtpSent", body


def _one(spans: list[ReadableSpan], words: str) -> ReadableSpan:
    found = [s for s in spans if words in s.name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


def test_an_operation_its_resolver_and_its_upstream_call_share_one_trace(
    traced_graph_url: str, exported: InMemorySpanExporter, sms_simulator: SimulatorAdmin
) -> None:
    exported.clear()
    _request_code(traced_graph_url)
    spans = list(exported.get_finished_spans())
    operation = _one(spans, "RequestSignInCode")
    resolver = _one(spans, "authOtpRequest")
    # The test's own call to the graph is traced too (httpx is instrumented in this process):
    # the upstream call is the client span under the resolver.
    upstream = [
        s
        for s in spans
        if s.kind is SpanKind.CLIENT
        and s.parent is not None
        and s.parent.span_id == resolver.context.span_id
    ]
    assert len(upstream) == 1, [(s.name, s.kind) for s in spans]
    assert upstream[0].context.trace_id == operation.context.trace_id
    assert resolver.context.trace_id == operation.context.trace_id
    assert resolver.parent is not None and resolver.parent.span_id == operation.context.span_id


def test_the_upstream_receives_the_trace_context(
    traced_graph_url: str, exported: InMemorySpanExporter, sms_simulator: SimulatorAdmin
) -> None:
    sms_simulator.reset()
    exported.clear()
    _request_code(traced_graph_url)
    operation = _one(list(exported.get_finished_spans()), "RequestSignInCode")
    received = sms_simulator.http.get("/__admin/traces").raise_for_status().json()
    trace_ids = {value.split("-")[1] for value in received["traceparents"]}
    assert f"{operation.context.trace_id:032x}" in trace_ids


def test_a_caller_s_trace_is_continued(
    traced_graph_url: str, exported: InMemorySpanExporter
) -> None:
    trace_id, parent_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    exported.clear()
    # Sent with the standard library: instrumented httpx would put its own traceparent on.
    request = urllib.request.Request(
        f"{traced_graph_url}/graphql",
        data=json.dumps({"query": REQUEST_CODE, "variables": {"phone": random_phone()}}).encode(),
        headers={
            "content-type": "application/json",
            "x-forwarded-for": random_ip(),
            "traceparent": f"00-{trace_id}-{parent_id}-01",
        },
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        assert json.load(response)["data"]["authOtpRequest"]["__typename"] == "OtpSent"
    operation = _one(list(exported.get_finished_spans()), "RequestSignInCode")
    assert f"{operation.context.trace_id:032x}" == trace_id
    assert operation.parent is not None and f"{operation.parent.span_id:016x}" == parent_id
