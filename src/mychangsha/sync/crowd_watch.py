"""Watch live crowd levels and publish each change to crowdLevelChanged subscribers.

The tourism platform has no change feed for crowds, so the graph polls it. Every
CROWD_POLL_SECONDS one replica takes a lease (`SET NX PX`: the period may be under a
second, which `scheduler._claim_period`'s whole seconds cannot express), reads every reading
straight from the platform, and hands the levels to `LastSeen`, whose atomic compare-and-set
reports each change to exactly one caller even when a lease ran out mid-poll and two replicas
polled. Only changes are published, one channel per attraction.

While no socket on any replica listens to a crowd channel, nothing is polled: the platform
is not asked for readings nobody receives. The last levels then expire after a few periods,
so the first poll after a quiet spell records levels instead of reporting "changes" against
readings from long ago.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from redis.asyncio import Redis

from mychangsha.background import running
from mychangsha.cache.last_seen import LastSeen
from mychangsha.cache.pubsub import Broadcaster
from mychangsha.integrations.errors import UpstreamError
from mychangsha.integrations.tourism.client import TourismClient
from mychangsha.integrations.tourism.models import CrowdLevel
from mychangsha.resolvers.crowd import CHANNEL_PREFIX, CrowdLevelChange, channel_of
from mychangsha.services import Services

log = logging.getLogger(__name__)

LEASE_KEY = "mychangsha:crowd-watch:lease"
LEVELS_KEY = "mychangsha:crowd-watch:levels"
# Periods the last levels outlive the last poll: a subscriber reconnecting within them keeps
# its continuity; after them the levels start afresh.
KEEP_PERIODS = 3
# The lease lapses just before the next period, so some replica always takes it.
LEASE_SHARE = 0.9


class CrowdWatcher:
    """Polls crowd readings once per period across replicas and publishes level changes."""

    def __init__(
        self,
        *,
        redis: Redis,
        broadcaster: Broadcaster,
        tourism: TourismClient,
        period: float,
        lease_key: str = LEASE_KEY,
    ) -> None:
        """`lease_key` names who takes turns: watchers sharing it poll once per period."""
        self.period = period
        self._redis = redis
        self._lease_key = lease_key
        self._broadcaster = broadcaster
        self._tourism = tourism
        self._levels = LastSeen(redis, LEVELS_KEY, ttl_seconds=KEEP_PERIODS * period)
        self._lease_ms = max(int(period * LEASE_SHARE * 1000), 1)

    @classmethod
    def of(cls, services: Services) -> CrowdWatcher:
        """The watcher of one process, on its shared clients."""
        return cls(
            redis=services.redis,
            broadcaster=services.broadcaster,
            tourism=services.tourism,
            period=services.settings.crowd_poll_seconds,
        )

    async def claim(self) -> bool:
        """Whether this replica polls this period: the first to set the lease wins."""
        return bool(await self._redis.set(self._lease_key, b"1", nx=True, px=self._lease_ms))

    async def poll(self) -> int:
        """Read every level once and publish what changed; how many changes were published."""
        if not await self._broadcaster.listened(CHANNEL_PREFIX + "*"):
            return 0
        await self._levels.touch()  # listeners keep the last levels even if the read fails
        observed_ms = await self._levels.now_ms()
        readings = await self._tourism.fresh_crowd_readings()
        changes = await self._levels.record(
            {attraction_id: r.level.value for attraction_id, r in readings.items()},
            observed_ms=observed_ms,
        )
        if not changes:
            return 0
        # A subscriber told of a change may read `crowd` next: it must not see the old level.
        await self._tourism.forget_crowd_readings()
        published = 0
        for change in changes:
            try:
                previous = CrowdLevel(change.previous)
            except ValueError:  # stored by a version with other levels: nothing to compare
                continue
            event = CrowdLevelChange.of(readings[change.name], previous).to_event()
            await self._broadcaster.publish(channel_of(change.name), event)
            published += 1
        return published

    async def run(self) -> None:
        """Poll every period until cancelled; a failed period is logged and the next retries."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while True:
            due = max(due + self.period, loop.time())  # after a slow poll, no burst to catch up
            await asyncio.sleep(due - loop.time())
            try:
                if await self.claim():
                    await self.poll()
            except UpstreamError as exc:
                log.warning("crowd watch: no readings this period (%s)", exc)
            except Exception:
                log.exception("crowd watch failed; the next period tries again")


def background_crowd_watch(services: Services) -> contextlib.AbstractAsyncContextManager[None]:
    """Watch crowd levels while the block runs."""
    return running(CrowdWatcher.of(services).run(), name="crowd-watch")
