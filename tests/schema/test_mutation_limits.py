"""Every mutation of the graph carries the per-IP and per-citizen rate limit."""

from __future__ import annotations

from mychangsha.schema import Mutation, build_schema
from mychangsha.schema.mutation_limits import MutationRateLimit


def test_every_mutation_field_is_rate_limited() -> None:
    build_schema()  # resolves the type definitions
    fields = Mutation.__strawberry_definition__.fields  # type: ignore[attr-defined]
    assert fields, "the graph has mutations"
    unlimited = [
        f.name for f in fields if not any(isinstance(e, MutationRateLimit) for e in f.extensions)
    ]
    assert unlimited == []
