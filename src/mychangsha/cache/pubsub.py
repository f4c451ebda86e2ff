"""Live updates across replicas: Redis pub/sub carries an event to every subscribed socket.

A subscription may be open on any replica while the change that concerns it arrives at
another (a webhook, a poller), so events are published to Redis and every replica relays
what its own sockets listen to. Channels are per citizen, so a socket receives only its
owner's events.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping
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

    def listen(self, channel: str) -> AsyncIterator[dict[str, Any]]:
        """Every event of a channel from now on, until the consumer stops iterating."""
        return self.listen_many([channel])

    async def listen_many(self, channels: Iterable[str]) -> AsyncIterator[dict[str, Any]]:
        """Every event of several channels, in arrival order, over one Redis connection.

        One connection per socket however many channels it follows: a subscriber to fifty
        attractions must not hold fifty connections of the pool.
        """
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        await pubsub.subscribe(*(PREFIX + channel for channel in channels))
        try:
            async for message in pubsub.listen():
                if message.get("type") == "message":
                    event: dict[str, Any] = orjson.loads(message["data"])
                    yield event
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()

    async def listened(self, pattern: str) -> set[str]:
        """Channels matching a glob that some replica's socket listens to right now.

        Lets a poller stay idle while nobody would receive what it publishes.
        """
        names = await self._redis.pubsub_channels(PREFIX + pattern)
        return {
            (name.decode() if isinstance(name, bytes) else str(name)).removeprefix(PREFIX)
            for name in names
        }
