"""Directive limits, the production schema's hardening, and the caches still hitting."""

from __future__ import annotations

import pytest
from graphql import GraphQLError
from strawberry.extensions.validation_cache import _get_validate_cache

from mychangsha.schema import DOCUMENT_CACHE_SIZE, build_schema
from mychangsha.schema.limits import MAX_DIRECTIVES, MAX_DIRECTIVES_PER_LOCATION

TYPO = "{ attractoins(first: 1) { edges { node { id } } } }"
PAGE = "query Page($n: Int!) { attractions(first: $n) { edges { node { id name } } } }"


def codes(errors: list[GraphQLError] | None) -> set[object]:
    return {(e.extensions or {}).get("code") for e in errors or ()}


async def test_too_many_directives_on_one_field() -> None:
    directives = " ".join(f"@include(if: $v{i})" for i in range(MAX_DIRECTIVES_PER_LOCATION + 1))
    variables = ", ".join(f"$v{i}: Boolean = true" for i in range(MAX_DIRECTIVES_PER_LOCATION + 1))
    result = await build_schema().execute(f"query({variables}) {{ __typename {directives} }}")
    assert result.errors
    assert "QUERY_TOO_COMPLEX" in codes(result.errors)
    assert any("directives" in e.message for e in result.errors)


async def test_too_many_directives_in_the_document() -> None:
    fields = " ".join(f"f{i}: __typename @include(if: true)" for i in range(MAX_DIRECTIVES + 1))
    result = await build_schema().execute("{ " + fields + " }")
    assert result.errors
    assert any(
        "directives" in e.message and (e.extensions or {}).get("code") == "QUERY_TOO_COMPLEX"
        for e in result.errors
    )


async def test_a_few_directives_are_fine() -> None:
    result = await build_schema().execute("{ a: __typename @include(if: true) @skip(if: false) }")
    assert result.errors is None


async def test_development_keeps_introspection_and_suggestions() -> None:
    schema = build_schema()
    result = await schema.execute("{ __schema { queryType { name } } }")
    assert result.errors is None
    typo = await schema.execute(TYPO)
    assert typo.errors
    assert "Did you mean" in typo.errors[0].message


async def test_production_refuses_introspection() -> None:
    schema = build_schema(production=True)
    for query in ("{ __schema { queryType { name } } }", '{ __type(name: "Query") { name } }'):
        result = await schema.execute(query)
        assert result.errors, query
        assert result.data is None
        assert "introspection" in result.errors[0].message
    assert (await schema.execute("{ __typename }")).errors is None


@pytest.mark.parametrize(
    "query",
    [
        TYPO,
        "{ attractions(first: 1) { edges { node { nmae } } } }",
        "{ events(category: EXHIBITIONN) { edges { cursor } } }",
    ],
)
async def test_production_hides_suggestions(query: str) -> None:
    assert "Did you mean" in str((await build_schema().execute(query)).errors)
    result = await build_schema(production=True).execute(query)
    assert result.errors
    for error in result.errors:
        assert "Did you mean" not in error.message
        assert (error.extensions or {}).get("code") == "BAD_USER_INPUT"


def test_production_is_its_own_cached_variant() -> None:
    assert build_schema(production=True) is build_schema(production=True)
    assert build_schema(production=True) is not build_schema()


@pytest.mark.parametrize("production", [False, True], ids=["development", "production"])
async def test_a_repeated_document_hits_the_validation_cache(production: bool) -> None:
    """With the cost and rate extensions in place: the rules are still the same objects."""
    schema = build_schema(production=production)
    cached_validate = _get_validate_cache(DOCUMENT_CACHE_SIZE)
    await schema.execute(PAGE, variable_values={"n": 1})
    before = cached_validate.cache_info()
    result = await schema.execute(PAGE, variable_values={"n": 2})
    after = cached_validate.cache_info()
    assert "QUERY_TOO_COMPLEX" not in codes(result.errors)
    assert after.hits == before.hits + 1
    assert after.misses == before.misses


async def test_the_cost_is_judged_per_request_through_the_cache() -> None:
    """Same document, cached validation: the variables alone decide the verdict."""
    schema = build_schema()
    small = await schema.execute(PAGE, variable_values={"n": 2})
    large = await schema.execute(PAGE, variable_values={"n": 100_000})
    assert "QUERY_TOO_COMPLEX" not in codes(small.errors)
    assert codes(large.errors) == {"QUERY_TOO_COMPLEX"}
