"""Every error leaves with an `extensions.code`; unexpected ones are masked and logged."""

from __future__ import annotations

import logging
import re
from typing import Any

import strawberry
from graphql import GraphQLError
from pymongo.errors import ConnectionFailure
from strawberry.relay.types import GlobalIDValueError
from strawberry.types import ExecutionContext

from mychangsha.errors import CODES, GraphError
from mychangsha.i18n import DEFAULT_LOCALE, Locale, msg, translate
from mychangsha.integrations.errors import UpstreamError
from mychangsha.observability.record import note_error_codes

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = msg("Internal server error")
STORAGE = "storage"  # the `upstream` of errors caused by the graph's own database
# graphql-core appends its hints ("Did you mean 'name'?", "Did you mean to use an inline
# fragment on 'X'?") at the end of a message.
_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.DOTALL)

# An upstream's own error text is technical and English; the client reads one of these.
UPSTREAM_MESSAGES = {
    "UPSTREAM_UNAVAILABLE": msg("A service this needs is unavailable right now; try again later."),
    "UPSTREAM_TIMEOUT": msg("A service this needs did not answer in time; try again later."),
    "NOT_FOUND": msg("Not found."),
}


def _coded(error: GraphQLError, locale: Locale) -> GraphQLError:
    original = error.original_error
    if original is None or (error.path is None and isinstance(original, GraphQLError)):
        # Parse, validation and variable-coercion errors: the client's document is at fault.
        # (A variable's coercion error keeps the scalar's own GraphQLError as its original.)
        code = (error.extensions or {}).get("code")
        if code in CODES:
            return error
        if "tokens" in error.message and "Parsing aborted" in error.message:
            return _with(error, error.message, "QUERY_TOO_COMPLEX")
        return _with(error, error.message, "BAD_USER_INPUT")
    if isinstance(original, GraphError):
        message = translate(original.message, locale)
        return _with(error, message, original.code, original.extensions)
    if isinstance(original, UpstreamError):
        log.info("upstream error at %s: %s", error.path, original)
        text = UPSTREAM_MESSAGES.get(original.code, UPSTREAM_MESSAGES["UPSTREAM_UNAVAILABLE"])
        return _with(error, translate(text, locale), original.code, {"upstream": original.upstream})
    if isinstance(original, ConnectionFailure):
        # MongoDB unreachable (or electing a primary): the citizen can only try again later.
        log.warning("storage unavailable at %s: %s", error.path, original)
        message = translate(UPSTREAM_MESSAGES["UPSTREAM_UNAVAILABLE"], locale)
        return _with(error, message, "UPSTREAM_UNAVAILABLE", {"upstream": STORAGE})
    if isinstance(original, GlobalIDValueError):
        return _with(error, translate(msg("not a valid global ID"), locale), "BAD_USER_INPUT")
    log.error("unexpected error at %s", error.path, exc_info=original)
    return _with(error, translate(INTERNAL_MESSAGE, locale), "INTERNAL_SERVER_ERROR")


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


def code_errors(errors: list[GraphQLError], locale: Locale = DEFAULT_LOCALE) -> None:
    """Replace every error of a result, in place, by its coded, masked and translated form.

    Idempotent: a coded error passes through unchanged, so a list seen twice stays the same.
    Messages of the document's own mistakes (syntax, validation) stay graphql-core's English.
    """
    errors[:] = [_coded(error, locale) for error in errors]


def _locale_of(execution_context: ExecutionContext | None) -> Locale:
    """The request's language, read from its context (zh-CN when there is none)."""
    context = None if execution_context is None else execution_context.context
    locale = getattr(context, "locale", DEFAULT_LOCALE)
    return "en" if locale == "en" else DEFAULT_LOCALE


def without_suggestions(errors: list[GraphQLError]) -> None:
    """Drop "Did you mean …?" hints, in place: they spell out the schema to whoever guesses.

    graphql-core can hide them in validation only, and strawberry does not ask it to; its
    variable-coercion and enum errors carry them too, so they are cut from every message.
    """
    for index, error in enumerate(errors):
        message = _SUGGESTION.sub("", error.message)
        if message != error.message:
            errors[index] = GraphQLError(
                message,
                nodes=error.nodes,
                source=error.source,
                positions=error.positions,
                path=error.path,
                original_error=None,
                extensions=error.extensions,
            )


class GraphSchema(strawberry.Schema):
    """The schema whose every error leaves with a code.

    `process_errors` is the one hook strawberry calls for every error list of every transport
    (HTTP, websockets) and every phase (parsing, validation, execution) before the result is
    sent: an operation extension misses parse errors raised by other extensions' hooks. The
    default logs every client mistake at ERROR; here only unexpected errors are logged. It is
    also where messages are translated, since it sees the request's context. With
    `hide_suggestions` (production), messages also lose graphql-core's schema hints.
    """

    def __init__(self, *args: Any, hide_suggestions: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hide_suggestions = hide_suggestions

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        code_errors(errors, _locale_of(execution_context))
        note_error_codes(errors)
        if self.hide_suggestions:
            without_suggestions(errors)
