"""Errors of the upstream transport, coded so the graph can show them without a traceback.

Every integration raises these (never raw httpx errors), so resolvers and the error-masking
extension handle one small family: `code` is one of SPEC's `extensions.code` values and
`upstream` names the system at fault.
"""

from __future__ import annotations

from typing import Any, ClassVar


class UpstreamError(Exception):
    """An upstream could not give us what we asked for; `code` says how, `upstream` says who."""

    default_code: ClassVar[str] = "UPSTREAM_UNAVAILABLE"

    def __init__(self, upstream: str, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.upstream = upstream
        self.message = message
        self.code = code or self.default_code


class UpstreamUnavailable(UpstreamError):
    """Connection refused or reset, a 5xx, or our breaker is open: try again later."""

    default_code = "UPSTREAM_UNAVAILABLE"


class UpstreamTimeout(UpstreamError):
    """The upstream did not answer within our timeouts, on every attempt we were allowed."""

    default_code = "UPSTREAM_TIMEOUT"


class UpstreamNotFound(UpstreamError):
    """A 404: not a transport fault, so callers decide whether it means null or an error."""

    default_code = "NOT_FOUND"


class UpstreamRejected(UpstreamError):
    """A 4xx other than 404: the upstream refused this request, retrying will not help.

    Callers that expect a specific refusal (409 conflict, 412 lost race, 422 invalid) catch
    this and map `status`/`body` to a domain error. Left unhandled it surfaces as
    UPSTREAM_UNAVAILABLE, since SPEC's closed code list has nothing closer for the client.
    """

    default_code = "UPSTREAM_UNAVAILABLE"

    def __init__(self, upstream: str, message: str, *, status: int, body: Any) -> None:
        super().__init__(upstream, message)
        self.status = status
        self.body = body
