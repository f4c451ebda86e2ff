"""HTTP guards in front of every route: browser origins (CORS), security headers, body sizes.

They sit outside the router, so they hold for every answer the process sends: GraphQL
answers and request errors, the probes, /metrics, callbacks, 404s and the IDE.

- **Browser origins.** Only listed origins (settings.cors_allowed_origins) get CORS headers;
  a preflight from any other origin is refused outright, so nothing in its answer invites
  the browser to go on. Starlette's CORSMiddleware does the CORS work itself.
- **Security headers.** On every answer, a crash's 500 included (answered here as coded
  JSON, never Starlette's plain text). JSON answers are never rendered as a page, framed or
  sniffed into something executable; the IDE page keeps its own script policy (ide.py) and gains the
  framing ban. HTTPS-only (HSTS) in production. An answer to a signed-in request that did not
  state how it may be cached is not cached at all: personal data stays off shared disks.
- **Body sizes.** A JSON body is a document and its variables: a megabyte is far beyond any
  operation the app ships, so a larger one is refused with 413 before it is parsed (a
  declared length before a byte is read). Multipart uploads have their own, larger, cap
  (uploads.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Final

import orjson
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mychangsha.settings import Settings
from mychangsha.uploads import MAX_MULTIPART_BYTES

log = logging.getLogger(__name__)

JSON_CONTENT_SECURITY_POLICY: Final = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
"""For everything but HTML: an answer that loads nothing, runs nothing and is framed nowhere."""

HTML_CONTENT_SECURITY_POLICY: Final = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
"""For the IDE page, whose own <meta> policy lists exactly the scripts it runs.

A browser enforces every policy it is given, so this one must not restrict scripts, styles
or connections (the page's policy does): it adds what a <meta> policy cannot say, framing.
"""

HSTS: Final = "max-age=31536000; includeSubDomains"

_ALWAYS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)

CORS_METHODS: Final = ("GET", "POST")
CORS_REQUEST_HEADERS: Final = (
    "authorization",
    "apollo-require-preflight",
    "x-mychangsha-csrf",
    "x-request-id",
    "apollographql-client-name",
    "apollographql-client-version",
)
"""Beyond the CORS-safelisted ones (Accept, Content-Type, …): what the app's web pages and
Apollo clients send; uploads need one of the CSRF headers."""

CORS_EXPOSED_HEADERS: Final = ("x-request-id", "x-mychangsha-cache", "retry-after")
CORS_MAX_AGE_SECONDS: Final = 600


def _error_body(message: str, code: str) -> bytes:
    """A GraphQL-shaped error, so clients read every refusal the same way."""
    return orjson.dumps({"errors": [{"message": message, "extensions": {"code": code}}]})


async def _refuse(
    send: Send, status: int, message: str, code: str, *extra: tuple[bytes, bytes]
) -> None:
    """Send a whole JSON error answer."""
    body = _error_body(message, code)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP answer that does not set its own."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self._fixed = (*_ALWAYS, (b"strict-transport-security", HSTS.encode())) if hsts else _ALWAYS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        signed_in = any(name == b"authorization" for name, _ in scope["headers"])
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self._add(message, signed_in=signed_in)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            if started:  # half an answer is out: only closing the connection is left
                raise
            # Answered here rather than by Starlette's outermost handler, so even a crash's
            # answer is coded JSON with the headers, and no trace reaches the client.
            log.exception("unhandled error answering %s %s", scope["method"], scope["path"])
            await _refuse(send_with_headers, 500, "Internal server error", "INTERNAL_SERVER_ERROR")

    def _add(self, message: Message, *, signed_in: bool) -> None:
        headers: list[tuple[bytes, bytes]] = list(message.get("headers") or ())
        present = {name.lower() for name, _ in headers}
        headers.extend(header for header in self._fixed if header[0] not in present)
        if b"content-security-policy" not in present:
            headers.append((b"content-security-policy", _policy_for(headers)))
        if signed_in and b"cache-control" not in present:
            headers.append((b"cache-control", b"no-store"))
        if not _varies_on_origin(headers):
            headers.append((b"vary", b"Origin"))
        message["headers"] = headers


def _varies_on_origin(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a Vary header already names Origin (CORS answers for listed origins do)."""
    return any(name.lower() == b"vary" and b"origin" in value.lower() for name, value in headers)


def _policy_for(headers: Iterable[tuple[bytes, bytes]]) -> bytes:
    """The page policy for HTML, the strict one for anything else."""
    for name, value in headers:
        if name.lower() == b"content-type" and value.lower().startswith(b"text/html"):
            return HTML_CONTENT_SECURITY_POLICY.encode()
    return JSON_CONTENT_SECURITY_POLICY.encode()


class BrowserOriginsMiddleware:
    """CORS for the listed origins only; any other origin gets no CORS header at all.

    Starlette's CORSMiddleware would still tell a foreign origin which headers it exposes,
    and answer its preflight with the allowed methods and headers (and a 400): here a
    foreign preflight gets a 403 that names nothing allowed, and a foreign request is
    answered as if CORS did not exist. Every answer varies on Origin, so a shared cache never
    hands one origin's answer to another.
    """

    def __init__(self, app: ASGIApp, *, origins: list[str], origin_pattern: str | None) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_origin_regex=origin_pattern,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            # Access tokens travel in the Authorization header: no cookies, no credentials.
            allow_credentials=False,
            max_age=CORS_MAX_AGE_SECONDS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is not None and self.cors.is_allowed_origin(origin.decode("latin-1")):
            await self.cors(scope, receive, send)
            return
        asks_preflight = _header(scope, b"access-control-request-method") is not None
        if origin is not None and scope["method"] == "OPTIONS" and asks_preflight:
            await _refuse(
                send,
                403,
                "This origin may not call the graph from a browser",
                "FORBIDDEN",
                (b"vary", b"Origin"),
            )
            return

        # No Origin (apps, servers, same-origin pages) or a foreign one: no CORS headers
        # (SecurityHeadersMiddleware still says the answer varies on Origin).
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header (names are lower case in ASGI)."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class _BodyTooLarge(Exception):
    """Raised from `receive` when a body without a declared length grows past its limit."""


class BodySizeLimitMiddleware:
    """Refuses request bodies over their limit: by the declared length, or while streaming.

    A declared Content-Length over the limit is refused before any byte is read. A chunked
    body (no declared length) is counted as the application reads it; past the limit the
    read fails and, as nothing has been answered yet, the answer is the same 413.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_multipart_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_multipart_bytes = max_multipart_bytes

    def _limit(self, content_type: bytes) -> int:
        """Uploads (multipart) may be larger than anything else."""
        if content_type.lower().startswith(b"multipart/form-data"):
            return self.max_multipart_bytes
        return self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared: bytes | None = None
        content_type = b""
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value
            elif name == b"content-type":
                content_type = value
            elif name == b"transfer-encoding":
                chunked = True
        limit = self._limit(content_type)
        if declared is not None:
            # The server reads exactly the declared length, never more: checking it suffices
            # (and it refuses a malformed one itself; `isdigit` only keeps `int` safe).
            if not declared.isdigit() or int(declared) > limit:
                await self._too_large(send, limit)
                return
        elif chunked:
            await self._counted(scope, receive, send, limit)
            return
        # A declared length within the limit, or no body at all (most GETs): nothing to count.
        await self.app(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app on a body whose length is only known once it has been read."""
        received = 0
        answered = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def watching_send(message: Message) -> None:
            nonlocal answered
            answered = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except _BodyTooLarge:
            if answered:
                raise
            await self._too_large(send, limit)

    @staticmethod
    async def _too_large(send: Send, limit: int) -> None:
        await _refuse(send, 413, f"The request body is larger than {limit} bytes", "BAD_USER_INPUT")


def guards(settings: Settings) -> list[Middleware]:
    """The guards, outermost first: headers on every answer, then origins, then sizes."""
    return [
        Middleware(SecurityHeadersMiddleware, hsts=settings.hsts_enabled),
        Middleware(
            BrowserOriginsMiddleware,
            origins=settings.cors_origins,
            origin_pattern=settings.cors_origin_pattern,
        ),
        Middleware(
            BodySizeLimitMiddleware,
            max_body_bytes=settings.max_request_body_bytes,
            max_multipart_bytes=MAX_MULTIPART_BYTES,
        ),
    ]
