"""Automatic Persisted Queries (Apollo's protocol), trusted documents and batching, over HTTP."""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from tests.conftest import SimulatorAdmin
from tests.support.servers import free_port, serve_process

OPERATIONS = Path(__file__).resolve().parents[2] / "clients" / "operations"
NOT_FOUND_BODY = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


def unique_query() -> str:
    """A document no earlier run registered (the comment makes its hash new)."""
    return (
        "query FirstAttractions($n: Int!) { attractions(first: $n) { edges { node { name } } } }"
        f"\n# {uuid.uuid4()}"
    )


def get(url: str, **params: Any) -> httpx.Response:
    query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return httpx.get(f"{url}/graphql", params=query, headers={"accept": "application/json"})


def post(url: str, body: object, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/graphql", json=body, headers=headers, timeout=20)


# --- APQ on the ordinary graph -----------------------------------------------------------


def test_apq_miss_register_hit_over_post(graph_url: str, redis_url: str) -> None:
    query = unique_query()
    variables = {"n": 2}
    miss = post(graph_url, {"extensions": persisted(query), "variables": variables})
    assert miss.status_code == 200
    assert miss.json() == NOT_FOUND_BODY

    registered = post(
        graph_url, {"query": query, "extensions": persisted(query), "variables": variables}
    )
    assert registered.status_code == 200
    assert len(registered.json()["data"]["attractions"]["edges"]) == 2

    hit = post(graph_url, {"extensions": persisted(query), "variables": {"n": 1}})
    assert hit.status_code == 200, hit.text
    assert len(hit.json()["data"]["attractions"]["edges"]) == 1

    ttl = redis.Redis.from_url(redis_url).ttl(f"mychangsha:apq:{sha256(query)}")
    assert 6 * 24 * 3600 < ttl <= 7 * 24 * 3600


def test_apq_miss_register_hit_over_get(graph_url: str) -> None:
    query = unique_query()
    extensions = persisted(query)
    miss = get(graph_url, extensions=extensions, variables={"n": 1})
    assert miss.status_code == 200
    assert miss.json() == NOT_FOUND_BODY
    assert "no-cache" in miss.headers["cache-control"]

    registered = get(graph_url, query=query, extensions=extensions, variables={"n": 1})
    assert registered.status_code == 200
    assert registered.json()["data"]["attractions"]["edges"]

    hit = get(
        graph_url, extensions=extensions, variables={"n": 2}, operationName="FirstAttractions"
    )
    assert hit.status_code == 200, hit.text
    assert len(hit.json()["data"]["attractions"]["edges"]) == 2


def test_a_document_registered_over_post_is_found_over_get(graph_url: str) -> None:
    query = unique_query()
    post(graph_url, {"query": query, "extensions": persisted(query), "variables": {"n": 1}})
    hit = get(graph_url, extensions=persisted(query), variables={"n": 1})
    assert hit.json()["data"]["attractions"]["edges"]


def test_a_hash_that_does_not_match_its_query_is_a_400(graph_url: str) -> None:
    query = unique_query()
    wrong = persisted(query + " ")
    response = post(graph_url, {"query": query, "extensions": wrong, "variables": {"n": 1}})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "data" not in response.json()
    # Nothing was registered under either hash.
    assert post(graph_url, {"extensions": wrong}).json() == NOT_FOUND_BODY
    assert post(graph_url, {"extensions": persisted(query)}).json() == NOT_FOUND_BODY


@pytest.mark.parametrize("version", [2, 0, "1"])
def test_unsupported_versions_are_refused(graph_url: str, version: object) -> None:
    query = unique_query()
    extensions = {"persistedQuery": {"version": version, "sha256Hash": sha256(query)}}
    response = post(graph_url, {"query": query, "extensions": extensions, "variables": {"n": 1}})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"


def test_a_malformed_hash_is_a_400(graph_url: str) -> None:
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": "not-a-hash"}}
    response = post(graph_url, {"extensions": extensions})
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_mutations_by_hash_over_get_stay_refused(graph_url: str) -> None:
    mutation = f"mutation SignOut {{ authLogout }}\n# {uuid.uuid4()}"
    post(graph_url, {"query": mutation, "extensions": persisted(mutation)})  # registers it
    assert post(graph_url, {"extensions": persisted(mutation)}).json() != NOT_FOUND_BODY
    response = get(graph_url, extensions=persisted(mutation))
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_invalid_documents_run_but_are_not_registered(graph_url: str) -> None:
    query = f"{{ attractions(first: 1) {{ nonsense }} }}\n# {uuid.uuid4()}"
    response = post(graph_url, {"query": query, "extensions": persisted(query)})
    assert response.json()["errors"]  # the validation error, as without APQ
    assert post(graph_url, {"extensions": persisted(query)}).json() == NOT_FOUND_BODY


def test_trusted_documents_are_known_by_hash_without_registration(graph_url: str) -> None:
    document = (OPERATIONS / "LifeEvents.graphql").read_text(encoding="utf-8").strip()
    response = get(graph_url, extensions=persisted(document))
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["data"]["lifeEvents"], list)


# --- batching ------------------------------------------------------------------------------


def test_batched_requests_are_refused_with_a_coded_400(graph_url: str) -> None:
    one = {"query": "{ attractions(first: 1) { edges { cursor } } }"}
    response = post(graph_url, [one, one])
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "Batched requests are not accepted" in error["message"]


# --- trusted-documents mode ----------------------------------------------------------------


@pytest.fixture(scope="module")
def trusted_graph_url(graph_env: dict[str, str], graph_url: str) -> Iterator[str]:
    """A second graph over the same services that runs only the shipped operations."""
    port = free_port()
    env = {
        **graph_env,
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TRUSTED_DOCUMENTS_ONLY": "true",
        "TRUSTED_DOCUMENTS_DIR": str(OPERATIONS),
        "CATALOGUE_SYNC_ON_START": "false",
    }
    argv = [sys.executable, "-m", "mychangsha", "serve", "--port", str(port), "--workers", "1"]
    with serve_process(argv, port, health_path="/healthz", env=env):
        yield f"http://127.0.0.1:{port}"


def test_trusted_mode_refuses_an_unknown_document_without_running_it(
    trusted_graph_url: str, sms_simulator: SimulatorAdmin
) -> None:
    before = sum(sms_simulator.counters().values())
    mutation = 'mutation { authOtpRequest(phone: "13912345678") { __typename } }'
    response = post(trusted_graph_url, {"query": mutation}, **{"x-forwarded-for": "10.9.0.1"})
    assert response.status_code == 200
    assert response.json() == NOT_FOUND_BODY
    # The same mutation by a name the app ships is not enough either: the text must match.
    registering = post(trusted_graph_url, {"query": mutation, "extensions": persisted(mutation)})
    assert registering.json() == NOT_FOUND_BODY
    assert post(trusted_graph_url, {"extensions": persisted(mutation)}).json() == NOT_FOUND_BODY
    assert sum(sms_simulator.counters().values()) == before  # no code was sent


def test_trusted_mode_refuses_apq_registration(trusted_graph_url: str) -> None:
    query = unique_query()
    response = post(
        trusted_graph_url, {"query": query, "extensions": persisted(query), "variables": {"n": 1}}
    )
    assert response.status_code == 200
    assert response.json() == NOT_FOUND_BODY


def test_trusted_mode_runs_a_shipped_document_by_hash(trusted_graph_url: str) -> None:
    document = (OPERATIONS / "NearbyAttractions.graphql").read_text(encoding="utf-8").strip()
    variables = {"near": {"lat": 28.19, "lng": 112.97}, "first": 2}
    response = get(trusted_graph_url, extensions=persisted(document), variables=variables)
    assert response.status_code == 200, response.text
    assert len(response.json()["data"]["attractions"]["edges"]) == 2
    over_post = post(trusted_graph_url, {"extensions": persisted(document), "variables": variables})
    assert len(over_post.json()["data"]["attractions"]["edges"]) == 2


def test_trusted_mode_runs_a_shipped_document_by_text(trusted_graph_url: str) -> None:
    document = (OPERATIONS / "EventsCalendar.graphql").read_text(encoding="utf-8")
    response = post(trusted_graph_url, {"query": document, "variables": {"first": 1}})
    assert response.status_code == 200, response.text
    assert "events" in response.json()["data"]
    sent_with_hash = document.strip()
    both = post(
        trusted_graph_url,
        {"query": sent_with_hash, "extensions": persisted(sent_with_hash)},
    )
    assert "events" in both.json()["data"]


def test_trusted_mode_refuses_an_unknown_subscription(trusted_graph_url: str) -> None:
    ws_url = trusted_graph_url.replace("http://", "ws://") + "/graphql"
    with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=10) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        query = "{ attractions(first: 1) { edges { node { name } } } }"
        ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message = json.loads(ws.recv(timeout=10))
        assert message["type"] == "error" and message["id"] == "1"
        assert message["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
