"""SIGTERM to a graph process, as an orchestrator stops a replica: nothing in flight is lost.

uvicorn (`mychangsha serve`, timeout_graceful_shutdown=20) stops listening at once, lets the
requests it is answering finish, and closes websockets with 1012 "service restart", which
tells a graphql-transport-ws client to reconnect (to another replica) rather than give up.
Each test signals a graph process of its own, whose output goes to a log the test reads.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from mychangsha import embedded
from tests.api.hospital_journey import encode_id, wait_until
from tests.api.ticket_journey import open_days
from tests.conftest import SimulatorAdmin
from tests.faults.harness import answer, post
from tests.support.graphs import own_redis
from tests.support.servers import free_port, wait_until_listening

SLOTS = """query($id: ID!, $date: Date!) { attraction(id: $id) { name
  ticketSlots(date: $date) { id start quota remaining } } }"""
MUSEUM = encode_id("Attraction", "att-hunan-museum")
SLOTS_ROUTE = "GET /v1/attractions/{attraction_id}/slots"
IN_FLIGHT = 3
UPSTREAM_LATENCY_MS = 1500  # each request is still being answered when the signal comes
CROWD_CHANGES = """subscription($ids: [ID!]!) {
  crowdLevelChanged(attractionIds: $ids) { level } }"""
# What uvicorn logs when requests outlive the grace period and are cancelled.
CUT_SHORT = "timeout graceful shutdown exceeded"


@dataclass
class GraphProcess:
    """A graph served by `mychangsha serve` in a process of its own, logging to a file."""

    url: str
    child: embedded.ChildProcess

    def terminate(self) -> None:
        """SIGTERM, as Kubernetes or systemd send it."""
        assert self.child.process is not None
        self.child.process.send_signal(signal.SIGTERM)

    def exited(self, timeout: float) -> int:
        """The exit status once the process has ended."""
        assert self.child.process is not None
        return self.child.process.wait(timeout=timeout)

    def log(self) -> str:
        """Everything the process wrote."""
        assert self.child.log_path is not None
        return self.child.log_path.read_text(errors="replace")

    def request_failures(self) -> list[str]:
        """Lines of the server itself (uvicorn) at error level: a request that failed or was
        cut off (the graph's own warnings, e.g. a background job's, are not these)."""
        failures = []
        for line in self.log().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:  # not one of the graph's JSON lines: a crash's output, maybe
                if "Traceback" in line:
                    failures.append(line)
                continue
            if entry.get("logger", "").startswith("uvicorn") and entry.get("level") == "error":
                failures.append(line)
        return failures

    def accepts_connections(self) -> bool:
        """Whether a new TCP connection to the graph's port is accepted."""
        try:
            with socket.create_connection(("127.0.0.1", self.child.port), timeout=1):
                return True
        except OSError:
            return False


@contextlib.contextmanager
def graph_process(
    graph_env: dict[str, str], log_path: Path, **settings: str
) -> Iterator[GraphProcess]:
    """Serve a graph replica with some settings changed; stopped however the test ends."""
    port = free_port()
    env = {
        **graph_env,
        "PORT": str(port),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "CATALOGUE_SYNC_ON_START": "false",
        **settings,
    }
    argv = [sys.executable, "-m", "mychangsha", "serve", "--port", str(port), "--workers", "1"]
    child = embedded.ChildProcess("graph", argv, port, log_path=log_path, env=env)
    child.start()
    try:
        wait_until_listening(port)
        url = f"http://127.0.0.1:{port}"
        httpx.get(f"{url}/healthz", timeout=5).raise_for_status()
        yield GraphProcess(url, child)
    finally:
        child.stop()


@pytest.fixture
def replica(
    graph_url: str,  # its start fills the catalogue mirrors this replica reads
    graph_env: dict[str, str],
    tmp_path: Path,
) -> Iterator[GraphProcess]:
    """A replica to signal, on a Redis of its own (so nothing it reads is cached yet)."""
    with (
        own_redis() as redis_url,
        graph_process(
            graph_env,
            tmp_path / "graph.log",
            REDIS_URL=redis_url,
            UPSTREAM_READ_TIMEOUT="5",  # longer than the slow upstream takes
            # Its log must speak of requests only: no background job shares the database's
            # leftovers of other tests with it.
            GOVERNMENT_POLL_SECONDS="3600",
            REMINDER_POLL_SECONDS="3600",
        ) as process,
    ):
        yield process


@pytest.fixture
def slow_tourism(tourism_simulator: SimulatorAdmin) -> Iterator[SimulatorAdmin]:
    """The tourism platform answering the catalogue's paths 1.5 s late."""
    tourism_simulator.set_faults(latencyMs=UPSTREAM_LATENCY_MS, pathPrefix="/v1/attractions/")
    try:
        yield tourism_simulator
    finally:
        tourism_simulator.set_faults()


def _slots(client: httpx.Client, day: date) -> httpx.Response:
    return post(client, SLOTS, {"id": MUSEUM, "date": day.isoformat()})


@pytest.fixture
def museum_days(graph_url: str) -> list[date]:
    """Days the museum has slots, found on the session's graph before the platform is slowed
    (the replica's own Redis has none of them cached)."""
    return open_days(graph_url, "att-hunan-museum")[:IN_FLIGHT]


def test_sigterm_lets_requests_in_flight_finish_and_refuses_new_connections(
    museum_days: list[date], replica: GraphProcess, slow_tourism: SimulatorAdmin
) -> None:
    days = museum_days
    assert len(days) == IN_FLIGHT, days
    arrived = slow_tourism.count(SLOTS_ROUTE)
    with (
        httpx.Client(base_url=replica.url, timeout=30) as client,
        ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool,
    ):
        # One request per day: each is its own upstream call, so the simulator can count them.
        answers: list[Future[httpx.Response]] = [pool.submit(_slots, client, day) for day in days]
        wait_until(
            lambda: True if slow_tourism.count(SLOTS_ROUTE) == arrived + IN_FLIGHT else None,
            timeout=10,
        )
        replica.terminate()
        wait_until(lambda: True if not replica.accepts_connections() else None, timeout=5)
        assert not any(a.done() for a in answers), "refusal came only after the drain"
        for response in answers:
            body = answer(response.result())
            assert "errors" not in body, body
            slots = body["data"]["attraction"]["ticketSlots"]
            assert slots and all(slot["id"] and slot["quota"] for slot in slots), body
    assert replica.exited(timeout=15) in (0, -signal.SIGTERM)
    assert CUT_SHORT not in replica.log()
    assert not replica.request_failures(), replica.request_failures()


def _subscribed(url: str) -> ClientConnection:
    """A socket speaking graphql-transport-ws with a live crowdLevelChanged subscription."""
    ws = connect(
        url.replace("http://", "ws://") + "/graphql",
        subprotocols=[Subprotocol("graphql-transport-ws")],
        open_timeout=10,
        legacy=True,  # closed by the test rather than by a with block
    )
    ws.send(json.dumps({"type": "connection_init"}))
    assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
    variables = {"ids": [encode_id("Attraction", "att-orange-isle")]}
    payload = {"query": CROWD_CHANGES, "variables": variables}
    ws.send(json.dumps({"id": "crowd", "type": "subscribe", "payload": payload}))
    # Messages are handled in order: the pong comes once the subscription has started.
    ws.send(json.dumps({"type": "ping"}))
    while (message := json.loads(ws.recv(timeout=10)))["type"] != "pong":
        assert message["type"] == "next", message  # a crowd that happened to change
    return ws


def _closed(ws: ClientConnection) -> ConnectionClosed:
    """How the server ended the socket, whatever crowd changes came first."""
    while True:
        try:
            message = json.loads(ws.recv(timeout=15))
        except ConnectionClosed as closed:
            return closed
        assert message["type"] == "next", message


def test_sigterm_closes_subscriptions_with_service_restart(replica: GraphProcess) -> None:
    ws = _subscribed(replica.url)
    try:
        replica.terminate()
        closed = _closed(ws)
    finally:
        ws.close()
    frame = closed.rcvd
    assert frame is not None, "closed without a close frame"
    assert frame.code == 1012, frame  # service restart: reconnect, to another replica
    assert replica.exited(timeout=15) in (0, -signal.SIGTERM)
    assert CUT_SHORT not in replica.log()
    assert not replica.request_failures(), replica.request_failures()
