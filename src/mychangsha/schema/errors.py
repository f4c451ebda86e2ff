"""Every error leaves with an `extensions.code`; unexpected ones are masked and logged."""

from __future__ import annotations

import logging

import strawberry
from graphql import GraphQLError
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import ExecutionContext

from mychangsha.errors import CODES, GraphError
from mychangsha.integrations.errors import UpstreamError

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Internal server error"


def _coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if original is None:
        # Parse, validation and variable-coercion errors: the client's document is at fault.
        code = (error.extensions or {}).get("code")
        if code in CODES:
            return error
        if "tokens" in error.message and "Parsing aborted" in error.message:
            return _with(error, error.message, "QUERY_TOO_COMPLEX")
        return _with(error, error.message, "BAD_USER_INPUT")
    if isinstance(original, GraphError):
        return _with(error, original.message, original.code, original.extensions)
    if isinstance(original, UpstreamError):
        return _with(error, str(original), original.code, {"upstream": original.upstream})
    if isinstance(original, GlobalIDValueError):
        return _with(error, "not a valid global ID", "BAD_USER_INPUT")
    log.error("unexpected error at %s", error.path, exc_info=original)
    return _with(error, INTERNAL_MESSAGE, "INTERNAL_SERVER_ERROR")


def _with(
    error: GraphQLError, message: str, code: str, extra: dict[str, object] | None = None
) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions={**(extra or {}), "code": code},
    )


def code_errors(errors: list[GraphQLError]) -> None:
    """Replace every error of a result, in place, by its coded and masked form.

    Idempotent: a coded error passes through unchanged, so a list seen twice stays the same.
    """
    errors[:] = [_coded(error) for error in errors]


class GraphSchema(strawberry.Schema):
    """The schema whose every error leaves with a code.

    `process_errors` is the one hook strawberry calls for every error list of every transport
    (HTTP, websockets) and every phase (parsing, validation, execution) before the result is
    sent: an operation extension misses parse errors raised by other extensions' hooks. The
    default logs every client mistake at ERROR; here only unexpected errors are logged.
    """

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        code_errors(errors)
