"""What the fault tests share: timing an operation, reading breakers, waiting, spotting leaks.

Every fault test compares the graph with itself: latencies during a fault against latencies
measured moments before on the same process, never against a fixed number of milliseconds,
so a busy test machine slows both sides alike.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

# A fault may cost an unrelated operation some CPU (the faulty one is still being answered),
# never a wait on the faulty upstream: the faults below all cost at least 300 ms when they leak.
LATENCY_RATIO = 3.0
LATENCY_SLACK_SECONDS = 0.15

# Text that only a leaked exception would put into an answer.
INTERNALS = (
    "Traceback",
    'File "',
    "site-packages",
    "mychangsha/",
    "pymongo",
    "ServerSelectionTimeout",
    "redis.exceptions",
    "ConnectionError",
)


def post(
    client: httpx.Client,
    query: str,
    variables: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST one GraphQL document; the raw response, so callers can judge the HTTP exchange."""
    payload: dict[str, Any] = {"query": query, "variables": dict(variables or {})}
    return client.post("/graphql", json=payload, headers=dict(headers or {}))


def answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a GraphQL answer that was delivered: HTTP 200, nothing internal in it."""
    assert response.status_code == 200, (response.status_code, response.text[:500])
    assert_nothing_internal(response.text)
    body: dict[str, Any] = response.json()
    return body


def assert_nothing_internal(text: str) -> None:
    """No stack trace, file path or driver exception name reaches a client."""
    leaked = [marker for marker in INTERNALS if marker in text]
    assert not leaked, (leaked, text[:500])


def error_codes(body: Mapping[str, Any]) -> list[str]:
    """The `extensions.code` of every error of an answer, in order."""
    return [str(e.get("extensions", {}).get("code")) for e in body.get("errors") or []]


# --- latency ----------------------------------------------------------------------------------


def p99(samples: Sequence[float]) -> float:
    """The nearest-rank 99th percentile: the value 99 % of the samples do not exceed."""
    assert samples, "no samples"
    ordered = sorted(samples)
    return ordered[math.ceil(0.99 * len(ordered)) - 1]


def latencies(run: Callable[[], object], count: int) -> list[float]:
    """Seconds each of `count` sequential runs took."""
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return samples


def assert_not_slower(during: Sequence[float], before: Sequence[float]) -> None:
    """The p99 during a fault stays within a generous multiple of the p99 before it."""
    limit = LATENCY_RATIO * p99(before) + LATENCY_SLACK_SECONDS
    assert p99(during) <= limit, (
        f"p99 {p99(during) * 1000:.1f} ms during the fault, {p99(before) * 1000:.1f} ms before "
        f"(limit {limit * 1000:.1f} ms)"
    )


@contextlib.contextmanager
def kept_busy(run: Callable[[], object], pause: float) -> Iterator[None]:
    """Run `run` over and over, `pause` seconds apart, in a background thread during the block.

    Clients keep using what is broken while others use the rest; the pause keeps that traffic
    to a pace a single replica serves, so what is measured meanwhile is the fault's cost, not
    the test machine's CPU. An error in the background fails the test when the block ends.
    """
    stop = threading.Event()
    failures: list[BaseException] = []

    def loop() -> None:
        while not stop.wait(pause):
            try:
                run()
            except BaseException as exc:  # reported below, in the test's own thread
                failures.append(exc)
                return

    thread = threading.Thread(target=loop, name="kept-busy", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive(), "the background load never finished"
    if failures:
        raise failures[0]


# --- metrics ----------------------------------------------------------------------------------


def _samples(graph_url: str, metric: str) -> list[tuple[dict[str, str], float]]:
    text = httpx.get(f"{graph_url}/metrics", timeout=10).raise_for_status().text
    return [
        (dict(sample.labels), float(sample.value))
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == metric
    ]


def breaker_state(graph_url: str, upstream: str) -> float | None:
    """`mychangsha_upstream_breaker_state` of one upstream: 0 closed, 1 half-open, 2 open."""
    for labels, value in _samples(graph_url, "mychangsha_upstream_breaker_state"):
        if labels.get("upstream") == upstream:
            return value
    return None


def refused_by_breaker(graph_url: str, upstream: str) -> float:
    """Calls to an upstream the graph refused itself, its breaker being open."""
    return sum(
        value
        for labels, value in _samples(graph_url, "mychangsha_upstream_requests_total")
        if labels.get("upstream") == upstream and labels.get("outcome") == "breaker_open"
    )
