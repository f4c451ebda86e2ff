"""Live updates across replicas: Redis pub/sub carries an event to every subscribed socket.

A subscription may be open on any replica while the change that concerns it arrives at
another (a webhook, a poller), so events are published to Redis and every replica relays
what its own sockets listen to. Channels are per citizen, so a socket receives only its
owner's events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import orjson
from redis.asyncio import Redis

PREFIX = "mychangsha:live:"


class Broadcaster:
    """Publishes and relays JSON events on named channels."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def publish(self, channel: str, event: Mapping[str, Any]) -> int:
        """Send an event; how many listeners (sockets' relays) received it."""
        return int(await self._redis.publish(PREFIX + channel, orjson.dumps(dict(event))))

    async def listen(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        """Every event of a channel from now on, until the consumer stops iterating."""
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(PREFIX + channel)
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    event: dict[str, Any] = orjson.loads(message["data"])
                    yield event
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()  # type: ignore[no-untyped-call]
