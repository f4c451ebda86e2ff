"""The domains, each served as a subgraph, compose into one supergraph a gateway answers.

The hospital and tourism subgraphs run as real `mychangsha serve --subgraph` processes; the
identity and government subgraphs are composed from their printed SDL with URLs nobody
listens on, so the gateway also shows that a dead subgraph costs only its own fields.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import build_schema, parse, validate

from mychangsha.schema.subgraphs import SUBGRAPH_NAMES, SubgraphName, build_subgraph_schema
from tests.federation.node_tools import (
    compose,
    ensure_tools,
    gateway_argv,
)
from tests.support.graphs import subgraph
from tests.support.npm_packages import ToolsUnavailable
from tests.support.servers import free_port, serve_process

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_SDL = ROOT / "schema.graphql"
SERVED: tuple[SubgraphName, ...] = ("hospital", "tourism")
PRINTED: tuple[SubgraphName, ...] = ("identity", "government", "home")

NEARBY = """
query Nearby($keyword: String!) {
  hospitals(keyword: $keyword, first: 1) {
    edges { node { id name location { lat lng } nearbyAttractions(first: 3) { id name } } }
  }
}
"""


@pytest.fixture(scope="module")
def node_tools() -> Path:
    """The installed composition and gateway packages; a failure saying why if there are none."""
    try:
        return ensure_tools()
    except ToolsUnavailable as exc:
        pytest.fail(f"federation tools unavailable: {exc}", pytrace=False)


@pytest.fixture(scope="module")
def subgraph_urls(graph_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The hospital and tourism subgraphs, each a `mychangsha serve --subgraph` process.

    The two mirrors the tests read are filled once beforehand (`mychangsha seed`), so the
    subgraphs skip the sync of every catalogue a process otherwise runs before it listens.
    """
    seeded = subprocess.run(
        [sys.executable, "-m", "mychangsha", "seed", "hospitals", "attractions"],
        env=graph_env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    with contextlib.ExitStack() as stack:
        urls = {name: stack.enter_context(subgraph(graph_env, name)) for name in SERVED}
        yield urls


def _service_sdl(url: str) -> str:
    body = httpx.post(url, json={"query": "{ _service { sdl } }"}, timeout=20).json()
    assert "errors" not in body, body
    sdl: str = body["data"]["_service"]["sdl"]
    return sdl


@pytest.fixture(scope="module")
def supergraph(node_tools: Path, subgraph_urls: dict[str, str]) -> str:
    """The supergraph of all four subgraphs: two live, two at addresses nobody serves."""
    services = [
        {"name": name, "url": url, "typeDefs": _service_sdl(url)}
        for name, url in subgraph_urls.items()
    ]
    services += [
        {
            "name": name,
            "url": f"http://127.0.0.1:{free_port()}/graphql",
            "typeDefs": build_subgraph_schema(name).as_str(),
        }
        for name in PRINTED
    ]
    return compose(node_tools, services)


@pytest.fixture(scope="module")
def gateway(
    node_tools: Path, supergraph: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Hive Gateway serving the supergraph, as a child process."""
    path = tmp_path_factory.mktemp("gateway") / "supergraph.graphql"
    path.write_text(supergraph)
    port = free_port()
    with serve_process(gateway_argv(node_tools, path, port), port, health_path="/healthcheck"):
        yield f"http://127.0.0.1:{port}/graphql"


def test_every_operation_the_app_ships_validates_against_the_supergraph(node_tools: Path) -> None:
    """Every root field lives in some subgraph: the app works through a gateway unchanged."""
    services = [
        {"name": name, "url": f"http://127.0.0.1:9/{name}", "typeDefs": sdl}
        for name in SUBGRAPH_NAMES
        if (sdl := build_subgraph_schema(name).as_str())
    ]
    api = build_schema(compose(node_tools, services, public=True))
    operations = sorted((ROOT / "clients" / "operations").glob("*.graphql"))
    assert len(operations) >= 46
    invalid = {
        path.name: [error.message for error in errors]
        for path in operations
        if (errors := validate(api, parse(path.read_text())))
    }
    assert invalid == {}
    monolith_roots = {
        kind: set(getattr(build_schema(SCHEMA_SDL.read_text()), f"{kind}_type").fields)
        for kind in ("query", "mutation", "subscription")
    }
    for kind, fields in monolith_roots.items():
        served = set(getattr(api, f"{kind}_type").fields)
        assert fields - served <= {"node"}, (kind, fields - served)


def test_the_supergraph_joins_hospitals_and_attractions(supergraph: str) -> None:
    assert 'join__graph(name: "hospital"' in supergraph
    assert 'join__graph(name: "tourism"' in supergraph
    assert "nearbyAttractions" in supergraph


def test_a_hospital_entity_resolves_by_its_key(subgraph_urls: dict[str, str]) -> None:
    url = subgraph_urls["hospital"]
    found = httpx.post(
        url,
        json={"query": '{ hospitals(keyword: "湘雅", first: 1) { edges { node { id name } } } }'},
    ).json()
    hospital = found["data"]["hospitals"]["edges"][0]["node"]
    query = """query($r: [_Any!]!) {
      _entities(representations: $r) { __typename ... on Hospital { name } } }"""
    representation = {"__typename": "Hospital", "id": hospital["id"]}
    body = httpx.post(url, json={"query": query, "variables": {"r": [representation]}}).json()
    # A Hospital, not any other Node entity of the subgraph (all share the Node interface).
    assert body == {"data": {"_entities": [{"__typename": "Hospital", "name": hospital["name"]}]}}


def test_the_gateway_answers_across_subgraphs(gateway: str) -> None:
    body = httpx.post(
        gateway, json={"query": NEARBY, "variables": {"keyword": "湘雅"}}, timeout=30
    ).json()
    assert "errors" not in body, body
    hospital = body["data"]["hospitals"]["edges"][0]["node"]
    nearby = hospital["nearbyAttractions"]
    assert len(nearby) == 3
    assert all(a["name"] for a in nearby)

    # The same attractions the tourism subgraph lists nearest the hospital's location.
    direct = httpx.post(
        gateway,
        json={
            "query": "query($near: GeoPointInput!) { attractions(near: $near, first: 3) "
            "{ edges { node { id } } } }",
            "variables": {"near": hospital["location"]},
        },
        timeout=30,
    ).json()
    assert [e["node"]["id"] for e in direct["data"]["attractions"]["edges"]] == [
        a["id"] for a in nearby
    ]


def test_a_dead_subgraph_costs_only_its_own_fields(gateway: str) -> None:
    query = '{ govService(id: "none") { name } hospitals(first: 1) { edges { node { name } } } }'
    body = httpx.post(gateway, json={"query": query}, timeout=30).json()
    assert body["data"]["govService"] is None
    assert body["data"]["hospitals"]["edges"][0]["node"]["name"]
    assert body["errors"]
