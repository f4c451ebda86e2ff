"""The reference graphql-transport-ws client (npm graphql-ws over `ws`) against the real graph.

The client runs under Node and prints what it receives as JSON lines; the test drives the
upstream simulators between those lines, so every event it asserts was caused by the test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api.conftest import People
from tests.api.test_crowd_subscription import Crowds, global_id
from tests.api.test_government import _bundle, _good_files, _submit
from tests.conformance.node_tools import NodeScript
from tests.conftest import SimulatorAdmin
from tests.support.crowd_watch import wait_until_watched

CROWD = """subscription Crowd($ids: [ID!]!) { crowdLevelChanged(attractionIds: $ids) {
  level previousLevel visitors capacity attraction { id name } } }"""
STATUS = "subscription { applicationStatusChanged { applicationId number status previousStatus } }"
# The watcher's catch-up to a pinned level and the socket's Redis listener, as in
# tests/api/test_crowd_subscription.py; then a change must arrive within DELIVERY_SECONDS
# (the API test allows 2 s; this adds Node's start and its own reading of the socket).
SETTLE_SECONDS = 1.5
DELIVERY_SECONDS = 5.0


def ws_url(graph_url: str) -> str:
    """The graph's graphql-transport-ws endpoint: the same path as HTTP."""
    return graph_url.replace("http://", "ws://") + "/graphql"


def _next_payload(script: NodeScript, timeout: float) -> dict[str, Any]:
    """The next pushed result, failing on anything else the client reports instead."""
    line = script.expect("next", timeout)
    payload: dict[str, Any] = line["payload"]
    assert "errors" not in payload, script.describe()
    return payload


def test_crowd_level_change_reaches_the_reference_client(
    graph_url: str, redis_url: str, node_tools: Path, crowds: Crowds
) -> None:
    """A public subscription: no sign-in, the change the test pins arrives with its levels."""
    attraction = "att-du-fu-pavilion"
    crowds.pin(attraction, "COMFORTABLE")
    request = {
        "url": ws_url(graph_url),
        "subscribe": {"query": CROWD, "variables": {"ids": [global_id(attraction)]}},
        "queries": [{"query": "{ __typename }"}],
        "timeoutMs": 60_000,
    }
    with NodeScript(node_tools, "ws_client.mjs", request) as script:
        script.expect("connected")
        assert script.expect("result")["nexts"] == [{"data": {"__typename": "Query"}}]
        script.expect("subscribed")
        for line in script.collect(SETTLE_SECONDS):  # a catch-up may only be to the pin
            assert line["event"] == "next", script.describe()
            assert line["payload"]["data"]["crowdLevelChanged"]["level"] == "COMFORTABLE"

        wait_until_watched(redis_url, attraction)
        visitors = crowds.pin(attraction, "CROWDED")
        change = _next_payload(script, DELIVERY_SECONDS)["data"]["crowdLevelChanged"]
        assert (change["level"], change["previousLevel"]) == ("CROWDED", "COMFORTABLE")
        assert change["visitors"] == visitors
        assert change["capacity"] == crowds.capacity(attraction)
        assert change["attraction"] == {"id": global_id(attraction), "name": "杜甫江阁"}
        assert script.collect(0.5) == [], script.describe()  # told once


def test_application_status_reaches_the_signed_in_client(
    graph_url: str, node_tools: Path, people: People, government_simulator: SimulatorAdmin
) -> None:
    """A private subscription: the token in connectionParams is the socket's citizen."""
    device, me = people()
    bundle = _bundle(device)
    request = {
        "url": ws_url(graph_url),
        "connectionParams": {"Authorization": f"Bearer {device.access_token}"},
        "subscribe": {"query": STATUS},
        "queries": [{"query": "{ me { id } }"}],
        "timeoutMs": 60_000,
    }
    with NodeScript(node_tools, "ws_client.mjs", request) as script:
        script.expect("connected")
        assert script.expect("result")["nexts"] == [{"data": {"me": {"id": me["id"]}}}]
        script.expect("subscribed")

        application = submit_and_accept(device, bundle, government_simulator)

        while True:  # the submission's own SUBMITTED may come first
            change = _next_payload(script, 15)["data"]["applicationStatusChanged"]
            assert change["applicationId"] == application["id"], change
            assert change["number"] == application["number"], change
            if change["status"] == "ACCEPTED":
                break
            assert change["status"] == "SUBMITTED", change
        assert change["previousStatus"] == "SUBMITTED"


def test_queries_and_their_errors_share_one_socket(graph_url: str, node_tools: Path) -> None:
    """A request error is an `error` message for that operation, not a closed socket."""
    queries = [
        {"query": "{ __typename }"},
        {"query": "{ attractions(first: 1) { edges { node { noSuchField } } } }"},
        {"query": "query($n: Int!) { attractions(first: $n) { edges { node { id } } } }"},
        {
            "query": "query($n: Int!) { attractions(first: $n) { edges { node { id } } } }",
            "variables": {"n": 2},
        },
    ]
    lines = _run_to_end(node_tools, {"url": ws_url(graph_url), "queries": queries})
    results = [line for line in lines if line["event"] == "result"]
    assert [r["index"] for r in results] == [0, 1, 2, 3], lines

    assert results[0] == {
        "event": "result",
        "index": 0,
        "nexts": [{"data": {"__typename": "Query"}}],
        "error": None,
    }
    unknown = results[1]
    assert unknown["nexts"] == [], unknown
    messages = [e["message"] for e in unknown["error"]["errors"]]
    assert any("noSuchField" in m for m in messages), unknown
    # A variable that cannot be coerced: graphql-ws's own server answers `next` with the
    # errors (execution, not validation, finds it), then `complete`; so must this graph.
    missing = results[2]
    assert missing["error"] is None and len(missing["nexts"]) == 1, missing
    assert missing["nexts"][0].get("data") is None, missing
    codes = [e["extensions"]["code"] for e in missing["nexts"][0]["errors"]]
    assert codes == ["BAD_USER_INPUT"], missing
    edges = results[3]["nexts"][0]["data"]["attractions"]["edges"]
    assert results[3]["error"] is None and len(edges) == 2, results[3]
    assert lines[-1] == {"event": "done", "connections": 1, "closes": 0}, lines


def _run_to_end(node_tools: Path, request: dict[str, Any]) -> list[dict[str, Any]]:
    """Every line of a script that ends by itself, which it must do with success."""
    with NodeScript(node_tools, "ws_client.mjs", {**request, "timeoutMs": 30_000}) as script:
        while not script.seen or script.seen[-1]["event"] != "done":
            line = script.next(30)
            assert line is not None, script.describe()
            assert line["event"] not in {"timeout", "fatal", "closed"}, script.describe()
        assert script.finish() == 0, script.describe()
        return script.seen


def submit_and_accept(device: Any, bundle: Any, government: Any) -> dict[str, Any]:
    """Submit an application for the bundle, then have the platform accept it; the application."""
    response = _submit(device, bundle, _good_files(bundle))
    assert response.status_code == 200, response.text
    application: dict[str, Any] = response.json()["data"]["applicationSubmit"]
    assert application["__typename"] == "Application", application
    government.http.post(
        f"/__admin/applications/{application['number']}/advance", json={"to": "accepted"}
    ).raise_for_status()
    return application
