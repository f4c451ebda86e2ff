"""The app's own operations through Hive Gateway, answered as the monolith answers them.

Every subgraph runs as a `mychangsha serve --subgraph` process on the session's data; the
gateway is started with the committed configuration (deploy/gateway/gateway.config.mjs),
which forwards the citizen's token to the subgraphs and reaches their subscriptions over
graphql-transport-ws. Each journey asks the gateway and the monolith the same operation and
compares the answers.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from mychangsha.cache.pubsub import PREFIX as PUBSUB_PREFIX
from mychangsha.resolvers.crowd import channel_of
from mychangsha.schema.subgraphs import SUBGRAPH_NAMES
from tests.api.booking_calendar import booking_days
from tests.api.hospital_journey import free_slots, hospital_id, wait_until
from tests.api.identity_client import Device
from tests.api.test_crowd_subscription import Crowds, crowds, global_id
from tests.federation.node_tools import compose, ensure_tools, gateway_argv
from tests.support.crowd_watch import wait_until_watched
from tests.support.graphs import subgraph
from tests.support.npm_packages import ToolsUnavailable
from tests.support.servers import free_port, serve_process

ROOT = Path(__file__).resolve().parents[2]
OPERATIONS = ROOT / "clients" / "operations"
GATEWAY_CONFIG = ROOT / "deploy" / "gateway" / "gateway.config.mjs"
PAVILION = "att-tianxin-pavilion"
__all__ = ["crowds"]  # the crowd-pinning fixture, shared with the crowd subscription tests
CROWD = """subscription($ids: [ID!]!) {
  crowdLevelChanged(attractionIds: $ids) { level previousLevel attraction { id name } } }"""


def _operation(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text()


@pytest.fixture(scope="module")
def subgraphs(graph_url: str, graph_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """Every subgraph as its own process, on the mirrors the session's graph filled."""
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(subgraph(graph_env, name)) for name in SUBGRAPH_NAMES}
        yield urls


@pytest.fixture(scope="module")
def gateway(subgraphs: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Hive Gateway over the live subgraphs, with the repository's gateway configuration."""
    try:
        tools = ensure_tools()
    except ToolsUnavailable as exc:
        pytest.fail(f"federation tools unavailable: {exc}")
    services = []
    for name, url in subgraphs.items():
        body = httpx.post(url, json={"query": "{ _service { sdl } }"}, timeout=20).json()
        services.append({"name": name, "url": url, "typeDefs": body["data"]["_service"]["sdl"]})
    path = tmp_path_factory.mktemp("gateway") / "supergraph.graphql"
    path.write_text(compose(tools, services))
    port = free_port()
    argv = [*gateway_argv(tools, path, port), "--config-path", str(GATEWAY_CONFIG)]
    with serve_process(argv, port, health_path="/healthcheck"):
        yield f"http://127.0.0.1:{port}/graphql"


def _ask(url: str, query: str, variables: dict[str, Any], token: str | None) -> dict[str, Any]:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    body: dict[str, Any] = httpx.post(
        url, json={"query": query, "variables": variables}, headers=headers, timeout=30
    ).json()
    return body


def test_the_home_screen_through_the_gateway_is_the_monolith_s(
    gateway: str, graph_url: str, people: Any
) -> None:
    device, _ = people()
    booked = _book_tomorrow(device, gateway)
    assert booked["__typename"] == "Appointment", booked
    query, variables = _operation("HomeScreen"), {"near": {"lat": 28.19, "lng": 112.97}}
    through = _ask(gateway, query, variables, device.access_token)
    direct = _ask(f"{graph_url}/graphql", query, variables, device.access_token)
    assert "errors" not in through, through
    assert through == direct
    assert through["data"]["home"]["recommendedAttractions"], through


def _book_tomorrow(device: Device, gateway: str) -> dict[str, Any]:
    """BookAppointment through the gateway, for the first free slot after today."""
    hospital = hospital_id(device, "湘雅")
    for day in booking_days(device, hospital)[1:]:
        for slot in free_slots(device, hospital, day):
            variables = {
                "input": {
                    "slotId": slot["id"],
                    "patientId": _my_id(device),
                    "idempotencyKey": uuid.uuid4().hex,
                }
            }
            body = _ask(gateway, _operation("BookAppointment"), variables, device.access_token)
            assert "errors" not in body, body
            result: dict[str, Any] = body["data"]["appointmentBook"]
            if result["__typename"] != "SlotUnavailable":
                return result
    raise AssertionError("no free slot in the booking window")


def _my_id(device: Device) -> str:
    return str(device.post("{ me { id } }")["data"]["me"]["id"])


def test_a_signed_in_booking_through_the_gateway(gateway: str, graph_url: str, people: Any) -> None:
    device, _ = people()
    booked = _book_tomorrow(device, gateway)
    assert booked["__typename"] == "Appointment" and booked["status"] == "BOOKED", booked
    query = _operation("MyAppointments")
    through = _ask(gateway, query, {}, device.access_token)
    direct = _ask(f"{graph_url}/graphql", query, {}, device.access_token)
    assert "errors" not in through, through
    assert through == direct
    assert booked["id"] in json.dumps(through)
    anonymous = _ask(gateway, query, {}, None)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", anonymous


def _subscribe(url: str, ids: list[str]) -> ClientConnection:
    ws = connect(
        url.replace("http://", "ws://"),
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        open_timeout=20,
        legacy=True,  # set up here, closed by the test's with block
    )
    ws.send(json.dumps({"type": "connection_init", "payload": {}}))
    assert json.loads(ws.recv(timeout=20))["type"] == "connection_ack"
    payload = {"query": CROWD, "variables": {"ids": ids}}
    ws.send(json.dumps({"id": "crowd", "type": "subscribe", "payload": payload}))
    return ws


def _next_level(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message = json.loads(ws.recv(timeout=30))
        assert message["type"] == "next", message
        change: dict[str, Any] = message["payload"]["data"]["crowdLevelChanged"]
        return change


def test_a_subscription_through_the_gateway_gets_what_the_monolith_pushes(
    gateway: str, graph_url: str, redis_url: str, crowds: Crowds
) -> None:
    attraction = global_id(PAVILION)
    crowds.pin(PAVILION, "COMFORTABLE")
    channel = f"{PUBSUB_PREFIX}{channel_of(PAVILION)}"
    with (
        _subscribe(gateway, [attraction]) as through,
        _subscribe(f"{graph_url}/graphql", [attraction]) as direct,
        redis.Redis.from_url(redis_url) as client,
    ):
        _settle(through, direct)
        # The gateway subscribes to the tourism subgraph once its client has: wait until both
        # the subgraph and the monolith listen to the attraction's channel, and until the
        # watcher has recorded the level it will compare the next reading with (its first
        # poll after a quiet spell reports no change).
        wait_until(lambda: True if client.pubsub_numsub(channel)[0][1] >= 2 else None)
        wait_until_watched(redis_url, PAVILION)
        crowds.pin(PAVILION, "CROWDED")
        pushed, expected = _until_crowded(through), _until_crowded(direct)
    assert pushed == expected
    assert pushed["attraction"]["id"] == attraction


def _settle(*sockets: ClientConnection) -> None:
    """Both subscriptions are live: a ping answered after the subscribe message."""
    for ws in sockets:
        ws.send(json.dumps({"type": "ping"}))
        while json.loads(ws.recv(timeout=20))["type"] != "pong":
            pass


def _until_crowded(ws: ClientConnection) -> dict[str, Any]:
    while (change := _next_level(ws))["level"] != "CROWDED":
        pass
    return change
