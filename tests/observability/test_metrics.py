"""What /metrics tells an operator about operations, answers and live subscriptions."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

import httpx
from prometheus_client.parser import text_string_to_metric_families
from websockets.sync.client import connect

from tests.support.servers import free_port, serve_process

ANONYMOUS_ME = "query Me { me { id } }"
# Yuelu Academy's crowd level (a global ID: base64 of "Attraction:att-yuelu-academy").
SUBSCRIPTION = (
    'subscription { crowdLevelChanged(attractionIds: ["QXR0cmFjdGlvbjphdHQteXVlbHUtYWNhZGVteQ=="])'
    " { level } }"
)


def sample(base_url: str, name: str, **labels: str) -> float:
    """A sample's value on /metrics (0 when the series does not exist yet)."""
    text = httpx.get(f"{base_url}/metrics", timeout=10).raise_for_status().text
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


def metrics_text(base_url: str) -> str:
    return httpx.get(f"{base_url}/metrics", timeout=10).raise_for_status().text


def test_operations_are_timed_and_their_error_codes_counted(graph_url: str) -> None:
    timed = {"operation": "Me", "type": "query", "answered": "executed"}
    errors = {"operation": "Me", "code": "UNAUTHENTICATED"}
    timed_before = sample(graph_url, "mychangsha_operation_seconds_count", **timed)
    errors_before = sample(graph_url, "mychangsha_operation_errors_total", **errors)
    for _ in range(3):
        body = httpx.post(f"{graph_url}/graphql", json={"query": ANONYMOUS_ME}).json()
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert sample(graph_url, "mychangsha_operation_seconds_count", **timed) == timed_before + 3
    assert sample(graph_url, "mychangsha_operation_errors_total", **errors) == errors_before + 3


def test_names_the_clients_do_not_ship_are_labelled_other(graph_url: str) -> None:
    labels = {"operation": "other", "type": "query", "answered": "executed"}
    before = sample(graph_url, "mychangsha_operation_seconds_count", **labels)
    for name in ("Invented1", "Invented2"):
        query = f"query {name} {{ __typename }}"
        httpx.post(f"{graph_url}/graphql", json={"query": query}).raise_for_status()
    assert sample(graph_url, "mychangsha_operation_seconds_count", **labels) == before + 2
    assert "Invented1" not in metrics_text(graph_url)


def test_responses_are_counted_by_route_and_status(graph_url: str) -> None:
    labels = {"route": "other", "status": "404"}
    before = sample(graph_url, "mychangsha_http_responses_total", **labels)
    assert httpx.get(f"{graph_url}/no-such-page").status_code == 404
    assert sample(graph_url, "mychangsha_http_responses_total", **labels) == before + 1


def test_live_subscriptions_are_counted_while_they_last(graph_url: str) -> None:
    gauge = "mychangsha_websocket_operations_active"
    before = sample(graph_url, gauge)
    url = graph_url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUBSCRIPTION}}))
        assert _eventually(lambda: sample(graph_url, gauge) == before + 1)
    assert _eventually(lambda: sample(graph_url, gauge) == before)


def test_workers_of_one_server_report_their_sum(graph_env: dict[str, str]) -> None:
    port = free_port()
    argv = [sys.executable, "-m", "mychangsha", "serve", "--port", str(port), "--workers", "2"]
    env = {**graph_env, "PORT": str(port), "CATALOGUE_SYNC_ON_START": "false"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    base = f"http://127.0.0.1:{port}"
    labels = {"route": "/graphql", "status": "200"}
    with serve_process(argv, port, health_path="/healthz", env=env):
        for _ in range(20):  # a new connection each time: the workers take turns accepting
            httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}).raise_for_status()
        readings = {sample(base, "mychangsha_http_responses_total", **labels) for _ in range(6)}
    assert readings == {20.0}


def _eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll a condition until it holds or the time is up."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False
