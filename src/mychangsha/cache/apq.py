"""The Automatic Persisted Queries store: Redis shared by every replica, an LRU in front.

A client registers a document once on any replica and sends only its hash afterwards, so the
store must be shared; the in-process LRU answers the hot operations without a Redis round
trip. Entries live a week from their last use, so documents of app versions nobody runs any
more fade away on their own. A Redis outage only costs clients one retry with the full text.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import OrderedDict

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "mychangsha:apq:"
TTL_SECONDS = 7 * 24 * 3600
MAX_DOCUMENT_BYTES = 50_000
LOCAL_ENTRIES = 1024
REFRESH_SECONDS = 3600.0


class APQStore:
    """Documents by the SHA-256 hex of their text."""

    def __init__(
        self,
        redis: Redis,
        *,
        ttl_seconds: int = TTL_SECONDS,
        local_entries: int = LOCAL_ENTRIES,
        refresh_seconds: float = REFRESH_SECONDS,
    ) -> None:
        self._redis = redis
        self._ttl = ttl_seconds
        self._refresh = refresh_seconds
        self._local: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._local_entries = local_entries

    async def get(self, sha256: str) -> str | None:
        """The registered document, its week in Redis restarted; None if unknown.

        A hit in memory skips Redis, restarting the entry's TTL there at most once per
        refresh period: enough to keep a used document alive, without a write per request.
        """
        entry = self._local.get(sha256)
        if entry is not None:
            self._local.move_to_end(sha256)
            document, refreshed = entry
            if time.monotonic() - refreshed >= self._refresh:
                with contextlib.suppress(RedisError):
                    await self._redis.expire(KEY_PREFIX + sha256, self._ttl)
                self._remember(sha256, document)
            return document
        try:
            raw = await self._redis.getex(KEY_PREFIX + sha256, ex=self._ttl)
        except RedisError as exc:
            log.warning("APQ store unavailable: %s", exc)
            return None
        if raw is None:
            return None
        document = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        self._remember(sha256, document)
        return document

    async def put(self, sha256: str, document: str) -> None:
        """Register a document the caller has checked against its hash."""
        self._remember(sha256, document)
        try:
            await self._redis.set(KEY_PREFIX + sha256, document.encode("utf-8"), ex=self._ttl)
        except RedisError as exc:
            log.warning("APQ store unavailable, document kept in this process only: %s", exc)

    def _remember(self, sha256: str, document: str) -> None:
        self._local[sha256] = (document, time.monotonic())
        self._local.move_to_end(sha256)
        while len(self._local) > self._local_entries:
            self._local.popitem(last=False)
