"""Public answers to GET requests, served from this process's memory before anything else runs.

`HotLaneMiddleware` takes the lane in front of the router; the GraphQL view teaches it.

A public persisted query (attractions near a point, the government catalogue) is asked by
many phones with the same query string. Once the response cache holds its answer, the only
work left is finding the bytes: this lane remembers, per query string and the headers the
answer depends on, where the answer lives, and answers from the in-process level of the
response cache without parsing the request, verifying a token or calling Redis. Anything it
does not know (a new query string, a private answer, an entry that expired or was
invalidated) goes the ordinary way, which teaches it.

Rate limits: these answers cost microseconds and no upstream or database work, so they are
counted per client address in this process (each replica allows the per-IP budget), not in
Redis; an address the shared limiter has refused is sent the ordinary way (and refused
there) until its retry time.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from prometheus_client import Counter
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from mychangsha.cache.policy import Scope as CacheScope
from mychangsha.cache.responses import ResponseCache
from mychangsha.context import client_ip
from mychangsha.observability.record import note_cache, note_operation

if TYPE_CHECKING:  # response_caching imports the schema, which imports the transport's peers
    from mychangsha.response_caching import CacheDecision

ROUTES: Final = 1024
WINDOW_SECONDS: Final = 60.0
_KEYED_HEADERS: Final = (b"accept", b"accept-language")

SERVED = Counter(
    "mychangsha_hot_answers",
    "Public GET answers sent from process memory before the request was parsed.",
)


@dataclass(frozen=True)
class _Route:
    """Where a query string's answer lives and the headers it is sent with."""

    decision: CacheDecision
    headers: tuple[tuple[bytes, bytes], ...]


def _route_key(scope: Scope) -> tuple[bytes, ...]:
    """The query string and the headers the answer varies with."""
    found = dict.fromkeys(_KEYED_HEADERS, b"")
    for name, value in scope["headers"]:
        if name in found:
            found[name] = value
    return (scope["query_string"], *found.values())


class HotAnswers:
    """The lane: learned routes, and per-address counts of the answers it served."""

    def __init__(self, *, per_ip_per_minute: int, trusted_proxy_hops: int) -> None:
        self._routes: OrderedDict[tuple[bytes, ...], _Route] = OrderedDict()
        self._limit = per_ip_per_minute
        self._hops = trusted_proxy_hops
        self._window = 0
        self._counts: dict[str, int] = {}
        self._refused_until: dict[str, float] = {}

    def learn(self, scope: Scope, decision: CacheDecision, headers: list[tuple[str, str]]) -> None:
        """Remember a GET's public answer location (private answers never take this lane)."""
        if scope.get("method") != "GET" or decision.policy.scope is not CacheScope.PUBLIC:
            return
        encoded = tuple((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers)
        key = _route_key(scope)
        self._routes[key] = _Route(decision, encoded)
        self._routes.move_to_end(key)
        while len(self._routes) > ROUTES:
            self._routes.popitem(last=False)

    def refused(self, scope: Scope, retry_after_seconds: float) -> None:
        """The shared limiter refused this address: no lane for it until it may retry."""
        address = client_ip(HTTPConnection(scope), self._hops)
        self._refused_until[address] = time.monotonic() + retry_after_seconds

    async def answer(self, scope: Scope, send: Send, cache: ResponseCache) -> bool:
        """Send the stored answer and return True, or False to go the ordinary way."""
        if scope.get("method") != "GET" or not scope["query_string"]:
            return False
        route = self._routes.get(_route_key(scope))
        if route is None:
            return False
        body = cache.peek(route.decision.base, route.decision.tags)
        if body is None or not self._within_budget(scope):
            return False
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), *route.headers],
            }
        )
        await send({"type": "http.response.body", "body": body})
        SERVED.inc()
        note_operation(route.decision.policy.operation, "query")
        note_cache("hot")
        return True

    def _within_budget(self, scope: Scope) -> bool:
        """Count one answer for the address; False when it is over budget or refused."""
        address = client_ip(HTTPConnection(scope), self._hops)
        now = time.monotonic()
        window = int(now // WINDOW_SECONDS)
        if window != self._window:
            self._window, self._counts = window, {}
            self._refused_until = {a: t for a, t in self._refused_until.items() if t > now}
        if self._refused_until.get(address, 0.0) > now:
            return False
        used = self._counts.get(address, 0)
        if used >= self._limit:
            return False
        self._counts[address] = used + 1
        return True


class HotLaneMiddleware:
    """Takes the hot lane before Starlette's router: a hit needs no routing and no handler.

    Placed inside the guards and the access middleware, so a hot answer carries the same
    headers, request id, log line and metrics as any other.
    """

    def __init__(self, app: ASGIApp, *, hot: HotAnswers, path: str) -> None:
        self.app = app
        self.hot = hot
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            cache: ResponseCache = scope["app"].state.services.response_cache
            if await self.hot.answer(scope, send, cache):
                return
        await self.app(scope, receive, send)
