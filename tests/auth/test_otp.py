"""One-time codes against a real redis-server and the SMS simulator over real HTTP."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from redis.asyncio import Redis

from mychangsha.auth.crypto import FieldCipher
from mychangsha.auth.otp import MAX_TRIES, CodeRejected, CodeSent, Limited, OneTimeCodes
from mychangsha.auth.ratelimit import RateLimiter
from mychangsha.cache import redis as redis_cache
from mychangsha.integrations.errors import UpstreamError
from mychangsha.integrations.http import UpstreamClient, UpstreamConfig
from mychangsha.integrations.sms import SmsClient
from mychangsha.simulators import sms
from tests.support.servers import serve_in_thread


@pytest.fixture(scope="module")
def sms_url() -> Iterator[str]:
    with serve_in_thread(sms.create_app()) as url:
        yield url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = redis_cache.connect(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
async def codes(redis: Redis, sms_url: str) -> AsyncIterator[OneTimeCodes]:
    upstream = UpstreamClient(UpstreamConfig("sms", sms_url, retries=0), redis)
    limiter = RateLimiter(redis, prefix=f"rl-{uuid.uuid4().hex[:8]}")
    yield OneTimeCodes(redis, limiter, FieldCipher(bytes(32)), SmsClient(upstream))
    await upstream.aclose()


def _phone() -> str:
    return f"137{random.randrange(10**8):08d}"


async def _outbox(sms_url: str, phone: str) -> list[dict[str, object]]:
    async with httpx.AsyncClient(base_url=sms_url) as http:
        items: list[dict[str, object]] = (
            await http.get("/outbox", params={"phone": phone})
        ).json()["items"]
        return items


async def _latest(sms_url: str, phone: str) -> str:
    params = (await _outbox(sms_url, phone))[0]["params"]
    assert isinstance(params, dict)
    return str(params["code"])


async def test_ten_codes_per_phone_per_day(codes: OneTimeCodes, redis: Redis) -> None:
    phone = _phone()
    outcomes = []
    for n in range(11):
        await redis.delete(f"otp:cooldown:{phone}")  # as if a minute had passed
        outcomes.append(await codes.send(phone, client_ip=f"10.9.{n}.1"))
    assert all(isinstance(o, CodeSent) for o in outcomes[:10])
    eleventh = outcomes[10]
    assert isinstance(eleventh, Limited) and eleventh.retry_after > 3600


async def test_codes_are_stored_only_as_hashes(
    codes: OneTimeCodes, redis: Redis, sms_url: str
) -> None:
    phone = _phone()
    assert isinstance(await codes.send(phone, client_ip="10.8.0.1"), CodeSent)
    code = await _latest(sms_url, phone)
    stored = await redis.hgetall(f"otp:code:{phone}")
    assert stored[b"left"] == str(MAX_TRIES).encode()
    assert code.encode() not in stored[b"h"] and len(stored[b"h"]) == 64
    assert 290 <= await redis.ttl(f"otp:code:{phone}") <= 300


async def test_a_new_code_replaces_the_old_one(
    codes: OneTimeCodes, redis: Redis, sms_url: str
) -> None:
    phone = _phone()
    await codes.send(phone, client_ip="10.8.0.2")
    old = await _latest(sms_url, phone)
    await redis.delete(f"otp:cooldown:{phone}")
    await codes.send(phone, client_ip="10.8.0.2")
    new = await _latest(sms_url, phone)
    if old != new:  # one in a million they coincide
        assert isinstance(await codes.check(phone, old, client_ip="10.8.0.2"), CodeRejected)
    assert await codes.check(phone, new, client_ip="10.8.0.2") is True


async def test_concurrent_sends_for_one_phone_send_one_sms(
    codes: OneTimeCodes, sms_url: str
) -> None:
    phone = _phone()
    outcomes = await asyncio.gather(*(codes.send(phone, client_ip="10.8.0.3") for _ in range(10)))
    assert sum(isinstance(o, CodeSent) for o in outcomes) == 1
    assert len(await _outbox(sms_url, phone)) == 1


async def test_a_failed_sms_lets_the_citizen_retry_at_once(
    codes: OneTimeCodes, redis: Redis, sms_url: str
) -> None:
    phone = _phone()
    async with httpx.AsyncClient(base_url=sms_url) as admin:
        (await admin.put("/__admin/faults", json={"down": True})).raise_for_status()
        try:
            with pytest.raises(UpstreamError):
                await codes.send(phone, client_ip="10.8.0.4")
        finally:
            (await admin.post("/__admin/reset")).raise_for_status()
    assert await redis.exists(f"otp:cooldown:{phone}", f"otp:code:{phone}") == 0
    assert isinstance(await codes.send(phone, client_ip="10.8.0.4"), CodeSent)
