"""The operations the app ships still validate against the graph, one named operation a file.

A schema change that breaks a shipped operation breaks installed apps (and, in production,
the trusted-documents manifest): this fails naming the file, before the change is merged.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSchema, OperationDefinitionNode, parse, validate

from mychangsha.schema import build_schema

OPERATIONS = Path(__file__).resolve().parents[2] / "clients" / "operations"
FILES = sorted(OPERATIONS.glob("*.graphql"))


@pytest.fixture(scope="module")
def graphql_schema() -> GraphQLSchema:
    return build_schema()._schema


def test_there_are_operations() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_operation_validates_against_the_schema(path: Path, graphql_schema: GraphQLSchema) -> None:
    document = parse(path.read_text(encoding="utf-8"))
    errors = validate(graphql_schema, document)
    assert not errors, f"{path.name} no longer validates: " + "; ".join(e.message for e in errors)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_one_named_operation_named_after_the_file(path: Path) -> None:
    document = parse(path.read_text(encoding="utf-8"))
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(operations) == 1, f"{path.name} must hold exactly one operation"
    name = operations[0].name
    assert name is not None, f"{path.name}: the operation must be named"
    assert name.value == path.stem, f"{path.name} holds operation {name.value}"
