"""The per-request context: who is calling, the shared services, and this request's loaders."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.requests import HTTPConnection
from strawberry.dataloader import DataLoader

from mychangsha.auth.tokens import AccessClaims, InvalidToken
from mychangsha.errors import Unauthenticated
from mychangsha.i18n import Locale, negotiate
from mychangsha.middleware import ARRIVED
from mychangsha.services import Services

LoaderT = TypeVar("LoaderT", bound=DataLoader[Any, Any])

_UNSET: Any = object()


def client_ip(connection: HTTPConnection | None, trusted_proxy_hops: int) -> str:
    """The caller's address: the peer, or the entry that many trusted proxies in front added.

    X-Forwarded-For is only believed as far as our own proxies wrote it; a client can put
    anything at its start, so the address is counted from the end.
    """
    if connection is None:
        return "unknown"
    peer = connection.client.host if connection.client else "unknown"
    if trusted_proxy_hops <= 0:
        return peer
    forwarded = [a.strip() for a in connection.headers.get("x-forwarded-for", "").split(",")]
    forwarded = [a for a in forwarded if a]
    if len(forwarded) < trusted_proxy_hops:
        return forwarded[0] if forwarded else peer
    return forwarded[-trusted_proxy_hops]


def bearer_token(connection: HTTPConnection | None, params: dict[str, Any] | None) -> str | None:
    """The access token of an HTTP `Authorization: Bearer` header or a websocket init payload."""
    raw: object = None
    if params:
        raw = params.get("Authorization") or params.get("authorization") or params.get("token")
    if raw is None and connection is not None:
        raw = connection.headers.get("authorization")
    if not isinstance(raw, str):
        return None
    scheme, _, token = raw.strip().partition(" ")
    if not token:  # a bare token in a websocket payload
        return scheme or None
    return token.strip() if scheme.lower() == "bearer" else None


def accept_language(connection: HTTPConnection | None, params: dict[str, Any] | None) -> str | None:
    """The language preference of a request: a websocket init payload's `acceptLanguage`,
    else the `Accept-Language` header (of the HTTP request or the websocket upgrade).

    The payload wins because a browser's WebSocket API cannot set headers on the upgrade.
    """
    raw = params.get("acceptLanguage") if params else None
    if isinstance(raw, str):
        return raw
    return None if connection is None else connection.headers.get("accept-language")


@dataclass
class Context:
    """Built once per request (or websocket connection); DataLoaders never outlive it."""

    services: Services
    connection: HTTPConnection | None = None
    connection_params: dict[str, Any] | None = None
    started: float = -1.0  # answer budgets count from here: the request's arrival
    _claims: Any = field(default=_UNSET)
    _loaders: dict[Callable[[Services], Any], DataLoader[Any, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.started < 0:  # not given: the request's arrival (admission may queue it), or now
            state = {} if self.connection is None else self.connection.scope.get("state", {})
            self.started = state.get(ARRIVED, time.monotonic())

    @property
    def client_ip(self) -> str:
        """Where the request comes from, for per-IP limits and session records."""
        return client_ip(self.connection, self.services.settings.trusted_proxy_hops)

    @property
    def locale(self) -> Locale:
        """The language the client's messages and labels are written in (zh-CN unless en)."""
        return negotiate(accept_language(self.connection, self.connection_params))

    @property
    def user_agent(self) -> str | None:
        """The client's User-Agent, kept with a session so a citizen can tell devices apart."""
        return None if self.connection is None else self.connection.headers.get("user-agent")

    @property
    def verified_claims(self) -> AccessClaims | None:
        """The claims when this request has already verified its token; never verifies."""
        return None if self._claims is _UNSET else self._claims

    async def claims(self) -> AccessClaims | None:
        """The verified access token of the caller, None when absent or not valid.

        Verified once per request (or websocket connection) and remembered.
        """
        if self._claims is _UNSET:
            token = bearer_token(self.connection, self.connection_params)
            claims: AccessClaims | None = None
            if token is not None:
                try:
                    claims = await self.services.identity.tokens.verify(token)
                except InvalidToken:
                    claims = None
            self._claims = claims
        result: AccessClaims | None = self._claims
        return result

    async def require_claims(self) -> AccessClaims:
        """The caller's claims, or UNAUTHENTICATED for fields that need a signed-in citizen."""
        claims = await self.claims()
        if claims is None:
            raise Unauthenticated("Sign in to see this.")
        return claims

    def loader(self, loader_class: Callable[[Services], LoaderT]) -> LoaderT:
        """This request's instance of a loader, created on first use so unused ones cost nothing.

        A loader class takes the Services as its only constructor argument; keeping them in
        a registry keyed by class lets a new domain add loaders without touching this module.
        """
        existing = self._loaders.get(loader_class)
        if existing is None:
            created = loader_class(self.services)
            self._loaders[loader_class] = created
            return created
        return existing  # type: ignore[return-value]
