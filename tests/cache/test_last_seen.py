"""The atomic compare-and-set of last values, against the real redis-server."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from mychangsha.cache import redis as redis_cache
from mychangsha.cache.last_seen import Change, LastSeen


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_cache.connect(redis_url)
    yield client
    await client.aclose()


def _key() -> str:
    return f"test:last-seen:{uuid.uuid4().hex}"


async def test_first_sighting_is_recorded_not_reported(redis: Redis) -> None:
    seen = LastSeen(redis, _key(), ttl_seconds=10)
    assert await seen.record({"a": "busy", "b": "comfortable"}, observed_ms=1) == []
    assert await seen.record({"a": "busy", "b": "comfortable"}, observed_ms=2) == []


async def test_a_change_is_reported_with_its_previous_value(redis: Redis) -> None:
    seen = LastSeen(redis, _key(), ttl_seconds=10)
    await seen.record({"a": "busy", "b": "comfortable"}, observed_ms=1)
    changes = await seen.record({"a": "crowded", "b": "comfortable"}, observed_ms=2)
    assert changes == [Change(name="a", previous="busy", current="crowded")]
    assert await seen.record({"a": "crowded"}, observed_ms=3) == []


async def test_racing_callers_see_each_change_once(redis: Redis) -> None:
    key = _key()
    replicas = [LastSeen(redis, key, ttl_seconds=10) for _ in range(8)]
    await replicas[0].record({"a": "comfortable"}, observed_ms=1)
    results = await asyncio.gather(
        *(replica.record({"a": "busy"}, observed_ms=2) for replica in replicas)
    )
    assert sorted(len(changes) for changes in results) == [0] * 7 + [1]
    assert [c for changes in results for c in changes] == [
        Change(name="a", previous="comfortable", current="busy")
    ]


async def test_an_older_observation_never_moves_the_value_back(redis: Redis) -> None:
    seen = LastSeen(redis, _key(), ttl_seconds=10)
    await seen.record({"a": "comfortable"}, observed_ms=100)
    assert await seen.record({"a": "crowded"}, observed_ms=300) != []
    # A slow poll that read before the last one finishes late: ignored.
    assert await seen.record({"a": "comfortable"}, observed_ms=200) == []
    assert await seen.record({"a": "crowded"}, observed_ms=400) == []


async def test_values_expire_unless_touched(redis: Redis) -> None:
    key = _key()
    seen = LastSeen(redis, key, ttl_seconds=0.3)
    await seen.record({"a": "busy"}, observed_ms=1)
    assert 0 < await redis.pttl(key) <= 300
    await asyncio.sleep(0.2)
    await seen.touch()
    await asyncio.sleep(0.2)
    assert await redis.exists(key)
    await asyncio.sleep(0.3)
    assert not await redis.exists(key)
    # After expiry the next value is a first sighting again, not a change.
    assert await seen.record({"a": "crowded"}, observed_ms=2) == []


async def test_redis_clock_is_in_milliseconds(redis: Redis) -> None:
    seen = LastSeen(redis, _key(), ttl_seconds=10)
    first = await seen.now_ms()
    await asyncio.sleep(0.05)
    assert 40 <= await seen.now_ms() - first < 5000
