"""Redis stopped mid-run and started again on the same port, under a graph that keeps running.

Redis only holds what can be rebuilt (caches, counters, codes), so while it is away public
reads go on without the cache, while whatever guards a secret refuses: no code is sent or
checked, since no limit can count the tries. When Redis is back, everything works again
without restarting the graph, and nothing Redis missed or forgot lets a signed-out session
back in. The redis-server here keeps an append-only file, so a test chooses whether it comes
back empty (restarted without persistence) or with its data (as after a network blip).
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from mychangsha import embedded
from mychangsha.transport import CACHE_HEADER
from tests.api.hospital_journey import wait_until
from tests.api.identity_client import ME, Device, random_phone
from tests.conftest import SimulatorAdmin
from tests.faults.harness import (
    answer,
    assert_not_slower,
    error_codes,
    latencies,
    post,
)
from tests.support.graphs import extra_graph
from tests.support.servers import free_port

SAMPLES = 30
CROWDS = "{ attractions(first: 5) { edges { node { id name crowdLevel } } } }"
HOSPITALS = "{ hospitals(first: 5) { edges { node { id name } } } }"
PUBLIC_READS = (CROWDS, HOSPITALS)


def start_redis(port: int, data_dir: Path) -> embedded.ChildProcess:
    """The bundled redis-server with an append-only file in `data_dir`, answering pings."""
    argv = [str(embedded.redis_server_binary()), "--port", str(port), "--bind", "127.0.0.1"]
    argv += ["--dir", str(data_dir), "--appendonly", "yes", "--save", "", "--loglevel", "warning"]
    child = embedded.ChildProcess("redis", argv, port)
    child.start()

    def answers() -> bool | None:
        with contextlib.suppress(redis.RedisError), redis.Redis(port=port) as client:
            return bool(client.ping()) or None
        return None

    wait_until(answers, timeout=15)
    return child


@dataclass
class RedisOutage:
    """A graph replica and the redis-server it uses, which the tests stop and start."""

    graph_url: str
    sms_url: str
    redis: embedded.ChildProcess
    data_dir: Path

    @contextlib.contextmanager
    def redis_down(self, *, forgets: bool = True) -> Iterator[None]:
        """Stop redis-server for the block, then start it again on the same port.

        `forgets`: it comes back empty, as a Redis without persistence does after a restart;
        otherwise with what it held, as after a network blip.
        """
        self.redis.stop()
        try:
            yield
        finally:
            if forgets:
                shutil.rmtree(self.data_dir)
                self.data_dir.mkdir()
            self.redis = start_redis(self.redis.port, self.data_dir)

    def device(self) -> Device:
        """A phone of its own (its own address) talking to this replica."""
        return Device(self.graph_url, self.sms_url)

    def ready(self) -> int:
        """The status /readyz answers."""
        return httpx.get(f"{self.graph_url}/readyz", timeout=10).status_code


@pytest.fixture(scope="module")
def outage(
    graph_url: str,  # its start fills the catalogue mirrors this replica reads
    graph_env: dict[str, str],
    sms_simulator: SimulatorAdmin,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[RedisOutage]:
    """A replica on a redis-server of its own."""
    data_dir = tmp_path_factory.mktemp("redis")
    state = RedisOutage("", sms_simulator.base_url, start_redis(free_port(), data_dir), data_dir)
    try:
        with extra_graph(graph_env, REDIS_URL=embedded.redis_uri(state.redis.port)) as url:
            state.graph_url = url
            yield state
    finally:
        state.redis.stop()


@pytest.fixture
def devices(outage: RedisOutage) -> Iterator[list[Device]]:
    """Phones made by a test, closed after it."""
    made: list[Device] = []
    yield made
    for device in made:
        device.close()


def _read_publicly(client: httpx.Client) -> None:
    for query in PUBLIC_READS:
        body = answer(post(client, query))
        assert "errors" not in body, body
        nodes = [edge["node"] for edge in next(iter(body["data"].values()))["edges"]]
        assert len(nodes) == 5 and all(node["name"] for node in nodes), body


def _cache_says(client: httpx.Client, query: str) -> list[str | None]:
    """The response cache's verdict on the same public GET asked twice in a row."""
    verdicts = []
    for _ in range(2):
        response = client.get("/graphql", params={"query": query})
        assert "errors" not in answer(response), response.text
        verdicts.append(response.headers.get(CACHE_HEADER))
    return verdicts


def _new_public_query() -> str:
    """A public query no cache has seen: its alias is new."""
    return f"{{ h{uuid.uuid4().hex}: hospitals(first: 2) {{ edges {{ node {{ id }} }} }} }}"


def test_public_reads_keep_serving_without_redis_and_readiness_says_so(
    outage: RedisOutage,
) -> None:
    with httpx.Client(base_url=outage.graph_url, timeout=20) as client:
        before = latencies(lambda: _read_publicly(client), SAMPLES)
        with outage.redis_down():
            assert outage.ready() == 503
            during = latencies(lambda: _read_publicly(client), SAMPLES)
            assert "hit" not in _cache_says(client, _new_public_query())  # answered, not kept
        wait_until(lambda: True if outage.ready() == 200 else None, timeout=10)
        _read_publicly(client)
        assert _cache_says(client, _new_public_query()) == ["miss", "hit"]  # kept again
    assert_not_slower(during, before)


def _outbox(outage: RedisOutage, phone: str) -> list[dict[str, Any]]:
    reply = httpx.get(f"{outage.sms_url}/outbox", params={"phone": phone}, timeout=10)
    items: list[dict[str, Any]] = reply.raise_for_status().json()["items"]
    return items


def test_sign_in_codes_fail_closed_without_redis_and_work_again_after(
    outage: RedisOutage, devices: list[Device]
) -> None:
    device = outage.device()
    devices.append(device)
    waiting, newcomer = random_phone(), random_phone()
    assert device.request_code(waiting)["__typename"] == "OtpSent"
    code = device.latest_code(waiting)

    with outage.redis_down():
        refused = device.request_code(newcomer)
        # Refused, with a time to try again, not an error: and nothing was sent. The message
        # says the service is away rather than blaming the citizen for too many attempts.
        assert refused["__typename"] == "RateLimited" and refused["retryAfterSeconds"] >= 1
        assert "暂时不可用" in refused["message"], refused
        assert _outbox(outage, newcomer) == []
        # Even the right code is refused: no try can be counted, so none is allowed.
        tried = device.login(waiting, code)
        assert tried["__typename"] == "RateLimited" and tried["retryAfterSeconds"] >= 1
        assert device.access_token is None

    sent = device.request_code(newcomer)
    assert sent["__typename"] == "OtpSent", sent
    session = device.login(newcomer, device.latest_code(newcomer))
    assert session["__typename"] == "AuthSession", session
    # The limits count again: a second code within the minute waits for the minute.
    again = device.request_code(newcomer)
    assert again["__typename"] == "RateLimited" and again["retryAfterSeconds"] > 1, again
    assert len(_outbox(outage, newcomer)) == 1


def _signed_in(outage: RedisOutage, devices: list[Device]) -> Device:
    device = outage.device()
    devices.append(device)
    device.sign_in()
    return device


def _me(device: Device) -> list[str]:
    """The error codes of `me` (none while the session is good)."""
    body = device.post(ME)
    assert "errors" in body or body["data"]["me"]["id"], body
    return error_codes(body)


@pytest.mark.parametrize("forgets", [True, False], ids=["comes-back-empty", "comes-back-as-it-was"])
def test_signed_out_sessions_stay_signed_out_when_redis_returns(
    outage: RedisOutage, devices: list[Device], forgets: bool
) -> None:
    left_before, left_during, staying = (_signed_in(outage, devices) for _ in range(3))
    assert left_before.post("mutation { authLogout }")["data"] == {"authLogout": True}

    with outage.redis_down(forgets=forgets):
        assert left_during.post("mutation { authLogout }")["data"] == {"authLogout": True}
        assert _me(left_before) == _me(left_during) == ["UNAUTHENTICATED"]
        assert _me(staying) == []

    # Redis lost the first revocation or never heard of the second: neither means "none".
    assert _me(left_before) == _me(left_during) == ["UNAUTHENTICATED"]
    assert _me(staying) == []
