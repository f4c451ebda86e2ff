"""Cache policies computed from the real schema's hints."""

from __future__ import annotations

from graphql import parse

from mychangsha.cache.policy import CachePolicy, Scope, operation_policy
from mychangsha.schema import build_schema
from mychangsha.schema.cache_hints import HINTS


def _policy(document: str, operation: str | None = None) -> CachePolicy:
    schema = build_schema()._schema
    return operation_policy(schema, parse(document), operation, HINTS)


def test_the_least_cacheable_field_decides() -> None:
    catalogue = _policy("{ attractions(first: 5) { edges { node { name district } } } }")
    assert (catalogue.max_age, catalogue.scope) == (300, Scope.PUBLIC)
    assert catalogue.cache_control() == "public, max-age=300"
    live = _policy("{ attractions(first: 5) { edges { node { name crowdLevel } } } }")
    assert live.max_age == 30 and live.tags == {"attractions", "crowd"}


def test_fragments_and_inline_fragments_count() -> None:
    document = """
    query Detail($id: ID!) { attraction(id: $id) { ...Slots } }
    fragment Slots on Attraction { name ticketSlots(date: "2026-01-01") { id remaining } }
    """
    policy = _policy(document, "Detail")
    assert policy.max_age == 5 and "ticket-slots" in policy.tags


def test_private_and_uncacheable_fields() -> None:
    me = _policy("{ me { id name } }")
    assert (me.max_age, me.scope) == (10, Scope.PRIVATE)
    assert me.cache_control() == "private, max-age=10"
    mixed = _policy("{ me { id } attractions(first: 1) { edges { node { id } } } }")
    assert mixed.scope is Scope.PRIVATE and mixed.max_age == 10
    home = _policy("{ home { notices { id } recommendedAttractions { crowdLevel } } }")
    assert (home.max_age, home.scope) == (10, Scope.PRIVATE)
    assert home.tags == {"citizen", "crowd"}
    live = "{ myAppointments(first: 1) { edges { node { id } } } }"
    assert not _policy(live).cacheable
    assert _policy(live).cache_control() == "no-store"
    assert not _policy('mutation { otpRequest(phone: "13800000000") { __typename } }').cacheable


def test_every_hint_names_a_real_type_or_field() -> None:
    schema = build_schema()._schema
    for key in HINTS:
        type_name, _, field_name = key.partition(".")
        named = schema.get_type(type_name)
        assert named is not None, key
        if field_name:
            assert field_name in named.fields, key  # type: ignore[union-attr]
