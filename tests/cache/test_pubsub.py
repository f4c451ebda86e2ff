"""Events published through one Redis connection reach listeners on others."""

from __future__ import annotations

import asyncio
import contextlib
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


async def test_one_listener_follows_several_channels_and_is_seen_listening(
    redis_url: str,
) -> None:
    client = redis_cache.connect(redis_url)
    broadcaster = Broadcaster(client)
    tag = uuid.uuid4().hex
    channels = [f"test-many:{tag}:a", f"test-many:{tag}:b"]
    received: asyncio.Queue[dict[str, object]] = asyncio.Queue()

    async def relay() -> None:
        async for event in broadcaster.listen_many(channels):
            received.put_nowait(event)

    task = asyncio.create_task(relay())
    try:
        for _ in range(250):
            if await broadcaster.listened(f"test-many:{tag}:*") == set(channels):
                break
            await asyncio.sleep(0.02)
        assert await broadcaster.listened(f"test-many:{tag}:*") == set(channels)
        await broadcaster.publish(f"test-many:{tag}:c", {"n": 0})
        await broadcaster.publish(channels[1], {"n": 1})
        await broadcaster.publish(channels[0], {"n": 2})
        got = [await asyncio.wait_for(received.get(), 5) for _ in range(2)]
        assert got == [{"n": 1}, {"n": 2}]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    for _ in range(250):  # the connection unsubscribed when the consumer stopped
        if not await broadcaster.listened(f"test-many:{tag}:*"):
            break
        await asyncio.sleep(0.02)
    assert await broadcaster.listened(f"test-many:{tag}:*") == set()
    await client.aclose()
