"""Document limits, built once so the validation cache keys on the same rule objects."""

from __future__ import annotations

from graphql import ASTValidationRule, GraphQLError
from strawberry.extensions import max_aliases, query_depth_limiter

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000


def _coded(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """The same rule, its errors coded QUERY_TOO_COMPLEX so clients can tell them apart."""

    class CodedRule(rule):  # type: ignore[valid-type,misc]
        def report_error(self, error: GraphQLError) -> None:
            error.extensions = {**(error.extensions or {}), "code": "QUERY_TOO_COMPLEX"}
            super().report_error(error)

    CodedRule.__name__ = rule.__name__
    return CodedRule


# Built at import, once: strawberry's limiter extensions build a new rule class per request,
# which gives the validation cache a new key every time and silently defeats it.
RULES: list[type[ASTValidationRule]] = [
    _coded(query_depth_limiter.create_validator(MAX_DEPTH, None, None)),
    _coded(max_aliases.create_validator(MAX_ALIASES)),
]
