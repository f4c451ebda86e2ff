"""`RateLimiter.hit_all`: several budgets in one script call, all or nothing, real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import pytest
from redis.asyncio import Redis

from mychangsha.auth.ratelimit import Limit, RateLimiter
from mychangsha.cache import redis as redis_cache
from tests.support.servers import free_port

IP = Limit("t.ip", max_hits=5, window_seconds=60)
CITIZEN = Limit("t.citizen", max_hits=3, window_seconds=60)


class FakeClock:
    """A settable clock (seconds) for exact window arithmetic without sleeping."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_cache.connect(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limiter(redis: Redis, clock: FakeClock) -> RateLimiter:
    return RateLimiter(redis, prefix=f"rl-all-{uuid4().hex[:12]}", clock=clock)


async def test_the_tightest_budget_decides(limiter: RateLimiter) -> None:
    hits = [(IP, "10.0.0.1"), (CITIZEN, "c1")]
    decisions = [await limiter.hit_all(hits) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert decisions[3].retry_after == pytest.approx(60.0)


async def test_a_refused_hit_is_recorded_by_no_budget(limiter: RateLimiter) -> None:
    for _ in range(3):
        assert (await limiter.hit_all([(IP, "10.0.0.2"), (CITIZEN, "c2")])).allowed
    assert not (await limiter.hit_all([(IP, "10.0.0.2"), (CITIZEN, "c2")])).allowed
    # The IP budget saw 3 hits, not 4: two more fit from another citizen.
    other = [await limiter.hit_all([(IP, "10.0.0.2"), (CITIZEN, "c3")]) for _ in range(3)]
    assert [d.allowed for d in other] == [True, True, False]


async def test_retry_after_is_when_every_budget_has_room(
    limiter: RateLimiter, clock: FakeClock
) -> None:
    for _ in range(3):
        await limiter.hit_all([(CITIZEN, "c4")])
        clock.now += 10
    clock.now += 5  # 35 s after the first hit
    assert (await limiter.hit_all([(CITIZEN, "c4")])).retry_after == pytest.approx(25.0)
    clock.now += 25
    assert (await limiter.hit_all([(CITIZEN, "c4")])).allowed


async def test_agrees_with_hit_on_one_budget(limiter: RateLimiter) -> None:
    results = await asyncio.gather(*(limiter.hit_all([(IP, "10.0.0.5")]) for _ in range(20)))
    assert sum(d.allowed for d in results) == IP.max_hits
    assert (await limiter.check(IP, "10.0.0.5")).allowed is False


async def test_redis_down_fails_open_only_when_every_limit_does() -> None:
    dead = Redis(port=free_port(), socket_connect_timeout=0.2)
    try:
        limiter = RateLimiter(dead)
        lenient = Limit("t.open", max_hits=5, window_seconds=60, fail_open=True)
        strict = Limit("t.closed", max_hits=5, window_seconds=60)
        assert (await limiter.hit_all([(lenient, "k")])).allowed
        assert not (await limiter.hit_all([(lenient, "k"), (strict, "k")])).allowed
    finally:
        await dead.aclose()


async def test_needs_a_limit(limiter: RateLimiter) -> None:
    with pytest.raises(ValueError, match="at least one"):
        await limiter.hit_all([])
