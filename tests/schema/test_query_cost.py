"""The cost budget: the app's own operations fit, nested lists, aliases and fragments do not."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    get_named_type,
    get_nullable_type,
    is_leaf_type,
    is_list_type,
    parse,
)

from mychangsha.schema import build_schema
from mychangsha.schema.costs import FIELD_COSTS
from mychangsha.schema.limits import MAX_COST
from mychangsha.schema.query_cost import operation_cost

OPERATIONS = Path(__file__).resolve().parents[2] / "clients" / "operations"
DATE = "2026-11-26"
SLOTS = f'ticketSlots(date: "{DATE}") {{ id start end remaining available }}'
CROWDED_PAGE = f"""query Crowded($n: Int!) {{ attractions(first: $n) {{ edges {{ node {{
  id name crowd {{ level visitors }} {SLOTS} }} }} }} }}"""


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def cost(schema: GraphQLSchema, query: str, variables: dict[str, Any] | None = None) -> int:
    return operation_cost(schema, parse(query), None, variables)


def test_every_declared_cost_names_a_field(graphql_schema: GraphQLSchema) -> None:
    for key in FIELD_COSTS:
        type_name, _, field_name = key.partition(".")
        graphql_type = graphql_schema.get_type(type_name)
        assert isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType), key
        assert field_name in graphql_type.fields, key


def test_every_unpaginated_list_of_objects_declares_its_size(
    graphql_schema: GraphQLSchema,
) -> None:
    undeclared = []
    for type_name, graphql_type in graphql_schema.type_map.items():
        if type_name.startswith("__") or not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            if "first" in field.args or is_leaf_type(get_named_type(field.type)):
                continue
            if not is_list_type(get_nullable_type(field.type)):
                continue
            if type_name.endswith("Connection") and field_name == "edges":
                continue  # sized by the connection field's `first`
            if f"{type_name}.{field_name}" not in FIELD_COSTS:
                undeclared.append(f"{type_name}.{field_name}")
    assert not undeclared, f"declare these lists' sizes in schema/costs.py: {undeclared}"


@pytest.mark.parametrize("path", sorted(OPERATIONS.glob("*.graphql")), ids=lambda p: p.name)
def test_the_apps_operations_fit_the_budget(path: Path, graphql_schema: GraphQLSchema) -> None:
    """At the page sizes the app asks for (the operations' defaults)."""
    assert cost(graphql_schema, path.read_text(encoding="utf-8")) <= MAX_COST


def test_first_multiplies_its_subtree_with_variables_resolved(
    graphql_schema: GraphQLSchema,
) -> None:
    one = cost(graphql_schema, CROWDED_PAGE, {"n": 1})
    fifty = cost(graphql_schema, CROWDED_PAGE, {"n": 50})
    assert one < MAX_COST < fifty
    assert fifty - 3 == 50 * (one - 3)  # the field's own cost (3) is paid once


def test_a_variables_default_and_the_arguments_default_count() -> None:
    schema = build_schema()._schema
    page = "attractions{a} {{ edges {{ node {{ id }} }} }}"
    literal = cost(schema, "{ " + page.format(a="(first: 7)") + " }")
    by_default = cost(schema, "query($n: Int! = 7) { " + page.format(a="(first: $n)") + " }")
    unset = cost(schema, "{ " + page.format(a="") + " }")
    assert literal == by_default
    assert unset == cost(schema, "{ " + page.format(a="(first: 20)") + " }")


def test_aliases_multiply_an_expensive_field(graphql_schema: GraphQLSchema) -> None:
    one = cost(graphql_schema, f'{{ attraction(id: "x") {{ s0: {SLOTS} }} }}')
    aliased = " ".join(f"s{i}: {SLOTS}" for i in range(25))
    many = cost(graphql_schema, f'{{ attraction(id: "x") {{ {aliased} }} }}')
    assert one < MAX_COST < many


def test_fragments_count_where_they_are_spread(graphql_schema: GraphQLSchema) -> None:
    inline = CROWDED_PAGE
    spread = f"""query Crowded($n: Int!) {{
      attractions(first: $n) {{ edges {{ node {{ ...Busy }} }} }} }}
    fragment Busy on Attraction {{ id name crowd {{ level visitors }} {SLOTS} }}"""
    typed = f"""query Crowded($n: Int!) {{ attractions(first: $n) {{ edges {{ node {{
      ... on Attraction {{ id name crowd {{ level visitors }} {SLOTS} }} }} }} }} }}"""
    expected = cost(graphql_schema, inline, {"n": 50})
    assert cost(graphql_schema, spread, {"n": 50}) == expected > MAX_COST
    assert cost(graphql_schema, typed, {"n": 50}) == expected


def test_nested_fragments_are_costed_once_each(graphql_schema: GraphQLSchema) -> None:
    """Each level spreads the next twice: 2^20 paths, counted in linear time."""
    levels = 20
    query = "{ ...F0 } " + " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    query += f" fragment F{levels} on Query {{ lifeEvents {{ name }} }}"
    started = time.perf_counter()
    total = cost(graphql_schema, query)
    assert time.perf_counter() - started < 0.5
    assert total == 2**levels * cost(graphql_schema, "{ lifeEvents { name } }")


async def test_over_budget_is_refused_with_cost_and_max_cost() -> None:
    result = await build_schema().execute(CROWDED_PAGE, variable_values={"n": 50})
    assert result.errors is not None
    assert result.data is None
    [error] = result.errors
    extensions = error.extensions or {}
    assert extensions["code"] == "QUERY_TOO_COMPLEX"
    assert extensions["maxCost"] == MAX_COST
    assert extensions["cost"] > MAX_COST


async def test_within_budget_reaches_the_resolvers() -> None:
    """Allowed through: the only errors left come from resolving (no services here)."""
    result = await build_schema().execute(CROWDED_PAGE, variable_values={"n": 2})
    codes = {(e.extensions or {}).get("code") for e in result.errors or ()}
    assert "QUERY_TOO_COMPLEX" not in codes
