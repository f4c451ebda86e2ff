"""Prometheus metrics of the upstream layer: what operators need to see an upstream degrade.

Metric objects live on the default registry, as prometheus-client intends; `/metrics`
exposes them. They are the only module-level state of the integrations layer.
"""

from __future__ import annotations

from typing import Final, Literal

from prometheus_client import Counter, Gauge, Histogram

from mychangsha.integrations.breaker import BreakerState

Outcome = Literal["ok", "client_error", "server_error", "timeout", "connect_error", "breaker_open"]
CacheResult = Literal["hit", "miss", "stale", "redis_error"]

REQUESTS: Final = Counter(
    "mychangsha_upstream_requests_total",
    "Upstream request attempts by outcome (breaker_open: refused without a request).",
    ["upstream", "method", "outcome"],
)
REQUEST_SECONDS: Final = Histogram(
    "mychangsha_upstream_request_seconds",
    "Duration of one upstream request attempt, whatever its outcome.",
    ["upstream"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CACHE: Final = Counter(
    "mychangsha_upstream_cache_total",
    "Read-through cache results of cached upstream reads; redis_error counts failed Redis calls.",
    ["upstream", "result"],
)
BREAKER_STATE: Final = Gauge(
    "mychangsha_upstream_breaker_state",
    "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open.",
    ["upstream"],
)

_STATE_VALUES: Final[dict[BreakerState, int]] = {"closed": 0, "half_open": 1, "open": 2}


def count_request(upstream: str, method: str, outcome: Outcome) -> None:
    """One attempt (or one refusal by the breaker) of a request to an upstream."""
    REQUESTS.labels(upstream=upstream, method=method, outcome=outcome).inc()


def observe_seconds(upstream: str, seconds: float) -> None:
    """How long one attempt took."""
    REQUEST_SECONDS.labels(upstream=upstream).observe(seconds)


def count_cache(upstream: str, result: CacheResult) -> None:
    """One cache result of a cached read, or one failed Redis call."""
    CACHE.labels(upstream=upstream, result=result).inc()


def set_breaker_state(upstream: str, state: BreakerState) -> None:
    """Publish the breaker's state so dashboards can show which upstream is cut off."""
    BREAKER_STATE.labels(upstream=upstream).set(_STATE_VALUES[state])
