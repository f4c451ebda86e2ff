"""Every error leaves with an `extensions.code`; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

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


class ErrorCodes(SchemaExtension):
    """Give every error a code from SPEC's list and never let internals reach the client."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if result is not None and errors:
            result.errors = [_coded(e) for e in errors]
