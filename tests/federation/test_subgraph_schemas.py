"""Subgraph schemas: what each domain publishes to a gateway, and what the monolith keeps."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from typing import get_args

import pytest
from graphql import ObjectTypeDefinitionNode, parse
from strawberry.types.base import get_object_definition

from mychangsha.schema import build_schema
from mychangsha.schema.hospital import Hospital
from mychangsha.schema.subgraphs import SUBGRAPH_NAMES, SubgraphName, build_subgraph_schema
from mychangsha.schema.tourism import AttractionNode
from mychangsha.settings import Settings

ROOTS = frozenset({"Query", "Mutation", "Subscription", "_Service"})


def _type_block(sdl: str, head: str) -> str:
    """The SDL of one type, from its head line to its closing brace."""
    match = re.search(rf"^{re.escape(head)}.*?^}}", sdl, re.MULTILINE | re.DOTALL)
    assert match is not None, f"no `{head}` in the SDL"
    return match.group(0)


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_each_subgraph_links_federation_2_9_and_serves_its_sdl(name: SubgraphName) -> None:
    sdl = build_subgraph_schema(name).as_str()
    assert '@link(url: "https://specs.apollo.dev/federation/v2.9"' in sdl
    assert "_service: _Service!" in sdl
    assert "node(id: ID!)" not in sdl  # a gateway cannot route an opaque global ID


def test_the_hospital_subgraph_owns_hospital_by_key_without_its_attractions() -> None:
    sdl = build_subgraph_schema("hospital").as_str()
    hospital = _type_block(sdl, "type Hospital ")
    assert hospital.startswith('type Hospital implements Node @key(fields: "id"')
    assert "nearbyAttractions" not in hospital
    assert "type Attraction " not in sdl


def test_the_tourism_subgraph_extends_hospital_with_nearby_attractions() -> None:
    sdl = build_subgraph_schema("tourism").as_str()
    hospital = _type_block(sdl, "type Hospital ")
    assert hospital.startswith('type Hospital @key(fields: "id")')
    assert "  id: ID!\n" in hospital
    assert "): [Attraction!]\n" in hospital  # nullable: a dead subgraph costs only this field
    assert _type_block(sdl, "type Attraction ").startswith(
        'type Attraction implements Node @key(fields: "id"'
    )


def test_value_types_several_subgraphs_define_are_shareable() -> None:
    for name in ("hospital", "tourism"):
        sdl = build_subgraph_schema(name).as_str()
        assert "type PageInfo @shareable {" in sdl
        assert "type GeoPoint @shareable {" in sdl


def test_the_monolith_keeps_its_sdl_free_of_federation() -> None:
    for name in SUBGRAPH_NAMES:
        build_subgraph_schema(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sdl = build_schema().as_str()
    assert "@key" not in sdl
    assert "@shareable" not in sdl
    assert "_service" not in sdl
    assert "nearbyAttractions(" in _type_block(sdl, "type Hospital ")
    for shared in (Hospital, AttractionNode):
        assert not get_object_definition(shared, strict=True).directives
    fields = get_object_definition(Hospital, strict=True).fields
    assert any(f.python_name == "nearby_attractions" for f in fields)


def test_a_type_several_subgraphs_define_is_shareable_or_an_entity() -> None:
    """What composition would refuse, caught without node: a new type shared by accident."""
    seen: dict[str, list[set[str]]] = {}
    for name in SUBGRAPH_NAMES:
        document = parse(build_subgraph_schema(name).as_str())
        for node in document.definitions:
            if isinstance(node, ObjectTypeDefinitionNode) and node.name.value not in ROOTS:
                directives = {d.name.value for d in node.directives or ()}
                seen.setdefault(node.name.value, []).append(directives)
    unmarked = sorted(
        type_name
        for type_name, occurrences in seen.items()
        if len(occurrences) > 1 and not all(d & {"shareable", "key"} for d in occurrences)
    )
    assert unmarked == [], "add them to SHARED_VALUE_TYPES in schema/subgraphs.py"


@pytest.mark.parametrize("name", SUBGRAPH_NAMES)
def test_settings_accept_every_subgraph(name: SubgraphName) -> None:
    assert Settings(subgraph=name).subgraph == name


def test_the_subgraph_names_agree_everywhere() -> None:
    """Settings and the CLI offer exactly the subgraphs the schema defines."""
    offered = get_args(get_args(Settings.model_fields["subgraph"].annotation)[0])
    assert set(offered) == set(SUBGRAPH_NAMES)
    help_text = subprocess.run(
        [sys.executable, "-m", "mychangsha", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert all(name in help_text for name in SUBGRAPH_NAMES)
