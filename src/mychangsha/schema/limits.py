"""Document limits, built once so the validation cache keys on the same rule objects."""

from __future__ import annotations

from graphql import ASTValidationRule
from strawberry.extensions import max_aliases, query_depth_limiter

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000

# Built at import, once: strawberry's limiter extensions build a new rule class per request,
# which gives the validation cache a new key every time and silently defeats it.
RULES: list[type[ASTValidationRule]] = [
    query_depth_limiter.create_validator(MAX_DEPTH, None, None),
    max_aliases.create_validator(MAX_ALIASES),
]
