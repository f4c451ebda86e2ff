"""Document limits, built once so the validation cache keys on the same rule objects."""

from __future__ import annotations

from typing import Any

from graphql import ASTValidationRule, GraphQLError, ValidationContext
from strawberry.extensions import max_aliases, query_depth_limiter

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000


class _CodingContext:
    """A validation context whose reported errors carry the QUERY_TOO_COMPLEX code."""

    def __init__(self, context: ValidationContext) -> None:
        self._context = context

    def report_error(self, error: GraphQLError) -> None:
        error.extensions = {**(error.extensions or {}), "code": "QUERY_TOO_COMPLEX"}
        self._context.report_error(error)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)


def _coded(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """The same rule, its errors coded QUERY_TOO_COMPLEX so clients can tell them apart.

    The limiters report through `context.report_error` directly, so the code is added by
    handing the rule a context that adds it.
    """

    class CodedRule(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(_CodingContext(context))

    CodedRule.__name__ = rule.__name__
    return CodedRule


# Built at import, once: strawberry's limiter extensions build a new rule class per request,
# which gives the validation cache a new key every time and silently defeats it.
RULES: list[type[ASTValidationRule]] = [
    _coded(query_depth_limiter.create_validator(MAX_DEPTH, None, None)),
    _coded(max_aliases.create_validator(MAX_ALIASES)),
]
