"""The one Redis client of a process."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff


def connect(url: str) -> Redis:
    """Open the process-wide client; short timeouts so a dead Redis degrades fast, never hangs."""
    return Redis.from_url(
        url,
        socket_connect_timeout=0.5,
        socket_timeout=1.0,
        health_check_interval=15,
        max_connections=200,
        # redis-py retries ten times by default; one quick retry covers a dropped connection
        # without turning a dead Redis into seconds of latency on every call.
        retry=Retry(NoBackoff(), 1),
    )


async def ping(client: Redis) -> bool:
    """True when Redis answers; readiness probes call this."""
    try:
        return bool(await client.ping())
    except Exception:  # any failure means "not ready"
        return False
