"""crowdLevelChanged over real websockets: the simulator's crowd moves, subscribers hear it.

Each test pins an attraction's visitors on the tourism simulator before subscribing, waits
for the watcher to have seen that level (a first poll may report the move to it from an
older reading), and only then moves the pin; pins are removed however the test ends.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import redis
from websockets.sync.client import ClientConnection, connect

from mychangsha.simulators.tourism.crowd import level_for
from mychangsha.sync.crowd_watch import LEASE_KEY
from tests.conftest import SimulatorAdmin
from tests.support.servers import free_port, serve_process

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

SUBSCRIPTION = """subscription($ids: [ID!]!) { crowdLevelChanged(attractionIds: $ids) {
  level previousLevel visitors capacity updatedAt attraction { id name } } }"""
# The watcher polls every 0.5 s in tests; a change must reach the socket within this.
DELIVERY_SECONDS = 2.0
# Long enough for the socket's Redis subscription and two polls of the watcher.
SETTLE_SECONDS = 1.5
SHARE = {"COMFORTABLE": 0.2, "BUSY": 0.6, "CROWDED": 0.9}


def global_id(attraction_id: str) -> str:
    return base64.b64encode(f"Attraction:{attraction_id}".encode()).decode()


class Crowds:
    """Pins visitor counts on the simulator and remembers to unpin them."""

    def __init__(self, simulator: SimulatorAdmin) -> None:
        self.simulator = simulator
        self.pinned: set[str] = set()

    def capacity(self, attraction_id: str) -> int:
        """From the platform's catalogue, so the levels below are the platform's own."""
        body = self.simulator.http.get(f"/v1/attractions/{attraction_id}").raise_for_status()
        return int(body.json()["capacity"])

    def pin(self, attraction_id: str, level: str, *, share: float | None = None) -> int:
        """Pin the visitors to a count in the level's band; the count pinned."""
        capacity = self.capacity(attraction_id)
        visitors = int(capacity * (SHARE[level] if share is None else share))
        assert level_for(visitors, capacity) == level.lower()
        self.simulator.http.put(
            f"/__admin/crowd/{attraction_id}", json={"visitors": visitors}
        ).raise_for_status()
        self.pinned.add(attraction_id)
        return visitors

    def unpin_all(self) -> None:
        for attraction_id in self.pinned:
            self.simulator.http.delete(f"/__admin/crowd/{attraction_id}").raise_for_status()
        self.pinned.clear()


@pytest.fixture
def crowds(tourism_simulator: SimulatorAdmin) -> Iterator[Crowds]:
    pins = Crowds(tourism_simulator)
    try:
        yield pins
    finally:
        pins.unpin_all()


class Subscriber:
    """One socket with one crowdLevelChanged subscription."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def next_message(self, timeout: float) -> dict[str, Any] | None:
        """The next protocol message, None when none came in time."""
        try:
            raw = self.ws.recv(timeout=timeout)
        except TimeoutError:
            return None
        message: dict[str, Any] = json.loads(raw)
        return message

    def next_change(self, timeout: float = DELIVERY_SECONDS) -> dict[str, Any] | None:
        """The next change pushed, None when none came in time."""
        message = self.next_message(timeout)
        if message is None:
            return None
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        change: dict[str, Any] = message["payload"]["data"]["crowdLevelChanged"]
        return change

    def settle(self, levels: dict[str, str]) -> None:
        """Let the watcher see the pinned levels; a catch-up it reports must be to them."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while (left := deadline - time.monotonic()) > 0:
            change = self.next_change(left)
            if change is None:
                break
            assert levels[_attraction_id(change)] == change["level"], change

    def quiet(self, seconds: float) -> None:
        """Nothing arrives for this long."""
        assert self.next_message(seconds) is None


def _attraction_id(change: dict[str, Any]) -> str:
    return base64.b64decode(change["attraction"]["id"]).decode().partition(":")[2]


@contextlib.contextmanager
def subscribed(
    graph_url: str, ids: Sequence[str], *, raw_ids: Sequence[str] | None = None
) -> Iterator[Subscriber]:
    """A socket without sign-in, subscribed to the attractions' crowd level changes."""
    url = graph_url.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=["graphql-transport-ws"], open_timeout=10) as ws:  # type: ignore[list-item]
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        variables = {"ids": list(raw_ids) if raw_ids is not None else list(map(global_id, ids))}
        payload = {"query": SUBSCRIPTION, "variables": variables}
        ws.send(json.dumps({"id": "crowd", "type": "subscribe", "payload": payload}))
        yield Subscriber(ws)


def test_a_level_change_arrives_within_two_seconds(graph_url: str, crowds: Crowds) -> None:
    attraction = "att-yuelu-academy"
    crowds.pin(attraction, "COMFORTABLE")
    with subscribed(graph_url, [attraction]) as subscriber:
        subscriber.settle({attraction: "COMFORTABLE"})

        visitors = crowds.pin(attraction, "BUSY")
        started = time.monotonic()
        change = subscriber.next_change()
        assert change is not None, "no message within 2 s"
        assert time.monotonic() - started < DELIVERY_SECONDS
        assert change["level"] == "BUSY" and change["previousLevel"] == "COMFORTABLE"
        assert change["visitors"] == visitors
        assert change["capacity"] == crowds.capacity(attraction)
        assert change["updatedAt"]
        assert change["attraction"] == {"id": global_id(attraction), "name": "岳麓书院"}

        crowds.pin(attraction, "CROWDED")
        change = subscriber.next_change()
        assert change is not None
        assert (change["level"], change["previousLevel"]) == ("CROWDED", "BUSY")


def test_no_message_while_the_level_stays(graph_url: str, crowds: Crowds) -> None:
    attraction = "att-aiwan-pavilion"
    crowds.pin(attraction, "BUSY", share=0.55)
    with subscribed(graph_url, [attraction]) as subscriber:
        subscriber.settle({attraction: "BUSY"})
        crowds.pin(attraction, "BUSY", share=0.75)  # more visitors, the same level
        subscriber.quiet(2.5)


def test_a_subscriber_receives_only_its_attractions(graph_url: str, crowds: Crowds) -> None:
    mine, other = "att-tianxin-pavilion", "att-hunan-museum"
    crowds.pin(mine, "COMFORTABLE")
    crowds.pin(other, "COMFORTABLE")
    levels = {mine: "COMFORTABLE", other: "COMFORTABLE"}
    with (
        subscribed(graph_url, [mine]) as only_mine,
        subscribed(graph_url, [mine, other]) as both,
    ):
        only_mine.settle(levels)
        both.settle(levels)
        crowds.pin(other, "CROWDED")
        crowds.pin(mine, "BUSY")

        change = only_mine.next_change()
        assert change is not None and _attraction_id(change) == mine
        heard = {}
        for _ in range(2):
            change = both.next_change()
            assert change is not None
            heard[_attraction_id(change)] = change["level"]
        assert heard == {mine: "BUSY", other: "CROWDED"}
        only_mine.quiet(1.0)


@pytest.fixture(scope="module")
def second_graph_url(graph_env: dict[str, str], graph_url: str) -> Iterator[str]:
    """Another replica of the graph on the same MongoDB and Redis, its own watcher running."""
    port = free_port()
    env = {
        **graph_env,
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CATALOGUE_SYNC_ON_START": "false",  # the first replica has mirrored the catalogue
    }
    argv = [sys.executable, "-m", "mychangsha", "serve", "--port", str(port), "--workers", "1"]
    with serve_process(argv, port, health_path="/healthz", env=env):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def lease_never_held(redis_url: str) -> Iterator[None]:
    """Delete the watcher's lease as fast as it is taken, so every replica polls every period.

    As when a lease runs out mid-poll: only the atomic compare then stands between two
    replicas' polls and a change told twice.
    """
    client = redis.Redis.from_url(redis_url)
    stop = threading.Event()

    def steal() -> None:
        while not stop.wait(0.02):
            client.delete(LEASE_KEY)

    thread = threading.Thread(target=steal, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        client.close()


def test_two_replicas_tell_each_change_once(
    graph_url: str, second_graph_url: str, redis_url: str, crowds: Crowds
) -> None:
    attraction = "att-taiping-street"
    crowds.pin(attraction, "COMFORTABLE")
    with (
        lease_never_held(redis_url),
        subscribed(graph_url, [attraction]) as on_first,
        subscribed(second_graph_url, [attraction]) as on_second,
    ):
        on_first.settle({attraction: "COMFORTABLE"})
        on_second.settle({attraction: "COMFORTABLE"})
        for level, previous in (("BUSY", "COMFORTABLE"), ("CROWDED", "BUSY")):
            crowds.pin(attraction, level)
            for subscriber in (on_first, on_second):
                change = subscriber.next_change()
                assert change is not None
                assert (change["level"], change["previousLevel"]) == (level, previous)
            # Both replicas poll every period: a second copy would come within one.
            on_first.quiet(1.0)
            on_second.quiet(0.1)


@pytest.mark.parametrize(
    ("ids", "why"),
    [
        ([], "none"),
        ([global_id(f"att-{n}") for n in range(51)], "more than 50"),
        ([base64.b64encode(b"Hospital:xiangya").decode()], "another type"),
        ([global_id("att-yuelushan"), global_id("att-no-such-place")], "unknown"),
        (["not-a-global-id"], "malformed"),
    ],
)
def test_bad_ids_are_typed_errors(graph_url: str, ids: list[str], why: str) -> None:
    with subscribed(graph_url, [], raw_ids=ids) as subscriber:
        message = subscriber.next_message(10)
    assert message is not None, why
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], (why, message)
