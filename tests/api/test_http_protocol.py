"""GraphQL over HTTP as the spec says: media types, status codes, GET, websockets, probes."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
import redis
from websockets.sync.client import connect

from mychangsha.embedded import ChildProcess
from tests.conftest import GraphClient

GQL_JSON = "application/graphql-response+json"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ attractions(first: 1) { edges ", None),  # parse error
        ("{ attractions(first: 1) { nonsense } }", None),  # validation error
        ("query($n: Int!) { attractions(first: $n) { edges { cursor } } }", {"n": "five"}),
    ],
)
def test_request_errors_are_400_with_graphql_response_json(
    graph: GraphClient, query: str, variables: dict[str, object] | None
) -> None:
    response = graph.post(query, variables, accept=GQL_JSON)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GQL_JSON)
    body = response.json()
    assert "data" not in body and body["errors"]
    legacy = graph.post(query, variables, accept="application/json")
    assert legacy.status_code == 200
    assert legacy.headers["content-type"].startswith("application/json")


def test_success_with_graphql_response_json(graph: GraphClient) -> None:
    response = graph.post("{ attractions(first: 1) { edges { cursor } } }", accept=GQL_JSON)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(GQL_JSON)
    assert response.json()["data"]["attractions"]["edges"]


def test_field_errors_stay_200(graph: GraphClient) -> None:
    response = graph.post('{ node(id: "###") { id } }', accept=GQL_JSON)
    assert response.status_code == 200
    assert response.json()["data"] == {"node": None}


def test_queries_over_get(graph_url: str) -> None:
    response = httpx.get(
        f"{graph_url}/graphql",
        params={"query": "{ attractions(first: 2) { edges { node { name } } } }"},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 200
    assert len(response.json()["data"]["attractions"]["edges"]) == 2


def test_malformed_json_body_is_a_clear_400(graph_url: str) -> None:
    response = httpx.post(
        f"{graph_url}/graphql", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_request_id_is_echoed_or_made(graph_url: str) -> None:
    given = httpx.get(f"{graph_url}/healthz", headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = httpx.get(f"{graph_url}/healthz")
    assert len(made.headers["x-request-id"]) == 32


def test_query_over_graphql_transport_ws(graph_url: str) -> None:
    ws_url = graph_url.replace("http://", "ws://") + "/graphql"
    with connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": "{ attractions(first: 1) { edges { node { name } } } }"},
                }
            )
        )
        message = json.loads(ws.recv(timeout=10))
        assert message["type"] == "next" and message["id"] == "1"
        assert message["payload"]["data"]["attractions"]["edges"][0]["node"]["name"]
        assert json.loads(ws.recv(timeout=10)) == {"id": "1", "type": "complete"}


def test_ide_is_served_as_html(graph_url: str) -> None:
    response = httpx.get(f"{graph_url}/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "unpkg.com" not in response.text and "graphiql" in response.text.lower()


def test_healthz_and_metrics(graph_url: str) -> None:
    assert httpx.get(f"{graph_url}/healthz").json() == {"status": "ok"}
    httpx.post(
        f"{graph_url}/graphql",
        json={"query": "{ attractions(first: 1) { edges { node { crowdLevel } } } }"},
    )
    metrics = httpx.get(f"{graph_url}/metrics").text
    assert "mychangsha_upstream_requests_total" in metrics


def test_readyz_follows_redis(graph_url: str, redis_server: ChildProcess, redis_url: str) -> None:
    assert httpx.get(f"{graph_url}/readyz").status_code == 200
    redis_server.stop()
    try:
        response = httpx.get(f"{graph_url}/readyz", timeout=10)
        assert response.status_code == 503
        assert response.json()["checks"] == {"mongodb": True, "redis": False}
    finally:
        redis_server.start()
        _wait_for_redis(redis_url)
    assert httpx.get(f"{graph_url}/readyz").status_code == 200


def _wait_for_redis(url: str) -> None:
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("redis did not come back")


def test_committed_schema_matches_code() -> None:
    from mychangsha.schema import build_schema

    committed = (ROOT / "schema.graphql").read_text()
    assert committed == build_schema().as_str() + "\n", "run `make schema` and commit the result"
