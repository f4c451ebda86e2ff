"""The response cache against a real redis-server: two levels, tag invalidation across
processes (two cache objects stand for two replicas, each with its own in-process level)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from mychangsha.cache import redis as redis_cache
from mychangsha.cache.responses import ResponseCache, following


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_cache.connect(redis_url)
    yield client
    await client.aclose()


def _tag() -> str:
    return f"test-{uuid.uuid4().hex}"


async def test_a_stored_answer_is_found_again_by_another_replica(redis: Redis) -> None:
    first, second = ResponseCache(redis), ResponseCache(redis)
    base = ResponseCache.fingerprint(["{ a }", uuid.uuid4().hex])
    tag = _tag()
    miss = await first.get(base, [tag])
    assert miss is not None and miss.body is None
    await first.put(miss.key, b'{"data":{"a":1}}', 30)
    hit = await second.get(base, [tag])
    assert hit is not None and hit.body == b'{"data":{"a":1}}'
    assert (await first.get(base, [tag])) == hit  # from its own level now


async def test_invalidating_a_tag_reaches_every_replicas_own_level(redis: Redis) -> None:
    first, second = ResponseCache(redis), ResponseCache(redis)
    async with following(first), following(second):
        await asyncio.sleep(0.2)  # both subscribed
        base = ResponseCache.fingerprint(["{ b }", uuid.uuid4().hex])
        tags = [_tag(), _tag()]
        miss = await second.get(base, tags)
        assert miss is not None
        await second.put(miss.key, b"old", 30)
        assert (await second.get(base, tags)) == miss.__class__(b"old", miss.key)

        await first.invalidate([tags[1]])
        for _ in range(50):
            after = await second.get(base, tags)
            if after is not None and after.body is None:
                break
            await asyncio.sleep(0.02)
        assert after is not None and after.body is None and after.key != miss.key


async def test_an_expired_answer_is_not_served(redis: Redis) -> None:
    cache = ResponseCache(redis)
    base = ResponseCache.fingerprint(["{ c }", uuid.uuid4().hex])
    tag = _tag()
    miss = await cache.get(base, [tag])
    assert miss is not None
    await cache.put(miss.key, b"short", 1)
    await asyncio.sleep(1.2)
    again = await cache.get(base, [tag])
    assert again is not None and again.body is None


async def test_without_redis_the_cache_steps_aside(redis_url: str) -> None:
    dead = redis_cache.connect("redis://127.0.0.1:1/0")
    try:
        cache = ResponseCache(dead)
        assert await cache.get(ResponseCache.fingerprint(["{ d }"]), [_tag()]) is None
        await cache.invalidate([_tag()])  # no exception: logged, versions forgotten
    finally:
        await dead.aclose()
