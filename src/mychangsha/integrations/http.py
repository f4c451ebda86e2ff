"""The one HTTP client layer every upstream goes through: timeouts, retries, breaker, cache.

Integrations (hospitals' FHIR, the government platform, tourism, payment, SMS …) only map
wire formats to domain objects; everything about *how* to talk to an upstream lives here, so
every upstream degrades the same way: bounded latency, fast failure while it is down, stale
data rather than none for cached reads, and metrics that show which upstream is hurting.

Cached reads are single-flight at two levels. In a process, concurrent misses for one key
share one asyncio task. Across processes (uvicorn workers, replicas), the task first takes a
short Redis lock (`SET NX PX`); a process that finds the lock taken polls the cache key until
the holder has written a fresh value, the lock is gone, or the lock's TTL has passed, and
then fetches itself. Redis is an optimisation only: any Redis failure is a miss, never an
error of the read.

Uploads (`send_multipart`) go through the same machinery. A file's body is bytes, a function
that opens a fresh stream (so an idempotent upload can be retried with the whole body again), or
a one-shot stream, which makes the call a single attempt whatever the caller says: a body that
cannot be read twice cannot be sent twice.

A GET's query is canonical: the params' pairs are sorted by key (stably, so a repeated key
keeps its values in the caller's order) and encoded once, and that one string is both what
goes on the wire and what the cache key hashes. A query already in the path (a server's
`next` link) is opaque: it is sent byte for byte, ahead of the params.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import logging
import random
import secrets
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, TypeVar
from urllib.parse import urlencode

import httpx
import orjson
from redis.asyncio import Redis
from redis.exceptions import RedisError

from mychangsha.integrations import metrics
from mychangsha.integrations.breaker import BreakerOpen, BreakerState, CircuitBreaker, Permit
from mychangsha.integrations.errors import (
    UpstreamError,
    UpstreamNotFound,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
# A mapping for the common case; (key, value) pairs when a key repeats (FHIR ANDs repeated
# parameters: `start=ge…&start=lt…`).
Params: TypeAlias = Mapping[str, str | int] | Sequence[tuple[str, str | int]]
# A file part's body: bytes; a function opening a fresh stream per attempt (replayable); or a
# one-shot stream (sent at most once).
FileBody: TypeAlias = bytes | Callable[[], AsyncIterator[bytes]] | AsyncIterable[bytes]
# (part name, (file name, body, media type)), as httpx's `files`.
MultipartFile: TypeAlias = tuple[str, tuple[str, FileBody, str]]
# What one attempt sends: nothing, bytes, or a stream opened afresh for each attempt.
_Content: TypeAlias = bytes | Callable[[], AsyncIterator[bytes]] | None

RETRYABLE_STATUSES = frozenset({502, 503, 504})
_RELEASE_LOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_POLL_FIRST, _POLL_MAX = 0.005, 0.05
# After a Redis failure, skip Redis for this long: a dead Redis costs one timeout, not three
# per read.
_REDIS_PAUSE = 1.0


@dataclass(frozen=True)
class UpstreamConfig:
    """How to reach one upstream and how hard to try; built from Settings per upstream."""

    name: str
    base_url: str
    connect_timeout: float = 1.0
    read_timeout: float = 3.0
    retries: int = 2  # extra attempts, idempotent calls only
    backoff_base: float = 0.05
    backoff_max: float = 1.0  # exponential backoff with full jitter
    breaker_threshold: int = 5
    breaker_cooldown: float = 10.0
    max_connections: int = 100
    cache_timeout: float = 0.5  # budget of one Redis call: a sick Redis must not slow reads
    # Sent on every request (e.g. a FHIR server's `accept`); a call's own headers win.
    # Not hashed: a read-only mapping is not hashable, and equal configs still hash equal.
    default_headers: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )

    def __post_init__(self) -> None:
        """Copy the headers read-only: a frozen config must not change via the caller's dict."""
        object.__setattr__(self, "default_headers", MappingProxyType(dict(self.default_headers)))


class _Redis(enum.Enum):
    """Marker for 'the Redis call failed', distinct from a None reply."""

    DOWN = enum.auto()


@dataclass(frozen=True, slots=True)
class _Entry:
    """A cached body and the wall-clock time until which it counts as fresh."""

    body: bytes
    fresh_until: float

    def encode(self) -> bytes:
        """Raw bytes after a header line: no re-encoding of the upstream's JSON."""
        return b"%.6f\n" % self.fresh_until + self.body

    @classmethod
    def decode(cls, raw: bytes | str | Literal[_Redis.DOWN] | None) -> _Entry | None:
        """None for a missing, unreadable or unreachable value: each of them is a miss."""
        if raw is None or raw is _Redis.DOWN:
            return None
        if isinstance(raw, str):  # a client made with decode_responses=True
            raw = raw.encode()
        head, sep, body = raw.partition(b"\n")
        try:
            return cls(body, float(head)) if sep else None
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class _Filled:
    """What a flight produced for its waiters: raw JSON bytes, and whether they are stale."""

    body: bytes
    stale: bool


async def _live(fetch: Callable[[], Awaitable[httpx.Response]]) -> _Filled:
    """An uncached read as a flight's result."""
    return _Filled((await fetch()).content, stale=False)


@dataclass(frozen=True, slots=True)
class _Failure:
    """An attempt that failed; `retryable` says whether another attempt may help."""

    error: UpstreamError
    retryable: bool


class UpstreamClient:
    """One upstream's connection pool, breaker and cache; opened once per process."""

    def __init__(
        self,
        config: UpstreamConfig,
        redis: Redis,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._name = config.name
        self._redis = redis
        self._wall = wall_clock
        self._breaker = CircuitBreaker(
            threshold=config.breaker_threshold,
            cooldown=config.breaker_cooldown,
            clock=clock,
            on_change=self._breaker_changed,
        )
        metrics.set_breaker_state(config.name, "closed")
        headers = httpx.Headers({"accept": "application/json", "user-agent": "mychangsha"})
        headers.update(config.default_headers)  # case-insensitive: replaces, never duplicates
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            timeout=httpx.Timeout(
                connect=config.connect_timeout,
                read=config.read_timeout,
                write=config.read_timeout,
                pool=config.connect_timeout,
            ),
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
            headers=headers,
            transport=transport,
        )
        self._release_lock = redis.register_script(_RELEASE_LOCK)
        self._lock_ttl = config.connect_timeout + config.read_timeout
        self._flights: dict[str, asyncio.Task[_Filled]] = {}
        self._redis_paused_until = 0.0

    @property
    def breaker_state(self) -> BreakerState:
        """closed, half_open or open: health checks and tests read it."""
        return self._breaker.state

    async def aclose(self) -> None:
        """Stop pending fills and close the pool; the Redis client belongs to the caller."""
        flights = list(self._flights.values())
        for task in flights:
            task.cancel()
        await asyncio.gather(*flights, return_exceptions=True)
        await self._http.aclose()

    # --- public calls ---------------------------------------------------------------------

    async def get_json(
        self,
        path: str,
        params: Params | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        cache_ttl: float | None = None,
        stale_ttl: float = 3600.0,
        shared: bool = False,
    ) -> Any:
        """GET a JSON resource, retried; with cache_ttl, read through Redis with stale-if-error.

        A query in `path` is kept and the params are appended to it. `headers` are not part of
        the cache key (a shared fill sends the first caller's), so they must not change the
        representation beyond what the path and params already pin down. `shared` (uncached
        reads): callers asking while an identical request is in flight share its answer, which
        is then at most one request old; a thousand citizens pressing "book" on one slot make
        one read of it, not a thousand.
        """
        path, query = _target(path, params)
        fetch = partial(self._get, path, query, headers)
        if cache_ttl is None:
            if not shared:
                return self._json((await fetch()).content)
            key = "live:" + self._cache_key("GET", path, query)
            return self._json((await self._join_flight(key, partial(_live, fetch))).body)
        key = self._cache_key("GET", path, query)
        cached = _Entry.decode(await self._redis_value(lambda: self._redis.get(key)))
        if cached is not None and cached.fresh_until > self._wall():
            metrics.count_cache(self._name, "hit")
            return self._json(cached.body)
        filled = await self._join_flight(
            key, lambda: self._fill(key, fetch, cache_ttl, stale_ttl, cached)
        )
        metrics.count_cache(self._name, "stale" if filled.stale else "miss")
        return self._json(filled.body)

    async def invalidate(self, path: str, params: Params | None = None) -> None:
        """Forget a cached GET (fresh and stale): after a write the next read goes upstream.

        Same path and params as the read, in any form that makes the same query: a mapping
        and its pairs, or a query in the path and the same pairs as params, name one key.
        """
        key = self._cache_key("GET", *_target(path, params))
        await self._redis_value(lambda: self._redis.delete(key))

    async def send_json(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> tuple[int, Any]:
        """A mutation; retried only when the caller vouches it is idempotent (idempotency key)."""
        request_headers = dict(headers or {})
        content = None
        if json is not None:
            content = orjson.dumps(json)
            request_headers.setdefault("content-type", "application/json")
        response = await self._request(
            method.upper(), path, content=content, headers=request_headers, idempotent=idempotent
        )
        return response.status_code, self._json(response.content)

    async def send_multipart(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, str] | Sequence[tuple[str, str]] = (),
        files: Sequence[MultipartFile] = (),
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
    ) -> tuple[int, Any]:
        """An upload as multipart/form-data; streamed file bodies are never held whole.

        Retried only when the caller vouches it is idempotent and every file body can be read
        again (bytes or a stream opener): a one-shot stream makes it a single attempt.
        """
        boundary = secrets.token_hex(16)
        fields = list(data.items()) if isinstance(data, Mapping) else list(data)
        replayable = all(isinstance(body, bytes) or callable(body) for _, (_, body, _) in files)
        request_headers = dict(headers or {})
        request_headers["content-type"] = f"multipart/form-data; boundary={boundary}"
        response = await self._request(
            method.upper(),
            path,
            content=_multipart(boundary, fields, files),
            headers=request_headers,
            idempotent=idempotent and replayable,
        )
        return response.status_code, self._json(response.content)

    async def get_bytes(
        self,
        path: str,
        params: Params | None = None,
        *,
        headers: Mapping[str, str] | None = None,
    ) -> bytes:
        """GET a binary resource (a PDF), retried, never cached: files stay out of Redis."""
        path, query = _target(path, params)
        return (await self._get(path, query, headers)).content

    # --- cache and single-flight ----------------------------------------------------------

    def _cache_key(self, method: str, path: str, query: str) -> str:
        """The query as sent: what the upstream sees is exactly what the key distinguishes."""
        digest = hashlib.sha256(f"{method}\n{path}\n{query}".encode()).hexdigest()
        return f"mychangsha:up:{self._name}:{digest}"

    async def _join_flight(
        self, key: str, start: Callable[[], Coroutine[Any, Any, _Filled]]
    ) -> _Filled:
        """Share one fill per key in this process; a cancelled waiter never cancels the fill."""
        task = self._flights.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(start(), name=f"fill:{self._name}")
            self._flights[key] = task
            task.add_done_callback(partial(self._flight_done, key))
        return await asyncio.shield(task)

    def _flight_done(self, key: str, task: asyncio.Task[_Filled]) -> None:
        if self._flights.get(key) is task:
            del self._flights[key]
        if not task.cancelled():
            task.exception()  # retrieved here, so no warning when every waiter has gone

    async def _fill(
        self,
        key: str,
        fetch: Callable[[], Awaitable[httpx.Response]],
        ttl: float,
        stale_ttl: float,
        stale: _Entry | None,
    ) -> _Filled:
        """Fetch and cache one key, taking the cross-process lock or waiting on its holder."""
        lock, token = f"{key}:lock", secrets.token_hex(8)
        px = max(int(self._lock_ttl * 1000), 1)
        locked = await self._redis_value(lambda: self._redis.set(lock, token, nx=True, px=px))
        if locked is None:  # a peer process is fetching this key right now
            fresh = await self._await_peer(key, lock)
            if fresh is not None:
                return _Filled(fresh.body, stale=False)
        try:
            try:
                response = await fetch()
            except (UpstreamUnavailable, UpstreamTimeout):
                if stale is None:
                    raise
                return _Filled(stale.body, stale=True)
            self._json(response.content)  # never cache a body no reader could decode
            entry = _Entry(response.content, self._wall() + ttl)
            expiry = max(int((ttl + stale_ttl) * 1000), 1)
            await self._redis_value(lambda: self._redis.set(key, entry.encode(), px=expiry))
            return _Filled(response.content, stale=False)
        finally:
            if locked is True:
                await self._redis_value(lambda: self._release_lock(keys=[lock], args=[token]))

    async def _await_peer(self, key: str, lock: str) -> _Entry | None:
        """Poll until the lock holder has cached a fresh value; None: fetch it yourself."""
        loop = asyncio.get_running_loop()
        deadline, delay = loop.time() + self._lock_ttl, _POLL_FIRST
        while loop.time() < deadline:
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)
            values = await self._redis_value(lambda: self._redis.mget(key, lock))
            if values is _Redis.DOWN:
                return None
            entry = _Entry.decode(values[0])
            if entry is not None and entry.fresh_until > self._wall():
                return entry
            if values[1] is None:  # the holder finished without a fresh value
                return None
        return None

    async def _redis_value(self, call: Callable[[], Awaitable[T]]) -> T | Literal[_Redis.DOWN]:
        """Run a Redis call within its budget; a failure is counted, pauses Redis, is DOWN."""
        loop = asyncio.get_running_loop()
        if loop.time() < self._redis_paused_until:
            return _Redis.DOWN
        try:
            async with asyncio.timeout(self.config.cache_timeout):
                return await call()
        except (RedisError, OSError, TimeoutError) as exc:
            self._redis_paused_until = loop.time() + _REDIS_PAUSE
            metrics.count_cache(self._name, "redis_error")
            log.warning("redis unusable for upstream cache %s: %r", self._name, exc)
            return _Redis.DOWN

    # --- transport, retries, breaker ------------------------------------------------------

    async def _get(
        self, path: str, query: str, headers: Mapping[str, str] | None
    ) -> httpx.Response:
        return await self._request("GET", path, query=query, headers=headers, idempotent=True)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        content: _Content = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> httpx.Response:
        """Send with retries for idempotent calls; below-500 answers are returned or raised."""
        attempts = 1 + (self.config.retries if idempotent else 0)
        failure: _Failure | None = None
        for attempt in range(attempts):
            if failure is not None:
                if not failure.retryable or self._breaker.state != "closed":
                    break
                await asyncio.sleep(self._backoff(attempt))
            try:
                permit = self._breaker.acquire()
            except BreakerOpen:
                metrics.count_request(self._name, method, "breaker_open")
                if failure is not None:
                    break
                raise UpstreamUnavailable(
                    self._name, f"{self._name} is cut off (breaker open)"
                ) from None
            result = await self._attempt(permit, method, path, query, content, headers)
            if isinstance(result, httpx.Response):
                return self._checked(result)
            failure = result
        assert failure is not None
        raise failure.error

    def _backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to the exponential cap, so retries do not align."""
        cap = min(self.config.backoff_max, self.config.backoff_base * 2 ** (attempt - 1))
        return random.uniform(0.0, cap)

    async def _attempt(
        self,
        permit: Permit,
        method: str,
        path: str,
        query: str,
        content: _Content,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response | _Failure:
        """One request: its outcome is counted, timed and reported to the breaker.

        The query is already encoded and goes into the URL as it is: httpx's `params` would
        replace a query the URL carries, and would re-encode an opaque one. Messages name the
        path only, as a query may carry a patient's identifier.
        """
        where = f"{self._name}: {method} {path}"
        url = f"{path}?{query}" if query else path
        started = time.perf_counter()
        try:
            body = content() if callable(content) else content  # a fresh stream per attempt
            response = await self._http.request(method, url, content=body, headers=headers)
        except httpx.TimeoutException as exc:
            error: UpstreamError = UpstreamTimeout(self._name, f"{where} timed out ({exc!r})")
            return self._failed(permit, method, "timeout", error)
        except httpx.RequestError as exc:
            error = UpstreamUnavailable(self._name, f"{where} failed ({exc!r})")
            return self._failed(permit, method, "connect_error", error)
        except BaseException:
            self._breaker.abandon(permit)
            raise
        finally:
            metrics.observe_seconds(self._name, time.perf_counter() - started)
        status = response.status_code
        if status >= 500:
            error = UpstreamUnavailable(self._name, f"{where} answered {status}")
            return self._failed(
                permit, method, "server_error", error, retryable=status in RETRYABLE_STATUSES
            )
        self._breaker.success(permit)
        metrics.count_request(self._name, method, "client_error" if status >= 400 else "ok")
        return response

    def _failed(
        self,
        permit: Permit,
        method: str,
        outcome: metrics.Outcome,
        error: UpstreamError,
        *,
        retryable: bool = True,
    ) -> _Failure:
        self._breaker.failure(permit)
        metrics.count_request(self._name, method, outcome)
        return _Failure(error, retryable)

    def _checked(self, response: httpx.Response) -> httpx.Response:
        """A 404 and other 4xx become typed errors the caller can map to domain outcomes."""
        status = response.status_code
        if status < 400:
            return response
        where = f"{self._name}: {response.request.method} {response.request.url.path}"
        if status == 404:
            raise UpstreamNotFound(self._name, f"{where}: not found")
        raise UpstreamRejected(
            self._name, f"{where} rejected ({status})", status=status, body=_lenient(response)
        )

    def _json(self, content: bytes) -> Any:
        """Decode a body with orjson; an empty body is None, garbage is the upstream's fault."""
        if not content:
            return None
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            raise UpstreamUnavailable(self._name, f"{self._name} sent invalid JSON") from None

    def _breaker_changed(self, state: BreakerState) -> None:
        metrics.set_breaker_state(self._name, state)
        if state == "open":
            log.warning("upstream %s: circuit breaker opened", self._name)
        elif state == "closed":
            log.info("upstream %s: circuit breaker closed", self._name)


def _target(path: str, params: Params | None) -> tuple[str, str]:
    """A GET as (path, encoded query): the path's own query verbatim, then the sorted params.

    The pairs are sorted by key only, and stably: the key is deterministic, and a repeated
    key's values keep the caller's order, which some APIs give a meaning. The encoding is
    httpx's own (`urlencode`: `+08:00` goes out as `%2B08%3A00`, never as a space).
    """
    path = path.partition("#")[0]  # a fragment is never sent; params must not land in it
    path, _, own = path.partition("?")
    items = params.items() if isinstance(params, Mapping) else params or ()
    pairs = sorted(((str(key), str(value)) for key, value in items), key=itemgetter(0))
    return path, "&".join(part for part in (own, urlencode(pairs)) if part)


def _quoted(value: str) -> str:
    """A name in a Content-Disposition header, escaped as browsers do (WHATWG): UTF-8 kept."""
    return value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def _part_head(boundary: str, name: str, filename: str | None, media_type: str | None) -> bytes:
    disposition = f'form-data; name="{_quoted(name)}"'
    if filename is not None:
        disposition += f'; filename="{_quoted(filename)}"'
    head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
    if media_type:
        head += f"Content-Type: {media_type}\r\n"
    return (head + "\r\n").encode()


def _multipart(
    boundary: str, fields: Sequence[tuple[str, str]], files: Sequence[MultipartFile]
) -> _Content:
    """The body: bytes when every part is bytes (sent with a length), else a stream opener."""
    parts: list[tuple[bytes, FileBody]] = [
        (_part_head(boundary, name, None, None), value.encode()) for name, value in fields
    ]
    parts += [
        (_part_head(boundary, name, filename, media_type), body)
        for name, (filename, body, media_type) in files
    ]
    closing = f"--{boundary}--\r\n".encode()
    whole = [head + body + b"\r\n" for head, body in parts if isinstance(body, bytes)]
    if len(whole) == len(parts):
        return b"".join(whole) + closing

    async def stream() -> AsyncIterator[bytes]:
        for head, body in parts:
            yield head
            if isinstance(body, bytes):
                yield body
            else:
                async for chunk in body() if callable(body) else body:
                    yield chunk
            yield b"\r\n"
        yield closing

    return stream


def _lenient(response: httpx.Response) -> Any:
    """An error body as JSON when it is JSON, else as text: for the caller's diagnosis."""
    try:
        return orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return response.text
