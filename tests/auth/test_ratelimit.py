"""The Redis rate limiter against the session's real redis-server (no fakes, no mocks)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from mychangsha.auth.ratelimit import Decision, Limit, RateLimiter
from mychangsha.cache import redis as redis_cache
from tests.support.servers import free_port


class FakeClock:
    """A settable clock (seconds) for exact window arithmetic without sleeping."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    """The production client settings against the session's redis-server."""
    client = redis_cache.connect(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    """A prefix per test, so tests never see each other's keys (and need no FLUSHDB)."""
    return f"rl-test-{uuid4().hex[:12]}"


@pytest.fixture
def limiter(redis: Redis, prefix: str) -> RateLimiter:
    """A limiter on Redis server time."""
    return RateLimiter(redis, prefix=prefix)


async def hit_many(limiter: RateLimiter, limit: Limit, key: str, n: int) -> list[Decision]:
    """n hits one after the other."""
    return [await limiter.hit(limit, key) for _ in range(n)]


# --- exactness under a real race -------------------------------------------------------------


async def test_200_concurrent_hits_over_separate_connections_allow_exactly_50(
    redis_url: str, prefix: str
) -> None:
    clients = [redis_cache.connect(redis_url) for _ in range(5)]
    try:
        limiters = [RateLimiter(client, prefix=prefix) for client in clients]
        limit = Limit("race", max_hits=50, window_seconds=60)
        # Warm one connection per client so the race is in Redis, not in connecting.
        await asyncio.gather(*(client.ping() for client in clients))
        decisions = await asyncio.gather(
            *(limiters[i % len(limiters)].hit(limit, "13800138000") for i in range(200))
        )
        assert sum(d.allowed for d in decisions) == 50
        assert sorted(d.remaining for d in decisions if d.allowed) == list(range(50))
        assert all(d.retry_after > 0 for d in decisions if not d.allowed)
        assert (await limiters[0].check(limit, "13800138000")).allowed is False
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


async def test_race_with_costs_never_overspends(redis_url: str, prefix: str) -> None:
    clients = [redis_cache.connect(redis_url) for _ in range(4)]
    try:
        limiters = [RateLimiter(client, prefix=prefix) for client in clients]
        limit = Limit("race.cost", max_hits=50, window_seconds=60)
        decisions = await asyncio.gather(
            *(limiters[i % 4].hit(limit, "k", cost=1 + i % 3) for i in range(120))
        )
        spent = sum(1 + i % 3 for i, d in enumerate(decisions) if d.allowed)
        assert 48 <= spent <= 50  # a refused cost-3 may leave up to 2 unused; never over 50
        raw_key = limiters[0].redis_key(limit, "k")
        assert await clients[0].zcard(raw_key) == spent
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


# --- counting --------------------------------------------------------------------------------


async def test_allows_up_to_the_limit_then_refuses(limiter: RateLimiter) -> None:
    limit = Limit("otp.phone.minute", max_hits=3, window_seconds=60)
    decisions = await hit_many(limiter, limit, "13800138000", 4)
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert [d.retry_after for d in decisions[:3]] == [0.0, 0.0, 0.0]
    assert 0 < decisions[3].retry_after <= 60


async def test_keys_and_limits_are_independent(limiter: RateLimiter) -> None:
    per_phone = Limit("otp.phone", max_hits=1, window_seconds=60)
    per_ip = Limit("otp.ip", max_hits=1, window_seconds=60)
    assert (await limiter.hit(per_phone, "13800138000")).allowed
    assert not (await limiter.hit(per_phone, "13800138000")).allowed
    assert (await limiter.hit(per_phone, "13900139000")).allowed
    assert (await limiter.hit(per_ip, "13800138000")).allowed


async def test_check_does_not_record(limiter: RateLimiter) -> None:
    limit = Limit("check", max_hits=2, window_seconds=60)
    for _ in range(5):
        assert await limiter.check(limit, "k") == Decision(True, 2, 0.0)
    await limiter.hit(limit, "k")
    assert await limiter.check(limit, "k") == Decision(True, 1, 0.0)
    await limiter.hit(limit, "k")
    refused = await limiter.check(limit, "k")
    assert not refused.allowed
    assert refused.remaining == 0
    assert refused.retry_after > 0


async def test_reset_forgets_hits(limiter: RateLimiter) -> None:
    limit = Limit("login.failures", max_hits=2, window_seconds=60)
    await hit_many(limiter, limit, "citizen-1", 2)
    assert not (await limiter.hit(limit, "citizen-1")).allowed
    await limiter.reset(limit, "citizen-1")
    assert (await limiter.hit(limit, "citizen-1")) == Decision(True, 1, 0.0)


async def test_cost_takes_several_hits(limiter: RateLimiter) -> None:
    limit = Limit("cost", max_hits=5, window_seconds=60)
    assert await limiter.hit(limit, "k", cost=3) == Decision(True, 2, 0.0)
    refused = await limiter.hit(limit, "k", cost=3)
    assert not refused.allowed
    assert refused.remaining == 2  # nothing was taken by the refused hit
    assert await limiter.hit(limit, "k", cost=2) == Decision(True, 0, 0.0)


@pytest.mark.parametrize("cost", [0, -1, 6])
async def test_cost_must_fit_the_limit(limiter: RateLimiter, cost: int) -> None:
    with pytest.raises(ValueError, match="cost"):
        await limiter.hit(Limit("cost.bad", max_hits=5, window_seconds=60), "k", cost=cost)


@pytest.mark.parametrize(
    ("name", "max_hits", "window"),
    [("", 1, 1.0), ("x", 0, 1.0), ("x", 1, 0.0), ("x", 1, float("inf")), ("x", 1, -1.0)],
)
def test_nonsense_limits_are_rejected(name: str, max_hits: int, window: float) -> None:
    with pytest.raises(ValueError):
        Limit(name, max_hits=max_hits, window_seconds=window)


async def test_keys_have_the_documented_shape(
    limiter: RateLimiter, redis: Redis, prefix: str
) -> None:
    limit = Limit("otp.phone.day", max_hits=10, window_seconds=60)
    await limiter.hit(limit, "13800138000")
    key = f"{prefix}:otp.phone.day:13800138000"
    assert await redis.zcard(key) == 1
    ttl = await redis.pttl(key)
    assert 0 < ttl <= 60_001


async def test_long_keys_are_hashed_and_kept_apart(
    limiter: RateLimiter, redis: Redis, prefix: str
) -> None:
    limit = Limit("long", max_hits=1, window_seconds=60)
    first, second = "a" * 100 + "1", "a" * 100 + "2"
    assert (await limiter.hit(limit, first)).allowed
    assert (await limiter.hit(limit, second)).allowed
    assert not (await limiter.hit(limit, first)).allowed
    keys = [key.decode() async for key in redis.scan_iter(match=f"{prefix}:long:*")]
    assert len(keys) == 2
    assert all(len(key.split(":", 2)[2]) == 2 + 64 and ":h:" in key for key in keys)


async def test_sixty_four_byte_keys_stay_raw(
    limiter: RateLimiter, redis: Redis, prefix: str
) -> None:
    limit = Limit("edge", max_hits=1, window_seconds=60)
    await limiter.hit(limit, "k" * 64)
    assert await redis.exists(f"{prefix}:edge:{'k' * 64}") == 1


# --- the window slides (real time: lower bounds only) ----------------------------------------


async def test_window_slides_in_real_time(limiter: RateLimiter) -> None:
    limit = Limit("slide", max_hits=3, window_seconds=0.4)
    assert all(d.allowed for d in await hit_many(limiter, limit, "k", 3))
    refused = await limiter.hit(limit, "k")
    assert not refused.allowed
    assert 0 < refused.retry_after <= 0.4
    await asyncio.sleep(refused.retry_after + 0.05)
    assert (await limiter.hit(limit, "k")).allowed


async def test_refused_hammering_does_not_extend_the_lockout(limiter: RateLimiter) -> None:
    """Hammer every 20 ms while limited: access returns once the allowed hits age out."""
    limit = Limit("hammer", max_hits=2, window_seconds=0.3)
    start = time.monotonic()
    assert all(d.allowed for d in await hit_many(limiter, limit, "k", 2))
    refused = 0
    while not (await limiter.hit(limit, "k")).allowed:
        refused += 1
        assert time.monotonic() - start < 5, "the lockout never ended: refused hits were counted"
        await asyncio.sleep(0.02)
    assert refused >= 5  # we really hammered while limited
    assert time.monotonic() - start >= 0.3 - 0.01  # and were not let in early


async def test_nothing_is_left_behind_after_the_window(
    limiter: RateLimiter, redis: Redis, prefix: str
) -> None:
    limit = Limit("expire", max_hits=5, window_seconds=0.2)
    await hit_many(limiter, limit, "k", 2)
    await asyncio.sleep(0.5)
    assert await redis.exists(f"{prefix}:expire:k") == 0


# --- the window slides (injected clock: exact) -----------------------------------------------


async def test_sliding_not_fixed_window(redis: Redis, prefix: str) -> None:
    clock = FakeClock()
    limiter = RateLimiter(redis, prefix=prefix, clock=clock)
    limit = Limit("exact", max_hits=3, window_seconds=1.0)
    t0 = clock.now
    assert (await limiter.hit(limit, "k")).allowed  # t0
    clock.now = t0 + 0.4
    assert (await limiter.hit(limit, "k")).allowed
    clock.now = t0 + 0.6
    assert (await limiter.hit(limit, "k")).allowed
    clock.now = t0 + 0.9
    refused = await limiter.hit(limit, "k")
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(0.1, abs=1e-6)  # until the t0 hit ages out
    clock.now = t0 + 1.0  # exactly one window after t0: that hit has left
    assert await limiter.hit(limit, "k") == Decision(True, 0, 0.0)
    clock.now = t0 + 1.2  # t0+0.4, t0+0.6 and t0+1.0 are still inside
    refused = await limiter.hit(limit, "k")
    assert refused.retry_after == pytest.approx(0.2, abs=1e-6)


async def test_retry_after_for_a_cost_counts_enough_old_hits(redis: Redis, prefix: str) -> None:
    clock = FakeClock()
    limiter = RateLimiter(redis, prefix=prefix, clock=clock)
    limit = Limit("exact.cost", max_hits=3, window_seconds=1.0)
    t0 = clock.now
    for offset in (0.0, 0.1, 0.2):
        clock.now = t0 + offset
        assert (await limiter.hit(limit, "k")).allowed
    clock.now = t0 + 0.5
    refused = await limiter.hit(limit, "k", cost=2)
    assert (refused.allowed, refused.remaining) == (False, 0)
    assert refused.retry_after == pytest.approx(0.6, abs=1e-6)  # t0 and t0+0.1 must leave


async def test_refused_hits_are_not_recorded_exactly(redis: Redis, prefix: str) -> None:
    clock = FakeClock()
    limiter = RateLimiter(redis, prefix=prefix, clock=clock)
    limit = Limit("exact.refused", max_hits=2, window_seconds=1.0)
    t0 = clock.now
    assert all(d.allowed for d in await hit_many(limiter, limit, "k", 2))
    for step in range(1, 10):
        clock.now = t0 + step * 0.1
        assert not (await limiter.hit(limit, "k")).allowed
    clock.now = t0 + 1.0
    assert await limiter.hit(limit, "k") == Decision(True, 1, 0.0)


# --- Redis unreachable -------------------------------------------------------------------------


@pytest.fixture
async def dead_redis() -> AsyncIterator[Redis]:
    """A client of a port where nothing listens."""
    client = redis_cache.connect(f"redis://127.0.0.1:{free_port()}/0")
    yield client
    await client.aclose()


async def test_fail_closed_refuses_when_redis_is_down(
    dead_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(dead_redis)
    limit = Limit("otp.send", max_hits=5, window_seconds=60)
    with caplog.at_level(logging.WARNING, logger="mychangsha.auth.ratelimit"):
        decision = await limiter.hit(limit, "13800138000")
    assert decision == Decision(False, 0, 10.0, unavailable=True)
    assert await limiter.check(limit, "13800138000") == Decision(False, 0, 10.0, unavailable=True)
    assert "otp.send" in caplog.text
    assert "refusing" in caplog.text
    assert "13800138000" not in caplog.text  # keys are personal data


async def test_fail_open_allows_when_redis_is_down(
    dead_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(dead_redis)
    limit = Limit("api.citizen", max_hits=5, window_seconds=60, fail_open=True)
    with caplog.at_level(logging.WARNING, logger="mychangsha.auth.ratelimit"):
        decision = await limiter.hit(limit, "203.0.113.7", cost=2)
    assert decision.allowed
    assert decision.retry_after == 0
    assert decision.remaining == 3
    assert "allowing" in caplog.text
    assert "203.0.113.7" not in caplog.text


async def test_reset_when_redis_is_down_does_not_raise(
    dead_redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="mychangsha.auth.ratelimit"):
        await RateLimiter(dead_redis).reset(Limit("x", 1, 1.0), "k")
    assert "reset failed" in caplog.text
