"""The parser and validation caches really hit: limit rules are built once, not per request."""

from __future__ import annotations

from strawberry.extensions.validation_cache import _get_validate_cache

from mychangsha.schema import DOCUMENT_CACHE_SIZE, build_schema

QUERY = "query CacheProbe { __typename }"


async def test_second_execution_hits_the_validation_cache() -> None:
    schema = build_schema()
    cached_validate = _get_validate_cache(DOCUMENT_CACHE_SIZE)
    await schema.execute(QUERY)
    before = cached_validate.cache_info()
    result = await schema.execute(QUERY)
    after = cached_validate.cache_info()
    assert result.errors is None
    assert after.hits == before.hits + 1
    assert after.misses == before.misses


async def test_limits_still_apply_through_the_cache() -> None:
    schema = build_schema()
    too_many_aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(40)) + " }"
    for _ in range(2):  # the second time answers from the cache, and must still refuse
        result = await schema.execute(too_many_aliases)
        assert result.errors
        assert "aliases" in result.errors[0].message.lower()
        assert result.errors[0].extensions == {"code": "QUERY_TOO_COMPLEX"}


async def test_token_limit_is_query_too_complex() -> None:
    huge = "{ " + " ".join("__typename" for _ in range(5000)) + " }"
    result = await build_schema().execute(huge)
    assert result.errors
    assert result.errors[0].extensions == {"code": "QUERY_TOO_COMPLEX"}
