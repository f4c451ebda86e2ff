"""The response cache: whole answers, pre-encoded, served before the GraphQL engine runs.

Two levels. Redis holds every stored answer for every replica; a small in-process LRU in
front answers repeated public queries without a network round trip. Invalidation is by tag
versions: an entry's key includes the current version of each of its tags, so bumping a tag
(`invalidate`) makes every entry carrying it unreachable at once, in Redis by construction
and in every process's LRU through a pub/sub message carrying the new versions. A process
that missed a message serves an outdated entry at most until its max-age ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from mychangsha.background import running
from mychangsha.platform.clock import seconds_until_changsha_midnight

log = logging.getLogger(__name__)

PREFIX: Final = "mychangsha:rc:"
CHANNEL: Final = PREFIX + "invalidated"
L1_SIZE: Final = 2048

LOOKUPS = Counter(
    "mychangsha_response_cache_lookups_total",
    "Response cache lookups by level and outcome.",
    ["outcome"],  # l1_hit, l2_hit, miss, error
)
L1_HITS = LOOKUPS.labels("l1_hit")
CITIZEN: Final = "citizen"  # the tag of private entries, made "citizen:<id>" per citizen

# Reads the versions of the entry's tags and, under the key they make, the entry and its
# remaining lifetime: one round trip. KEYS: tag version keys; ARGV[1]: the entry's base key.
_LOOKUP: Final = """
local versions = {}
for i, key in ipairs(KEYS) do
  versions[i] = redis.call('GET', key) or '0'
end
local key = ARGV[1] .. ':' .. table.concat(versions, '.')
return {versions, redis.call('GET', key), redis.call('PTTL', key)}
"""


@dataclass(frozen=True)
class Lookup:
    """What a lookup found: the stored body, if any, and the key to store a fresh one under."""

    body: bytes | None
    key: str


class ResponseCache:
    """Stored answers by request fingerprint and tag versions."""

    def __init__(self, redis: Redis, *, l1_size: int = L1_SIZE) -> None:
        self._redis = redis
        self._l1: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._l1_size = l1_size
        self._versions: dict[str, str] = {}
        self._lookup = redis.register_script(_LOOKUP)

    @staticmethod
    def fingerprint(parts: Iterable[str]) -> str:
        """A request's identity: document, operation, variables, audience and language."""
        digest = hashlib.sha256()
        for part in parts:
            digest.update(part.encode())
            digest.update(b"\x00")
        return PREFIX + "e:" + digest.hexdigest()

    def _key(self, base: str, versions: Sequence[str]) -> str:
        return base + ":" + ".".join(versions)

    def peek(self, base: str, tags: Sequence[str]) -> bytes | None:
        """The in-process answer, without any I/O (`tags` sorted); None when not held here."""
        local = self._local(base, tags)
        if local is None:
            return None
        L1_HITS.inc()
        return local.body

    def _local(self, base: str, tags: Sequence[str]) -> Lookup | None:
        """An L1 answer when this process knows every tag's version."""
        if any(tag not in self._versions for tag in tags):
            return None
        key = self._key(base, [self._versions[tag] for tag in tags])
        found = self._l1.get(key)
        if found is None:
            return None
        body, expires = found
        if expires <= time.monotonic():
            del self._l1[key]
            return None
        self._l1.move_to_end(key)
        return Lookup(body, key)

    async def get(self, base: str, tags: Sequence[str]) -> Lookup | None:
        """The stored answer (L1, then Redis); None when Redis cannot answer (bypass)."""
        tags = sorted(tags)
        local = self._local(base, tags)
        if local is not None:
            L1_HITS.inc()
            return local
        try:
            versions, body, ttl_ms = await self._lookup(
                keys=[PREFIX + "v:" + t for t in tags], args=[base]
            )
        except RedisError as exc:
            LOOKUPS.labels("error").inc()
            log.warning("response cache unavailable, answering without it: %s", exc)
            return None
        decoded = [v.decode() if isinstance(v, bytes) else str(v) for v in versions]
        self._versions.update(zip(tags, decoded, strict=True))
        LOOKUPS.labels("l2_hit" if body is not None else "miss").inc()
        key = self._key(base, decoded)
        if body is not None and int(ttl_ms) > 0:  # another replica's answer: keep it here too
            self._remember(key, body, int(ttl_ms) / 1000)
        return Lookup(body, key)

    async def put(self, key: str, body: bytes, max_age: int) -> None:
        """Store an answer for `max_age` seconds in Redis and in this process.

        Never past midnight in Changsha: answers hold "today" (free slots, today's events,
        the booking window), and yesterday's must not be served after the day turned.
        """
        max_age = min(max_age, max(1, math.ceil(seconds_until_changsha_midnight())))
        self._remember(key, body, max_age)
        with contextlib.suppress(RedisError):
            await self._redis.set(key, body, ex=max_age)

    def _remember(self, key: str, body: bytes, max_age: float) -> None:
        self._l1[key] = (body, time.monotonic() + max_age)
        self._l1.move_to_end(key)
        while len(self._l1) > self._l1_size:
            self._l1.popitem(last=False)

    async def invalidate(self, tags: Iterable[str]) -> None:
        """Make every entry carrying one of the tags unreachable, on every replica."""
        wanted = sorted(set(tags))
        if not wanted:
            return
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for tag in wanted:
                    pipe.incr(PREFIX + "v:" + tag)
                bumped = await pipe.execute()
            news = {tag: str(version) for tag, version in zip(wanted, bumped, strict=True)}
            self._versions.update(news)
            await self._redis.publish(CHANNEL, orjson.dumps(news))
        except RedisError as exc:
            # The entries live at most their max-age; nothing stale can be created meanwhile
            # because a lookup without Redis bypasses the cache.
            log.warning("response cache invalidation of %s failed: %s", wanted, exc)
            for tag in wanted:
                self._versions.pop(tag, None)

    def _apply(self, message: bytes) -> None:
        news: dict[str, Any] = orjson.loads(message)
        for tag, version in news.items():
            current = self._versions.get(tag)
            if current is None or int(version) > int(current):
                self._versions[tag] = str(version)

    async def follow_invalidations(self) -> None:
        """Keep this process's tag versions current (run for the life of the process)."""
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                self._versions.clear()  # messages may have been missed: re-read versions
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._apply(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis away: forget versions, retry shortly
                log.warning("response cache invalidations lost (%s); resubscribing", exc)
                self._versions.clear()
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()


def following(cache: ResponseCache) -> contextlib.AbstractAsyncContextManager[None]:
    """Follow invalidations while the block runs (the app's lifespan)."""
    return running(cache.follow_invalidations(), name="response-cache-invalidations")


def citizen_tag(citizen_id: str) -> str:
    """The tag of one citizen's private entries."""
    return f"{CITIZEN}:{citizen_id}"


async def forget_private_answers(cache: ResponseCache, citizen_id: str) -> None:
    """End a citizen's cached private answers when their data changed outside their requests
    (a payment confirmed, an application moved, a notification arrived)."""
    await cache.invalidate((citizen_tag(citizen_id),))
