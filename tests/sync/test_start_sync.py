"""Catalogue mirroring at start happens once, not in every replica and subgraph."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import SimulatorAdmin
from tests.support.graphs import extra_graph

CATALOGUE_ROUTE = "GET /v1/attractions"
HOSPITALS = '{ hospitals(keyword: "湘雅", first: 1) { edges { node { name } } } }'


def _catalogue_reads(tourism: SimulatorAdmin) -> int:
    return sum(n for route, n in tourism.counters().items() if route == CATALOGUE_ROUTE)


def test_a_replica_beside_fresh_mirrors_listens_without_copying_them(
    graph_url: str, graph_env: dict[str, str], tourism_simulator: SimulatorAdmin
) -> None:
    """The session's graph filled the mirrors at its start: a second replica reuses them."""
    before = _catalogue_reads(tourism_simulator)
    with extra_graph(graph_env, CATALOGUE_SYNC_ON_START="true") as url:
        body = httpx.post(f"{url}/graphql", json={"query": HOSPITALS}, timeout=20).json()
    assert body["data"]["hospitals"]["edges"], body
    assert _catalogue_reads(tourism_simulator) == before


def test_a_new_database_is_filled_before_the_graph_serves(
    graph_url: str, graph_env: dict[str, str], tourism_simulator: SimulatorAdmin
) -> None:
    before = _catalogue_reads(tourism_simulator)
    database = f"mychangsha_fresh_{uuid.uuid4().hex[:8]}"
    with extra_graph(graph_env, CATALOGUE_SYNC_ON_START="true", MONGODB_DATABASE=database) as url:
        body = httpx.post(f"{url}/graphql", json={"query": HOSPITALS}, timeout=20).json()
    assert body["data"]["hospitals"]["edges"], body
    assert _catalogue_reads(tourism_simulator) > before
