"""The shared upstream client against a real HTTP server and a real redis-server."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import uuid4

import pytest
from prometheus_client import REGISTRY
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette

from mychangsha.cache import redis as redis_cache
from mychangsha.embedded import ChildProcess
from mychangsha.integrations.errors import (
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from mychangsha.integrations.http import UpstreamClient, UpstreamConfig
from tests.integrations.upstream_app import create_app, reset
from tests.support.servers import serve_in_thread


@dataclass
class Upstream:
    """The test upstream: its app (for counters and faults) and its base URL."""

    app: Starlette
    url: str

    def count(self, path: str) -> int:
        """Requests that reached a path."""
        return int(self.app.state.counts[path])

    def fail_with(self, status: int | None) -> None:
        """Make every /data request answer with this status (None: answer normally)."""
        self.app.state.fail_with = status

    def delay(self, ms: int) -> None:
        """Delay every /data answer."""
        self.app.state.delay_ms = ms


class FakeClock:
    """A clock tests move by hand, for breaker cool-downs and cache freshness."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MakeClient(Protocol):
    def __call__(
        self,
        *,
        clock: Callable[[], float] = ...,
        wall_clock: Callable[[], float] = ...,
        **config: Any,
    ) -> UpstreamClient: ...


def sample(name: str, **labels: str) -> float:
    """A metric's current value, 0 when the series does not exist yet."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


def attempts(upstream: str, outcome: str, method: str = "GET") -> float:
    """mychangsha_upstream_requests_total for one upstream, method and outcome."""
    labels = {"upstream": upstream, "method": method, "outcome": outcome}
    return sample("mychangsha_upstream_requests_total", **labels)


def cache(upstream: str, result: str) -> float:
    """mychangsha_upstream_cache_total for one upstream and result."""
    return sample("mychangsha_upstream_cache_total", upstream=upstream, result=result)


def breaker_state(client: UpstreamClient) -> str:
    """The state as a plain string (so mypy does not narrow it across awaits)."""
    return str(client.breaker_state)


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    app = create_app()
    with serve_in_thread(app) as url:
        yield Upstream(app, url)


@pytest.fixture(autouse=True)
def _fresh_upstream(upstream: Upstream) -> None:
    reset(upstream.app)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """The production Redis client settings against the session's redis-server, emptied."""
    client = redis_cache.connect(redis_url)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
async def make_client(upstream: Upstream, redis: Redis) -> AsyncIterator[MakeClient]:
    """Clients with a unique upstream name each (isolated metrics), closed after the test."""
    made: list[UpstreamClient] = []

    def make(
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        **config: Any,
    ) -> UpstreamClient:
        fields: dict[str, Any] = {"name": f"t-{uuid4().hex[:10]}", "backoff_base": 0.001}
        fields.update(config)
        client = UpstreamClient(
            UpstreamConfig(base_url=upstream.url, **fields),
            redis,
            clock=clock,
            wall_clock=wall_clock,
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


# --- 1, 2: cache hits and single-flight ----------------------------------------------------


async def test_cache_hit_makes_no_upstream_request(
    upstream: Upstream, make_client: MakeClient, redis: Redis
) -> None:
    client = make_client()
    first = await client.get_json("/data/a", {"lang": "zh", "page": 1}, cache_ttl=60)
    second = await client.get_json("/data/a", {"page": 1, "lang": "zh"}, cache_ttl=60)
    assert first == second == {"name": "a", "served": 1, "query": {"lang": "zh", "page": "1"}}
    assert upstream.count("/data/a") == 1
    name = client.config.name
    # Only this client's keys: the session's graph shares this Redis and writes its own.
    # The cross-process lock is gone once the value is written.
    [key] = await redis.keys(f"mychangsha:up:{name}:*")
    assert await redis.pttl(key) > 3_600_000, "kept for cache_ttl + stale_ttl"
    assert cache(name, "miss") == 1
    assert cache(name, "hit") == 1


async def test_uncached_reads_always_reach_the_upstream(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    await client.get_json("/data/u")
    assert await client.get_json("/data/u") == {"name": "u", "served": 2}
    assert upstream.count("/data/u") == 2


async def test_shared_live_reads_in_flight_together_make_one_request(
    upstream: Upstream, make_client: MakeClient
) -> None:
    upstream.delay(100)
    client = make_client()
    together = await asyncio.gather(*(client.get_json("/data/s", shared=True) for _ in range(20)))
    assert upstream.count("/data/s") == 1
    assert all(result == {"name": "s", "served": 1} for result in together)
    assert together[0] is not together[1], "each caller gets its own decoded copy"
    # Nothing is kept: the next read, once the shared one is over, asks again.
    assert await client.get_json("/data/s", shared=True) == {"name": "s", "served": 2}


async def test_concurrent_misses_share_one_request(
    upstream: Upstream, make_client: MakeClient
) -> None:
    upstream.delay(100)
    client = make_client()
    results = await asyncio.gather(*(client.get_json("/data/b", cache_ttl=60) for _ in range(20)))
    assert upstream.count("/data/b") == 1
    assert all(result == {"name": "b", "served": 1} for result in results)
    assert results[0] is not results[1], "each caller gets its own decoded copy"


async def test_concurrent_misses_across_processes_share_one_request(
    upstream: Upstream, make_client: MakeClient
) -> None:
    """Two clients stand for two worker processes: only the Redis lock can join them."""
    upstream.delay(200)
    worker_a, worker_b = make_client(name="shared"), make_client(name="shared")
    calls = [w.get_json("/data/x", cache_ttl=60) for w in (worker_a, worker_b) for _ in range(5)]
    results = await asyncio.gather(*calls)
    assert upstream.count("/data/x") == 1
    assert all(result == {"name": "x", "served": 1} for result in results)


async def test_a_shared_failure_reaches_every_waiter(
    upstream: Upstream, make_client: MakeClient
) -> None:
    upstream.fail_with(500)
    upstream.delay(50)
    client = make_client()
    results = await asyncio.gather(
        *(client.get_json("/data/f", cache_ttl=60) for _ in range(10)), return_exceptions=True
    )
    assert all(isinstance(result, UpstreamUnavailable) for result in results)
    assert upstream.count("/data/f") == 1, "500 is not retried and the flight is shared"


async def test_a_cancelled_caller_does_not_cancel_the_shared_fetch(
    upstream: Upstream, make_client: MakeClient
) -> None:
    upstream.delay(200)
    client = make_client()
    caller = asyncio.create_task(client.get_json("/data/c", cache_ttl=60))
    await asyncio.sleep(0.05)
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert await client.get_json("/data/c", cache_ttl=60) == {"name": "c", "served": 1}
    assert upstream.count("/data/c") == 1


# --- 3: stale-if-error ---------------------------------------------------------------------


async def test_stale_body_is_served_when_the_upstream_fails(
    upstream: Upstream, make_client: MakeClient
) -> None:
    wall = FakeClock(1_700_000_000.0)
    client = make_client(wall_clock=wall, breaker_threshold=100)
    assert await client.get_json("/data/s", cache_ttl=30) == {"name": "s", "served": 1}
    wall.advance(31)
    upstream.fail_with(500)
    assert await client.get_json("/data/s", cache_ttl=30) == {"name": "s", "served": 1}
    assert upstream.count("/data/s") == 2, "an expired entry is refetched before it is served"
    assert cache(client.config.name, "stale") == 1
    upstream.fail_with(None)
    assert await client.get_json("/data/s", cache_ttl=30) == {"name": "s", "served": 3}


async def test_without_a_cached_body_the_failure_raises(
    upstream: Upstream, make_client: MakeClient
) -> None:
    upstream.fail_with(500)
    client = make_client()
    with pytest.raises(UpstreamUnavailable) as caught:
        await client.get_json("/data/never", cache_ttl=30)
    assert caught.value.code == "UPSTREAM_UNAVAILABLE"
    assert caught.value.upstream == client.config.name


async def test_stale_body_is_served_while_the_breaker_is_open(
    upstream: Upstream, make_client: MakeClient
) -> None:
    wall = FakeClock(1_700_000_000.0)
    client = make_client(wall_clock=wall, breaker_threshold=1, retries=0)
    await client.get_json("/data/o", cache_ttl=30)
    wall.advance(31)
    upstream.fail_with(503)
    assert await client.get_json("/data/o", cache_ttl=30) == {"name": "o", "served": 1}
    assert breaker_state(client) == "open"
    assert await client.get_json("/data/o", cache_ttl=30) == {"name": "o", "served": 1}
    assert upstream.count("/data/o") == 2, "the open breaker spared the upstream"


# --- 4: circuit breaker --------------------------------------------------------------------


async def test_breaker_opens_fails_fast_and_one_probe_closes_it(
    upstream: Upstream, make_client: MakeClient
) -> None:
    clock = FakeClock(100.0)
    client = make_client(clock=clock, breaker_threshold=3, breaker_cooldown=10, retries=0)
    name = client.config.name
    upstream.fail_with(503)
    for _ in range(3):
        with pytest.raises(UpstreamUnavailable):
            await client.get_json("/data/k")
    assert breaker_state(client) == "open"
    assert sample("mychangsha_upstream_breaker_state", upstream=name) == 2

    with pytest.raises(UpstreamUnavailable, match="breaker open"):
        await client.get_json("/data/k")
    assert upstream.count("/data/k") == 3, "an open breaker never reaches the server"
    assert attempts(name, "breaker_open") == 1

    clock.advance(10)
    upstream.fail_with(None)
    upstream.delay(200)
    probe = asyncio.create_task(client.get_json("/data/k"))
    await asyncio.sleep(0.05)
    assert breaker_state(client) == "half_open"
    assert sample("mychangsha_upstream_breaker_state", upstream=name) == 1
    with pytest.raises(UpstreamUnavailable, match="breaker open"):
        await client.get_json("/data/k")  # refused while the single probe is in flight
    assert await probe == {"name": "k", "served": 4}
    assert upstream.count("/data/k") == 4
    assert breaker_state(client) == "closed"
    assert sample("mychangsha_upstream_breaker_state", upstream=name) == 0


async def test_a_failed_probe_reopens_the_breaker(
    upstream: Upstream, make_client: MakeClient
) -> None:
    clock = FakeClock(100.0)
    client = make_client(clock=clock, breaker_threshold=2, breaker_cooldown=5, retries=2)
    upstream.fail_with(503)
    with pytest.raises(UpstreamUnavailable):
        await client.get_json("/data/p")  # two failed attempts open it; the third is refused
    assert upstream.count("/data/p") == 2
    clock.advance(5)
    with pytest.raises(UpstreamUnavailable):
        await client.get_json("/data/p")
    assert upstream.count("/data/p") == 3, "the probe went through, and was not retried"
    assert breaker_state(client) == "open"
    clock.advance(4)
    with pytest.raises(UpstreamUnavailable, match="breaker open"):
        await client.get_json("/data/p")
    assert upstream.count("/data/p") == 3


async def test_client_errors_do_not_trip_the_breaker(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client(breaker_threshold=2)
    for _ in range(5):
        with pytest.raises(UpstreamNotFound):
            await client.get_json("/status/404")
        with pytest.raises(UpstreamRejected):
            await client.get_json("/status/400")
    assert breaker_state(client) == "closed"


# --- 5: timeouts and retries ---------------------------------------------------------------


async def test_slow_get_times_out_after_retries(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client(read_timeout=0.2, retries=2, breaker_threshold=100)
    started = time.monotonic()
    with pytest.raises(UpstreamTimeout) as caught:
        await client.get_json("/slow", {"ms": 600})
    assert time.monotonic() - started >= 0.6
    assert caught.value.code == "UPSTREAM_TIMEOUT"
    assert upstream.count("/slow") == 3
    assert attempts(client.config.name, "timeout") == 3


async def test_slow_post_is_not_retried(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client(read_timeout=0.2, retries=2, breaker_threshold=100)
    with pytest.raises(UpstreamTimeout):
        await client.send_json("POST", "/slow?ms=600", json={"order": 1})
    assert upstream.count("/slow") == 1


async def test_idempotent_post_is_retried(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client(read_timeout=0.2, retries=2, breaker_threshold=100)
    with pytest.raises(UpstreamTimeout):
        await client.send_json(
            "POST", "/slow?ms=600", json={}, headers={"Idempotency-Key": "k1"}, idempotent=True
        )
    assert upstream.count("/slow") == 3


async def test_gateway_errors_are_retried_but_500_is_not(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client(retries=2, breaker_threshold=100)
    with pytest.raises(UpstreamUnavailable):
        await client.get_json("/status/503")
    assert upstream.count("/status/503") == 3
    with pytest.raises(UpstreamUnavailable):
        await client.get_json("/status/500")
    assert upstream.count("/status/500") == 1


async def test_connection_refused_is_unavailable(redis: Redis) -> None:
    from tests.support.servers import free_port

    config = UpstreamConfig(
        name=f"t-{uuid4().hex[:10]}",
        base_url=f"http://127.0.0.1:{free_port()}",
        retries=1,
        backoff_base=0.001,
    )
    client = UpstreamClient(config, redis)
    try:
        with pytest.raises(UpstreamUnavailable):
            await client.get_json("/anything")
        assert attempts(config.name, "connect_error") == 2
    finally:
        await client.aclose()


# --- 6: 404 and other 4xx ------------------------------------------------------------------


async def test_not_found_and_rejected(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(UpstreamNotFound) as not_found:
        await client.get_json("/status/404", cache_ttl=60)
    assert not_found.value.code == "NOT_FOUND"
    with pytest.raises(UpstreamRejected) as rejected:
        await client.get_json("/status/400")
    assert rejected.value.status == 400
    assert rejected.value.body == {"status": 400, "reason": "as requested"}
    with pytest.raises(UpstreamRejected) as conflict:
        await client.send_json("PUT", "/status/412", json={"status": "busy"})
    assert conflict.value.status == 412
    assert upstream.count("/status/400") == 1, "4xx is never retried"


async def test_send_json_returns_status_and_body(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    status, body = await client.send_json(
        "post", "/data/order", json={"amountFen": 1200}, headers={"Idempotency-Key": "abc"}
    )
    assert status == 201
    assert body == {
        "name": "order",
        "served": 1,
        "received": {"amountFen": 1200},
        "idempotencyKey": "abc",
    }


async def test_invalid_json_is_unavailable_and_never_cached(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    for _ in range(2):
        with pytest.raises(UpstreamUnavailable, match="invalid JSON"):
            await client.get_json("/garbage", cache_ttl=60)
    assert upstream.count("/garbage") == 2


# --- 7: Redis down -------------------------------------------------------------------------


async def _wait_for_redis(url: str) -> None:
    client = Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                await client.ping()
                return
            except (RedisError, OSError):
                await asyncio.sleep(0.05)
        raise AssertionError("redis did not come back")
    finally:
        await client.aclose()


async def test_reads_survive_a_dead_redis(
    upstream: Upstream,
    make_client: MakeClient,
    redis_server: ChildProcess,
    redis_url: str,
) -> None:
    client = make_client()
    name = client.config.name
    redis_server.stop()
    try:
        assert await client.get_json("/data/r", cache_ttl=60) == {"name": "r", "served": 1}
        assert await client.get_json("/data/r", cache_ttl=60) == {"name": "r", "served": 2}
        assert cache(name, "redis_error") >= 1
    finally:
        redis_server.start()
        await _wait_for_redis(redis_url)


# --- 8: metrics ----------------------------------------------------------------------------


async def test_metrics_move(upstream: Upstream, make_client: MakeClient) -> None:
    client = make_client()
    name = client.config.name
    await client.get_json("/data/m", cache_ttl=60)
    await client.get_json("/data/m", cache_ttl=60)
    with pytest.raises(UpstreamNotFound):
        await client.get_json("/status/404")
    assert attempts(name, "ok") == 1
    assert attempts(name, "client_error") == 1
    assert sample("mychangsha_upstream_request_seconds_count", upstream=name) == 2
    assert sample("mychangsha_upstream_request_seconds_sum", upstream=name) > 0
    assert cache(name, "hit") == 1
    assert cache(name, "miss") == 1
    assert REGISTRY.get_sample_value("mychangsha_upstream_breaker_state", {"upstream": name}) == 0


# --- 9: query params, queries in the path, headers -----------------------------------------

DAY_START = "ge2025-05-15T00:00:00+08:00"
DAY_END = "lt2025-05-16T00:00:00+08:00"
ENCODED_START = "ge2025-05-15T00%3A00%3A00%2B08%3A00"
ENCODED_END = "lt2025-05-16T00%3A00%3A00%2B08%3A00"


async def test_a_repeated_key_goes_out_sorted_stably_and_percent_encoded(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    body = await client.get_json(
        "/echo", [("start", DAY_START), ("_count", 100), ("start", DAY_END)]
    )
    assert body["rawQuery"] == f"_count=100&start={ENCODED_START}&start={ENCODED_END}"
    assert body["pairs"] == [["_count", "100"], ["start", DAY_START], ["start", DAY_END]]


async def test_pairs_and_a_mapping_of_the_same_query_share_one_cache_key(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    first = await client.get_json("/echo", {"b": "x", "a": 1}, cache_ttl=60)
    second = await client.get_json("/echo", [("a", "1"), ("b", "x")], cache_ttl=60)
    assert first == second
    assert first["rawQuery"] == "a=1&b=x"
    assert upstream.count("/echo") == 1
    await client.invalidate("/echo", [("b", "x"), ("a", 1)])
    assert (await client.get_json("/echo", {"a": 1, "b": "x"}, cache_ttl=60))["served"] == 2


async def test_repeated_keys_are_cached_and_invalidated_as_given(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    bounds = [("start", DAY_START), ("start", DAY_END)]
    await client.get_json("/echo", bounds, cache_ttl=60)
    assert (await client.get_json("/echo", bounds, cache_ttl=60))["served"] == 1
    await client.invalidate("/echo", bounds)
    assert (await client.get_json("/echo", bounds, cache_ttl=60))["served"] == 2


async def test_a_query_in_the_path_is_kept_verbatim_and_params_follow_it(
    upstream: Upstream, make_client: MakeClient
) -> None:
    """A server's `next` link is opaque: its query is neither dropped nor re-encoded."""
    client = make_client()
    link = f"/echo?schedule=Schedule/a,Schedule/b&start={ENCODED_START}&_offset=5"
    body = await client.get_json(link)
    assert body["rawQuery"] == link.partition("?")[2]
    assert ["start", DAY_START] in body["pairs"]
    merged = await client.get_json("/echo?z=1#top", {"a": "2"})
    assert merged["rawQuery"] == "z=1&a=2"


async def test_a_query_in_the_path_and_the_same_params_share_one_cache_key(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    await client.get_json("/echo?a=1&b=2", cache_ttl=60)
    assert (await client.get_json("/echo", {"b": 2, "a": 1}, cache_ttl=60))["served"] == 1
    await client.invalidate("/echo?a=1", {"b": 2})
    assert (await client.get_json("/echo?a=1&b=2", cache_ttl=60))["served"] == 2


async def test_default_and_call_headers_are_sent_and_the_call_wins(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client(default_headers={"Accept": "application/fhir+json", "x-tenant": "cs"})
    sent = (await client.get_json("/echo"))["headers"]
    assert sent["accept"] == "application/fhir+json", "replaces the built-in accept"
    assert (sent["x-tenant"], sent["user-agent"]) == ("cs", "mychangsha")
    sent = (await client.get_json("/echo", headers={"x-tenant": "zz", "x-trace": "t1"}))["headers"]
    assert (sent["accept"], sent["x-tenant"], sent["x-trace"]) == (
        "application/fhir+json",
        "zz",
        "t1",
    )


async def test_headers_are_not_part_of_the_cache_key(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    first = await client.get_json("/echo", headers={"x-trace": "1"}, cache_ttl=60)
    second = await client.get_json("/echo", headers={"x-trace": "2"}, cache_ttl=60)
    assert first == second
    assert first["headers"]["x-trace"] == "1"
    assert upstream.count("/echo") == 1


def test_default_headers_are_a_read_only_copy() -> None:
    headers = {"accept": "application/fhir+json"}
    config = UpstreamConfig("fhir", "http://fhir.invalid", default_headers=headers)
    headers["accept"] = "text/html"
    assert config.default_headers == {"accept": "application/fhir+json"}
    with pytest.raises(TypeError):
        config.default_headers["accept"] = "text/html"  # type: ignore[index]
    assert hash(config) == hash(UpstreamConfig("fhir", "http://fhir.invalid"))
    assert UpstreamConfig("a", "http://a.invalid").default_headers == {}


# --- uploads (multipart) and binary reads ----------------------------------------------------

PDF_BYTES = b"%PDF-1.7\n" + bytes(range(256)) * 40


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunks(data: bytes, size: int = 1000) -> Callable[[], AsyncIterator[bytes]]:
    """A stream opener, as a GridFS file gives one: every call reads the file from the start."""

    async def stream() -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            await asyncio.sleep(0)
            yield data[start : start + size]

    return stream


async def test_multipart_sends_fields_and_files_with_chinese_names(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    status, body = await client.send_multipart(
        "POST",
        "/upload",
        data={"application": '{"name": "张伟"}', "note": 'a "quoted"\nline'},
        files=[
            ("materials[居民身份证]", ("身份证.pdf", PDF_BYTES, "application/pdf")),
            ("materials[居民身份证]", ("back.png", b"\x89PNG\r\n\x1a\n", "image/png")),
        ],
    )
    assert status == 201
    assert body["fields"] == [["application", '{"name": "张伟"}'], ["note", 'a "quoted"\nline']]
    assert [(f["part"], f["filename"], f["contentType"]) for f in body["files"]] == [
        ("materials[居民身份证]", "身份证.pdf", "application/pdf"),
        ("materials[居民身份证]", "back.png", "image/png"),
    ]
    assert body["files"][0]["sha256"] == sha256(PDF_BYTES)
    assert body["contentType"].startswith("multipart/form-data; boundary=")
    assert body["contentLength"] is not None and not body["chunked"], "bytes go with a length"
    assert attempts(client.config.name, "ok", "POST") == 1


async def test_multipart_streams_a_file_it_never_holds_whole(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    _, body = await client.send_multipart(
        "POST", "/upload", files=[("file", ("scan.pdf", chunks(PDF_BYTES), "application/pdf"))]
    )
    assert body["chunked"] and body["contentLength"] is None
    assert (body["files"][0]["size"], body["files"][0]["sha256"]) == (
        len(PDF_BYTES),
        sha256(PDF_BYTES),
    )


async def test_idempotent_upload_is_retried_with_the_whole_stream_again(
    upstream: Upstream, make_client: MakeClient
) -> None:
    upstream.app.state.fail_uploads = 2
    client = make_client()
    _, body = await client.send_multipart(
        "POST",
        "/upload",
        data={"externalId": "x-1"},
        files=[("file", ("scan.pdf", chunks(PDF_BYTES), "application/pdf"))],
        idempotent=True,
    )
    assert upstream.count("/upload") == 3
    assert body["files"][0]["sha256"] == sha256(PDF_BYTES), "the third attempt read it all again"
    assert attempts(client.config.name, "server_error", "POST") == 2


async def test_upload_is_not_retried_unless_idempotent(
    upstream: Upstream, make_client: MakeClient
) -> None:
    upstream.app.state.fail_uploads = 1
    client = make_client()
    with pytest.raises(UpstreamUnavailable):
        await client.send_multipart("POST", "/upload", files=[("f", ("a.pdf", b"%PDF-", "x/y"))])
    assert upstream.count("/upload") == 1


async def test_a_one_shot_stream_is_sent_once_even_when_idempotent(
    upstream: Upstream, make_client: MakeClient
) -> None:
    upstream.app.state.fail_uploads = 1
    client = make_client()
    one_shot = chunks(PDF_BYTES)()
    with pytest.raises(UpstreamUnavailable):
        await client.send_multipart(
            "POST",
            "/upload",
            files=[("file", ("scan.pdf", one_shot, "application/pdf"))],
            idempotent=True,
        )
    assert upstream.count("/upload") == 1


async def test_a_refused_upload_is_rejected_with_its_body(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    with pytest.raises(UpstreamRejected) as caught:
        await client.send_multipart("POST", "/status/422", data={"a": "b"}, idempotent=True)
    assert (caught.value.status, caught.value.body) == (
        422,
        {"status": 422, "reason": "as requested"},
    )
    assert upstream.count("/status/422") == 1


async def test_get_bytes_returns_the_raw_body_and_is_retried(
    upstream: Upstream, make_client: MakeClient
) -> None:
    client = make_client()
    assert await client.get_bytes("/garbage") == b"<html>not json</html>"
    upstream.fail_with(503)
    with pytest.raises(UpstreamUnavailable):
        await client.get_bytes("/data/pdf", headers={"accept": "application/pdf"})
    assert upstream.count("/data/pdf") == 3, "a read is retried like any GET"
