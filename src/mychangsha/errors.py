"""Coded errors: what a client may see in `extensions.code`, with a message safe to show."""

from __future__ import annotations

from typing import ClassVar

from mychangsha.i18n import msg

CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "RATE_LIMITED",
        "UPSTREAM_UNAVAILABLE",
        "UPSTREAM_TIMEOUT",
        "QUERY_TOO_COMPLEX",
        "PERSISTED_QUERY_NOT_FOUND",
        "PERSISTED_QUERY_NOT_SUPPORTED",
        "INTERNAL_SERVER_ERROR",
    }
)


class GraphError(Exception):
    """An error the client is meant to read; anything else is masked as internal."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: object) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class BadUserInput(GraphError):
    """An argument is malformed or out of range; the request can be fixed by the caller."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message, **({"field": field} if field else {}))


class NotFound(GraphError):
    """The thing asked for does not exist (or is not the caller's to see)."""

    code = "NOT_FOUND"


class Unauthenticated(GraphError):
    """The field needs a signed-in citizen."""

    code = "UNAUTHENTICATED"


class Forbidden(GraphError):
    """The citizen is signed in but may not see this."""

    code = "FORBIDDEN"


class QueryTooComplex(GraphError):
    """The document exceeds a depth, alias, token or cost limit."""

    code = "QUERY_TOO_COMPLEX"


class RateLimited(GraphError):
    """Too many requests from this citizen or address; `retryAfterSeconds` says when to retry."""

    code = "RATE_LIMITED"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            msg("Too many requests; try again in {n} s.", n=retry_after_seconds),
            retryAfterSeconds=retry_after_seconds,
        )
        self.retry_after_seconds = retry_after_seconds
