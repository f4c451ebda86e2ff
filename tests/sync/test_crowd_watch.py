"""The crowd watcher against the real tourism simulator and redis-server.

Other replicas (the session's graph server) may watch the same Redis while these tests
run, so what is asserted is what listeners receive, which holds however many poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import redis
from redis.asyncio import Redis

from mychangsha.cache import redis as redis_cache
from mychangsha.cache.pubsub import Broadcaster
from mychangsha.integrations.http import UpstreamClient, UpstreamConfig
from mychangsha.integrations.tourism.client import TourismClient
from mychangsha.resolvers.crowd import channel_of
from mychangsha.sync.crowd_watch import LEASE_KEY, LEVELS_KEY, CrowdWatcher
from tests.conftest import SimulatorAdmin

ATTRACTION = "att-orange-isle"  # capacity 40 000
CROWD_ROUTE = "GET /v1/crowd"
PERIOD = 0.2

Listener = asyncio.Queue[dict[str, Any]]
Replicas = Callable[..., CrowdWatcher]


@pytest.fixture
async def replicas(redis_url: str, tourism_simulator: SimulatorAdmin) -> AsyncIterator[Replicas]:
    """Makes watchers as separate replicas would have them: own Redis and HTTP clients."""
    opened: list[tuple[Redis, UpstreamClient]] = []

    def make(lease_key: str = LEASE_KEY) -> CrowdWatcher:
        client = redis_cache.connect(redis_url)
        config = UpstreamConfig(
            "tourism", tourism_simulator.base_url, retries=0, breaker_threshold=1000
        )
        upstream = UpstreamClient(config, client)
        opened.append((client, upstream))
        return CrowdWatcher(
            redis=client,
            broadcaster=Broadcaster(client),
            tourism=TourismClient(upstream, crowd_cache_seconds=30),
            period=PERIOD,
            lease_key=lease_key,
        )

    yield make
    for client, upstream in opened:
        await upstream.aclose()
        await client.aclose()


@pytest.fixture
def crowd(tourism_simulator: SimulatorAdmin, redis_url: str) -> Iterator[Callable[[int], None]]:
    """The attraction pinned comfortable, no level remembered, before anyone listens.

    Unpinned (and the upstream healed) afterwards, so other tests see the normal curve.
    """

    def set_visitors(visitors: int) -> None:
        tourism_simulator.http.put(
            f"/__admin/crowd/{ATTRACTION}", json={"visitors": visitors}
        ).raise_for_status()

    set_visitors(1_000)
    with contextlib.closing(redis.Redis.from_url(redis_url)) as client:
        client.delete(LEVELS_KEY)
    try:
        yield set_visitors
    finally:
        tourism_simulator.set_faults()
        tourism_simulator.http.delete(f"/__admin/crowd/{ATTRACTION}").raise_for_status()


@pytest.fixture
async def listener(redis_url: str, crowd: Callable[[int], None]) -> AsyncIterator[Listener]:
    """Events of the attraction's channel as a socket's relay gets them, once subscribed."""
    client = redis_cache.connect(redis_url)
    broadcaster = Broadcaster(client)
    received: Listener = asyncio.Queue()

    async def relay() -> None:
        async for event in broadcaster.listen_many([channel_of(ATTRACTION)]):
            received.put_nowait(event)

    task = asyncio.create_task(relay())
    for _ in range(250):
        if await broadcaster.listened(channel_of(ATTRACTION)):
            break
        await asyncio.sleep(0.02)
    yield received
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await client.aclose()


async def _next(events: Listener, seconds: float = 2.0) -> dict[str, Any]:
    return await asyncio.wait_for(events.get(), seconds)


async def _nothing_within(events: Listener, seconds: float) -> bool:
    try:
        await asyncio.wait_for(events.get(), seconds)
    except TimeoutError:
        return True
    return False


async def test_nobody_listening_means_no_upstream_request(
    replicas: Replicas, tourism_simulator: SimulatorAdmin
) -> None:
    before = tourism_simulator.count(CROWD_ROUTE)
    assert await replicas().poll() == 0
    assert tourism_simulator.count(CROWD_ROUTE) == before


async def test_first_sighting_is_quiet_and_two_replicas_tell_a_change_once(
    replicas: Replicas,
    listener: Listener,
    crowd: Callable[[int], None],
) -> None:
    first, second = replicas(), replicas()
    assert await first.poll() == 0, "nothing to compare a first sighting with"
    assert await _nothing_within(listener, 0.3)

    crowd(30_000)  # busy
    published = await asyncio.gather(first.poll(), second.poll())
    assert sum(published) <= 1
    event = await _next(listener)
    assert event["attractionId"] == ATTRACTION
    assert (event["level"], event["previousLevel"]) == ("busy", "comfortable")
    assert (event["visitors"], event["capacity"]) == (30_000, 40_000)
    assert await _nothing_within(listener, 1.0), "told once"


async def test_a_failing_upstream_is_logged_and_the_next_period_tries_again(
    replicas: Replicas,
    listener: Listener,
    crowd: Callable[[int], None],
    tourism_simulator: SimulatorAdmin,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Its own lease: it polls every period whatever other replicas do.
    watcher = replicas(lease_key=f"test:crowd-watch:lease:{uuid.uuid4().hex}")
    await watcher.poll()  # the level is known
    tourism_simulator.set_faults(down=True, pathPrefix="/v1/crowd")
    crowd(39_000)  # crowded, while nobody can read it
    with caplog.at_level(logging.WARNING, logger="mychangsha.sync.crowd_watch"):
        task = asyncio.create_task(watcher.run())
        try:
            await asyncio.sleep(PERIOD * 4)
            assert len(caplog.records) >= 2, "a warning per failed period, and still polling"
            assert await _nothing_within(listener, 0.01)
            tourism_simulator.set_faults()
            event = await _next(listener)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
    assert (event["level"], event["previousLevel"]) == ("crowded", "comfortable")
