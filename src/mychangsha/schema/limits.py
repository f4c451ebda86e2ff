"""Document limits, built once so the validation cache keys on the same rule objects."""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    DirectiveNode,
    GraphQLError,
    NoSchemaIntrospectionCustomRule,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import max_aliases, query_depth_limiter

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000
MAX_COST = 1000
"""The cost budget of one operation (schema/query_cost.py; checked with variables known)."""
MAX_DIRECTIVES_PER_LOCATION = 4
MAX_DIRECTIVES = 50


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


class DirectiveLimit(ValidationRule):
    """Refuses documents that pile up directives, on one field or across the document.

    Each directive is work for validation and execution that neither depth nor aliases
    bound; the app's documents use a couple (@include, @skip) at most per field.
    """

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._seen = 0

    def enter_directive(
        self, node: DirectiveNode, key: Any, parent: Any, path: Any, ancestors: Any
    ) -> None:
        """Count the directive; report the first one past either limit."""
        self._seen += 1
        if self._seen == MAX_DIRECTIVES + 1:
            self._refuse(node, f"The document has more than {MAX_DIRECTIVES} directives.")
        if key == MAX_DIRECTIVES_PER_LOCATION:  # the index in its location's directive list
            self._refuse(
                node,
                f"A location has more than {MAX_DIRECTIVES_PER_LOCATION} directives.",
            )

    def _refuse(self, node: DirectiveNode, message: str) -> None:
        self.report_error(GraphQLError(message, node, extensions={"code": "QUERY_TOO_COMPLEX"}))


# Built at import, once: strawberry's limiter extensions build a new rule class per request,
# which gives the validation cache a new key every time and silently defeats it.
RULES: list[type[ASTValidationRule]] = [
    _coded(query_depth_limiter.create_validator(MAX_DEPTH, None, None)),
    _coded(max_aliases.create_validator(MAX_ALIASES)),
    DirectiveLimit,
]

# Production also refuses `__schema` and `__type` (the schema is not public there); still a
# list built once, for the same reason.
PRODUCTION_RULES: list[type[ASTValidationRule]] = [*RULES, NoSchemaIntrospectionCustomRule]
