"""GraphQL over HTTP as the spec says: media types, status codes, GET, websockets, probes."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import httpx
import pytest
import redis
from websockets.exceptions import InvalidStatus
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


# --- what standard clients rely on ------------------------------------------------------------

PUBLIC = "{ attractions(first: 2) { edges { node { name } } } }"


def test_every_websocket_message_is_a_text_frame(graph_url: str) -> None:
    """graphql-transport-ws is JSON in text frames; the reference client drops binary ones."""
    ws_url = graph_url.replace("http://", "ws://") + "/graphql"
    with connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init"}))
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": PUBLIC}}))
        ws.send(json.dumps({"type": "ping"}))
        frames = [ws.recv(timeout=10) for _ in range(4)]
    assert all(isinstance(frame, str) for frame in frames), frames
    kinds = [json.loads(frame)["type"] for frame in frames]
    assert kinds[0] == "connection_ack" and sorted(kinds[1:]) == ["complete", "next", "pong"]


@pytest.mark.parametrize("origin", ["https://m.mychangsha.cn", "http://localhost:5173"])
def test_sockets_open_from_the_origins_cors_allows(graph_url: str, origin: str) -> None:
    ws_url = graph_url.replace("http://", "ws://") + "/graphql"
    with connect(
        ws_url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
        open_timeout=10,
    ) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"


@pytest.mark.parametrize("origin", ["https://evil.example", "https://m.mychangsha.cn.evil.example"])
def test_sockets_from_other_origins_are_refused_with_403(graph_url: str, origin: str) -> None:
    ws_url = graph_url.replace("http://", "ws://") + "/graphql"
    with pytest.raises(InvalidStatus) as refused:
        connect(
            ws_url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            origin=origin,  # type: ignore[arg-type]
            open_timeout=10,
        )
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("name", [{"a": 1}, ["Q"], 7, True])
def test_a_request_member_of_the_wrong_type_is_400(graph_url: str, name: object) -> None:
    for accept in (GQL_JSON, "application/json"):
        response = httpx.post(
            f"{graph_url}/graphql",
            json={"query": PUBLIC, "operationName": name},
            headers={"accept": accept},
        )
        assert response.status_code == 400, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    for member in ("variables", "extensions"):
        response = httpx.post(f"{graph_url}/graphql", json={"query": PUBLIC, member: ["x"]})
        assert response.status_code == 400, response.text


@pytest.mark.parametrize("accept", [GQL_JSON, "application/json", "*/*"])
def test_answers_from_the_cache_carry_the_negotiated_type(graph_url: str, accept: str) -> None:
    query = "{ attractions(first: 3) { edges { node { name district } } } }"
    expected = GQL_JSON if accept == GQL_JSON else "application/json"
    kinds = []
    for _ in range(3):  # a miss, a hit, and a hit from the hot lane
        response = httpx.get(
            f"{graph_url}/graphql", params={"query": query}, headers={"accept": accept}
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].split(";")[0] == expected, response.headers
        assert "Accept" in response.headers["vary"]
        kinds.append(response.headers.get("x-mychangsha-cache"))
    assert kinds[1:] == ["hit", "hit"], kinds
    # The same entry, asked for under the other type, is named by that type.
    other = "application/json" if accept == GQL_JSON else GQL_JSON
    again = httpx.get(f"{graph_url}/graphql", params={"query": query}, headers={"accept": other})
    assert again.headers["content-type"].split(";")[0] == other


def test_a_hash_only_get_with_accept_any_gets_the_answer_not_the_ide(graph_url: str) -> None:
    query = "{ attractions(first: 1) { edges { node { id } } } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = json.dumps({"persistedQuery": {"version": 1, "sha256Hash": digest}})
    registered = httpx.get(
        f"{graph_url}/graphql", params={"query": query, "extensions": extensions}
    )
    assert registered.status_code == 200, registered.text
    for accept in ("*/*", "text/html,application/xhtml+xml,*/*;q=0.8", ""):
        response = httpx.get(
            f"{graph_url}/graphql", params={"extensions": extensions}, headers={"accept": accept}
        )
        assert response.status_code == 200, (accept, response.text[:200])
        assert response.json()["data"]["attractions"]["edges"], accept


def test_the_ide_is_for_pages_only(graph_url: str) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    page = httpx.get(f"{graph_url}/graphql", headers={"accept": browser})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for accept in ("*/*", "application/json", GQL_JSON):
        answer = httpx.get(f"{graph_url}/graphql", headers={"accept": accept})
        assert not answer.headers["content-type"].startswith("text/html"), accept
        assert answer.status_code == 400, (accept, answer.text[:200])


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_subscription_over_http_is_a_clear_400(graph_url: str, method: str) -> None:
    """HTTP cannot carry a subscription: the client is told where to go, nothing is logged."""
    query = 'subscription { crowdLevelChanged(attractionIds: ["x"]) { level } }'
    for accept in (GQL_JSON, "application/json"):
        if method == "GET":
            response = httpx.get(
                f"{graph_url}/graphql", params={"query": query}, headers={"accept": accept}
            )
        else:
            response = httpx.post(
                f"{graph_url}/graphql", json={"query": query}, headers={"accept": accept}
            )
        assert response.status_code == 400, response.text
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "graphql-transport-ws" in error["message"]
