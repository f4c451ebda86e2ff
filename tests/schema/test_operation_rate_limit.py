"""Per-operation rate limits in process, on the session's real redis-server (and a dead one)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from redis.asyncio import Redis
from starlette.requests import Request

from mychangsha.auth.ratelimit import RateLimiter
from mychangsha.context import Context
from mychangsha.schema import build_schema
from mychangsha.schema.operation_rate_limit import operation_refusal
from mychangsha.settings import Settings
from tests.support.servers import free_port


def context_on(redis: Redis, *, per_ip: int) -> Context:
    """A request context whose only service is a limiter (no token, address "unknown")."""
    settings = Settings(operation_rate_per_ip=per_ip, operation_rate_per_citizen=per_ip)
    limiter = RateLimiter(redis, prefix=f"test-{uuid.uuid4().hex}")
    services: Any = SimpleNamespace(settings=settings, identity=SimpleNamespace(limiter=limiter))
    return Context(services=services)


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


async def test_the_operation_over_budget_is_rate_limited(redis: Redis) -> None:
    context = context_on(redis, per_ip=2)
    schema = build_schema()
    for _ in range(2):
        result = await schema.execute("{ __typename }", context_value=context)
        assert result.errors is None
    refused = await schema.execute("{ __typename }", context_value=context)
    assert refused.data is None
    [error] = refused.errors or []
    assert error.extensions is not None
    assert error.extensions["code"] == "RATE_LIMITED"
    assert 1 <= error.extensions["retryAfterSeconds"] <= 60


async def test_invalid_documents_count_and_the_refusal_replaces_their_errors(
    redis: Redis,
) -> None:
    context = context_on(redis, per_ip=1)
    schema = build_schema()
    first = await schema.execute("{ nope }", context_value=context)
    assert [(e.extensions or {}).get("code") for e in first.errors or []] == ["BAD_USER_INPUT"]
    second = await schema.execute("{ nope }", context_value=context)
    assert [(e.extensions or {}).get("code") for e in second.errors or []] == ["RATE_LIMITED"]


async def test_operations_run_when_redis_is_down() -> None:
    dead = Redis(port=free_port(), socket_connect_timeout=0.2)
    try:
        context = context_on(dead, per_ip=1)
        for _ in range(3):
            result = await build_schema().execute("{ __typename }", context_value=context)
            assert result.errors is None
    finally:
        await dead.aclose()


def http_request(ip: str) -> Request:
    return Request({"type": "http", "method": "POST", "headers": [], "client": (ip, 1234)})


async def test_an_http_request_is_counted_once(redis: Redis) -> None:
    """The HTTP layer may ask before strawberry does; the request still costs one hit."""
    budget = context_on(redis, per_ip=1)
    request = http_request("10.9.8.7")
    context = Context(services=budget.services, connection=request)
    assert await operation_refusal(context) is None
    assert await operation_refusal(context) is None  # the same request: the same verdict
    again = Context(services=budget.services, connection=http_request("10.9.8.7"))
    refusal = await operation_refusal(again)
    assert refusal is not None
    assert refusal.code == "RATE_LIMITED"
