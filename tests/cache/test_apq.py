"""The APQ store against the real redis-server: shared, expiring, a small LRU in front."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from mychangsha.cache import redis as redis_cache
from mychangsha.cache.apq import KEY_PREFIX, TTL_SECONDS, APQStore


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_cache.connect(redis_url)
    yield client
    await client.aclose()


def _hash() -> str:
    return uuid.uuid4().hex * 2


async def test_a_document_registered_on_one_replica_is_found_on_another(redis: Redis) -> None:
    sha = _hash()
    await APQStore(redis).put(sha, "{ lifeEvents { id } }")
    assert await APQStore(redis).get(sha) == "{ lifeEvents { id } }"
    assert await APQStore(redis).get(_hash()) is None


async def test_a_hit_restarts_the_week(redis: Redis) -> None:
    sha = _hash()
    await APQStore(redis).put(sha, "{ me { id } }")
    await redis.expire(KEY_PREFIX + sha, 60)
    assert await APQStore(redis).get(sha) == "{ me { id } }"
    assert await redis.ttl(KEY_PREFIX + sha) > TTL_SECONDS - 10


async def test_memory_hits_refresh_redis_once_per_period(redis: Redis) -> None:
    sha = _hash()
    store = APQStore(redis, refresh_seconds=0.0)
    await store.put(sha, "{ me { id } }")
    await redis.expire(KEY_PREFIX + sha, 60)
    assert await store.get(sha) == "{ me { id } }"
    assert await redis.ttl(KEY_PREFIX + sha) > TTL_SECONDS - 10


async def test_memory_answers_while_redis_forgets(redis: Redis) -> None:
    sha = _hash()
    store = APQStore(redis, local_entries=2)
    await store.put(sha, "{ a }")
    await redis.delete(KEY_PREFIX + sha)
    assert await store.get(sha) == "{ a }"  # the LRU in front
    await store.put(_hash(), "{ b }")
    await store.put(_hash(), "{ c }")  # evicts the oldest
    assert await store.get(sha) is None
