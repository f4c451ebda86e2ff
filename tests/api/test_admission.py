"""A worker runs at most MAX_CONCURRENT_OPERATIONS operations at once; the rest wait in order.

Proven on a graph of its own that admits one operation at a time, while the tourism platform
takes LATENCY_MS per answer: three requests sent together are answered one after another,
and /metrics counts the two waiting meanwhile.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import httpx
import pytest

from tests.api.hospital_journey import encode_id
from tests.api.ticket_journey import open_days
from tests.conftest import SimulatorAdmin
from tests.observability.test_metrics import sample
from tests.support.graphs import extra_graph, own_redis

LATENCY_MS = 400
SLOTS = """query($id: ID!, $date: Date!) { attraction(id: $id) {
  ticketSlots(date: $date) { id remaining } } }"""
MUSEUM = encode_id("Attraction", "att-hunan-museum")


@pytest.fixture
def one_at_a_time(graph_url: str, graph_env: dict[str, str]) -> Iterator[str]:
    """A graph admitting one operation at a time, on a Redis of its own (nothing cached)."""
    with (
        own_redis() as redis_url,
        extra_graph(graph_env, MAX_CONCURRENT_OPERATIONS="1", REDIS_URL=redis_url) as url,
    ):
        yield url


@pytest.fixture
def slow_tourism(tourism_simulator: SimulatorAdmin) -> Iterator[None]:
    tourism_simulator.set_faults(latencyMs=LATENCY_MS, pathPrefix="/v1/attractions/")
    try:
        yield
    finally:
        tourism_simulator.set_faults()


def _slots(url: str, day: date) -> float:
    """Ask for a day's ticket slots; how long the answer took."""
    started = time.monotonic()
    request = {"query": SLOTS, "variables": {"id": MUSEUM, "date": day.isoformat()}}
    body = httpx.post(f"{url}/graphql", json=request, timeout=20).json()
    assert "errors" not in body and body["data"]["attraction"]["ticketSlots"], body
    return time.monotonic() - started


@pytest.fixture
def museum_days(graph_url: str) -> list[date]:
    """Three open days, each its own upstream call, found on the session's graph before the
    platform is slowed (this graph's own Redis has none of them cached)."""
    return open_days(graph_url, "att-hunan-museum")[:3]


def test_operations_beyond_the_limit_wait_their_turn(
    museum_days: list[date], one_at_a_time: str, slow_tourism: None
) -> None:
    waiting_seen = 0.0
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = [pool.submit(_slots, one_at_a_time, day) for day in museum_days]
        while not all(a.done() for a in answers):
            waiting_seen = max(waiting_seen, sample(one_at_a_time, "mychangsha_operations_waiting"))
            time.sleep(0.05)
        durations = sorted(a.result() for a in answers)
    # One at a time: the last waited for the two before it (each at least LATENCY_MS).
    assert durations[-1] >= 3 * LATENCY_MS / 1000
    assert waiting_seen == 2
    assert sample(one_at_a_time, "mychangsha_operations_waiting") == 0
