"""Rate limits on every mutation, per IP and per signed-in citizen.

Applied as a field extension so only mutation fields pay for it (queries' fields stay free
of the extra await). `mutation()` is the one way the schema declares a mutation, and a test
checks that every Mutation field carries the extension. Fail-open: when Redis cannot count,
mutations still work; the specific limits that protect secrets (codes) fail closed instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from mychangsha.auth.ratelimit import Limit
from mychangsha.errors import RateLimited
from mychangsha.schema.async_field_extension import AsyncFieldExtension
from mychangsha.schema.cache_invalidation import InvalidatesCachedAnswers

PER_IP = Limit("mutation.ip", max_hits=120, window_seconds=60, fail_open=True)
PER_CITIZEN = Limit("mutation.citizen", max_hits=60, window_seconds=60, fail_open=True)


class MutationRateLimit(AsyncFieldExtension):
    """RATE_LIMITED (with retryAfterSeconds) once a caller exceeds its mutation budget."""

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: strawberry.Info,
        **kwargs: Any,
    ) -> Any:
        context = info.context
        limiter = context.services.identity.limiter
        decision = await limiter.hit(PER_IP, context.client_ip)
        if decision.allowed:
            claims = await context.claims()
            if claims is not None:
                decision = await limiter.hit(PER_CITIZEN, claims.citizen_id)
        if not decision.allowed:
            raise RateLimited(max(int(decision.retry_after + 0.999), 1))
        return await next_(source, info, **kwargs)


def mutation(*, description: str) -> Any:
    """`strawberry.mutation` with the rate limits and the cache invalidation attached."""
    return strawberry.mutation(
        description=description,
        extensions=[MutationRateLimit(), InvalidatesCachedAnswers()],
    )
