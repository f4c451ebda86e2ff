"""Every mutation ends the cached answers it may have changed.

Declared once for all mutations (through `schema.mutation_limits.mutation`): the asking
citizen's private answers always go, and the tags `MUTATION_TAGS` names for the mutation
(e.g. ticket places after a reservation) go for everyone. It runs even when the mutation
failed half way, since a failure may still have changed something upstream.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from mychangsha.cache.responses import citizen_tag
from mychangsha.schema.async_field_extension import AsyncFieldExtension
from mychangsha.schema.cache_hints import MUTATION_TAGS


class InvalidatesCachedAnswers(AsyncFieldExtension):
    """After the mutation: invalidate its tags and the citizen's private answers."""

    async def resolve_async(
        self,
        next_: Callable[..., Awaitable[Any]],
        source: Any,
        info: strawberry.Info,
        **kwargs: Any,
    ) -> Any:
        try:
            return await next_(source, info, **kwargs)
        finally:
            tags = set(MUTATION_TAGS.get(info.field_name, frozenset()))
            claims = await info.context.claims()
            if claims is not None:
                tags.add(citizen_tag(claims.citizen_id))
            await info.context.services.response_cache.invalidate(tags)
