"""Rate limits on every operation (queries too), per client IP and per signed-in citizen.

Generous budgets (settings `operation_rate_per_ip`, `operation_rate_per_citizen`, per
minute) against scraping and runaway clients; mutations keep their stricter per-field limits
(schema/mutation_limits.py) on top. Counted in the validation phase, so documents that fail
validation count too, while nothing is resolved for a refused operation. Fail-open: when
Redis cannot count, operations run.

Both budgets are hit in one script call (`RateLimiter.hit_all`): one Redis round trip per
operation, and an operation refused by either budget is recorded by neither.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cache

from graphql import GraphQLError
from starlette.datastructures import State
from strawberry.extensions import SchemaExtension

from mychangsha.auth.ratelimit import Decision, Limit
from mychangsha.context import Context
from mychangsha.errors import RateLimited

WINDOW_SECONDS = 60.0
_VERDICT = "operation_rate_verdict"  # where an HTTP request's state keeps its verdict


@cache
def per_ip(max_hits: int) -> Limit:
    """The per-IP limit of a budget, built once per value."""
    return Limit("operation.ip", max_hits=max_hits, window_seconds=WINDOW_SECONDS, fail_open=True)


@cache
def per_citizen(max_hits: int) -> Limit:
    """The per-citizen limit of a budget, built once per value."""
    return Limit(
        "operation.citizen", max_hits=max_hits, window_seconds=WINDOW_SECONDS, fail_open=True
    )


async def decide(context: Context) -> Decision:
    """One hit on the caller's IP budget and, when signed in, on the citizen's budget."""
    settings = context.services.settings
    claims = await context.claims()
    hits = [(per_ip(settings.operation_rate_per_ip), context.client_ip)]
    if claims is not None:
        hits.append((per_citizen(settings.operation_rate_per_citizen), claims.citizen_id))
    return await context.services.identity.limiter.hit_all(hits)


async def operation_refusal(context: Context) -> RateLimited | None:
    """RateLimited when the caller is over budget, counting the operation once per request.

    The HTTP layer may answer before strawberry runs (a stored response): it calls this
    first, and the extension then reuses the verdict instead of counting the request twice.
    The verdict is kept on the HTTP request's state only; a websocket carries many
    operations, each counted on its own.
    """
    state = _http_state(context)
    if state is not None and hasattr(state, _VERDICT):
        verdict: RateLimited | None = getattr(state, _VERDICT)
        return verdict
    decision = await decide(context)
    refusal = None if decision.allowed else RateLimited(max(int(decision.retry_after + 0.999), 1))
    if state is not None:
        setattr(state, _VERDICT, refusal)
    return refusal


def _http_state(context: Context) -> State | None:
    connection = context.connection
    if connection is None or connection.scope.get("type") != "http":
        return None
    return connection.state


class OperationRateLimit(SchemaExtension):
    """RATE_LIMITED (with retryAfterSeconds) once a caller exceeds its operation budget.

    Without a request Context (a schema executed directly, as in unit tests) nothing is
    counted.
    """

    async def on_validate(self) -> AsyncIterator[None]:
        """Count the operation; a refusal replaces every other error of the request."""
        context = self.execution_context.context
        if isinstance(context, Context):
            refusal = await operation_refusal(context)
            if refusal is not None:
                self.execution_context.pre_execution_errors = [
                    GraphQLError(str(refusal), original_error=refusal)
                ]
        yield
