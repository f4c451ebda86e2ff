"""Events published through one Redis connection reach listeners on others."""

from __future__ import annotations

import asyncio
import uuid

from mychangsha.cache import redis as redis_cache
from mychangsha.cache.pubsub import Broadcaster


async def test_every_listener_of_a_channel_gets_the_event_and_no_other(redis_url: str) -> None:
    publisher_client = redis_cache.connect(redis_url)
    listener_clients = [redis_cache.connect(redis_url) for _ in range(2)]
    channel, other = f"citizen:{uuid.uuid4().hex}", f"citizen:{uuid.uuid4().hex}"
    try:
        listeners = [Broadcaster(c).listen(channel) for c in listener_clients]
        firsts = [asyncio.ensure_future(anext(listener)) for listener in listeners]
        publisher = Broadcaster(publisher_client)
        for _ in range(250):  # until both listeners have subscribed
            if await publisher.publish(channel, {"warm": True}) == 2:
                break
            await asyncio.sleep(0.02)
        await publisher.publish(other, {"status": "not yours"})
        await publisher.publish(channel, {"status": "approved"})
        assert [await f for f in firsts] == [{"warm": True}, {"warm": True}]
        for listener in listeners:
            nxt = await asyncio.wait_for(anext(listener), 5)
            while nxt == {"warm": True}:
                nxt = await asyncio.wait_for(anext(listener), 5)
            assert nxt == {"status": "approved"}
            await listener.aclose()
    finally:
        await publisher_client.aclose()
        for client in listener_clients:
            await client.aclose()
