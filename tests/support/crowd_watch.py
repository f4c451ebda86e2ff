"""Waiting on the crowd watcher, which reports a change only against a level it recorded."""

from __future__ import annotations

import redis

from mychangsha.sync.crowd_watch import LEVELS_KEY
from tests.api.hospital_journey import wait_until


def wait_until_watched(redis_url: str, attraction_id: str, timeout: float = 20.0) -> None:
    """Block until the watcher has recorded the attraction's level, so the next pin is a change.

    The first poll after nobody listened records levels without reporting them: a pin made
    before it would become the baseline and never be pushed.
    """
    with redis.Redis.from_url(redis_url) as client:
        wait_until(lambda: client.hget(LEVELS_KEY, attraction_id), timeout=timeout)
