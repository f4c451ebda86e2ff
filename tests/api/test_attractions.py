"""The attraction slice through every layer: real HTTP, real simulator, real MongoDB and Redis."""

from __future__ import annotations

import base64
import math
from typing import Any

import pytest
import redis

from tests.conftest import GraphClient, SimulatorAdmin

CENTRE = {"lat": 28.19, "lng": 112.97}
CROWD_ROUTE = "GET /v1/crowd"

NEAR_QUERY = """
query Near($near: GeoPointInput!, $first: Int!, $after: String, $radiusKm: Float) {
  attractions(near: $near, first: $first, after: $after, radiusKm: $radiusKm) {
    edges { cursor distanceMeters node { id name location { lat lng } crowdLevel } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _haversine_m(a: dict[str, float], b: dict[str, float]) -> float:
    lat1, lat2 = math.radians(a["lat"]), math.radians(b["lat"])
    dlat, dlng = lat2 - lat1, math.radians(b["lng"] - a["lng"])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


@pytest.fixture
def fresh_cache(redis_url: str, tourism_simulator: SimulatorAdmin) -> None:
    """No cached upstream answers and a simulator with zeroed counters and no faults."""
    redis.Redis.from_url(redis_url).flushdb()
    tourism_simulator.reset()


def _codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors", [])}


def test_nearest_first_with_live_crowds(graph: GraphClient, fresh_cache: None) -> None:
    body = graph.execute(NEAR_QUERY, {"near": CENTRE, "first": 5})
    assert "errors" not in body, body
    edges = body["data"]["attractions"]["edges"]
    assert len(edges) == 5
    distances = [e["distanceMeters"] for e in edges]
    assert distances == sorted(distances)
    for edge in edges:
        node = edge["node"]
        assert node["crowdLevel"] in {"COMFORTABLE", "BUSY", "CROWDED"}
        # The reported distance is the real one (within 1 %), not a rank.
        expected = _haversine_m(CENTRE, node["location"])
        assert edge["distanceMeters"] == pytest.approx(expected, rel=0.01, abs=5)


def test_paging_visits_every_attraction_once(graph: GraphClient) -> None:
    seen: list[str] = []
    after = None
    while True:
        page = graph.execute(NEAR_QUERY, {"near": CENTRE, "first": 7, "after": after})
        connection = page["data"]["attractions"]
        seen += [e["node"]["id"] for e in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) >= 25


def test_radius_limits_results(graph: GraphClient) -> None:
    body = graph.execute(NEAR_QUERY, {"near": CENTRE, "first": 100, "radiusKm": 3.0})
    edges = body["data"]["attractions"]["edges"]
    assert edges, "there are attractions within 3 km of the city centre"
    assert all(e["distanceMeters"] <= 3000 for e in edges)
    everything = graph.execute(NEAR_QUERY, {"near": CENTRE, "first": 100})
    assert len(everything["data"]["attractions"]["edges"]) > len(edges)


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [("岳麓山", "岳麓山"), ("yuelushan", "岳麓山"), ("yls", "岳麓山"), ("博物院", "湖南博物院")],
)
def test_keyword_search_in_chinese_and_pinyin(
    graph: GraphClient, keyword: str, expected: str
) -> None:
    body = graph.execute(
        "query($k: String!) { attractions(keyword: $k, first: 3) { edges { node { name } } } }",
        {"k": keyword},
    )
    names = [e["node"]["name"] for e in body["data"]["attractions"]["edges"]]
    assert names and names[0] == expected, names


def test_attraction_and_node_agree(graph: GraphClient) -> None:
    first = graph.execute(NEAR_QUERY, {"near": CENTRE, "first": 1})
    node_id = first["data"]["attractions"]["edges"][0]["node"]["id"]
    assert base64.b64decode(node_id).decode().startswith("Attraction:")
    body = graph.execute(
        """query($id: ID!) {
             attraction(id: $id) { id name tickets { name priceFen } openingHours { days opens } }
             node(id: $id) { id ... on Attraction { name } }
           }""",
        {"id": node_id},
    )
    assert "errors" not in body, body
    assert body["data"]["attraction"]["id"] == body["data"]["node"]["id"] == node_id
    assert body["data"]["attraction"]["name"] == body["data"]["node"]["name"]
    assert all(isinstance(t["priceFen"], int) for t in body["data"]["attraction"]["tickets"])


def test_unknown_ids(graph: GraphClient) -> None:
    missing = base64.b64encode(b"Attraction:no-such-place").decode()
    body = graph.execute("query($id: ID!) { attraction(id: $id) { id } }", {"id": missing})
    assert body["data"]["attraction"] is None
    garbage = graph.execute('{ node(id: "not base64!") { id } }')
    assert "BAD_USER_INPUT" in _codes(garbage)


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ("first: 0", "first"),
        ("first: 101", "first"),
        ('after: "bogus"', "after"),
        ("radiusKm: 5", "radiusKm"),
        ("near: {lat: 95, lng: 112.9}", "near"),
        ('keyword: "   ！！"', "keyword"),
    ],
)
def test_bad_arguments_are_typed_errors(graph: GraphClient, arguments: str, field: str) -> None:
    body = graph.execute(f"{{ attractions({arguments}) {{ edges {{ cursor }} }} }}")
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


def test_crowd_cache_hit_makes_no_upstream_request(
    graph: GraphClient, tourism_simulator: SimulatorAdmin, fresh_cache: None
) -> None:
    graph.execute(NEAR_QUERY, {"near": CENTRE, "first": 10})
    assert tourism_simulator.count(CROWD_ROUTE) == 1, "one request for ten attractions"
    graph.execute(NEAR_QUERY, {"near": CENTRE, "first": 10})
    assert tourism_simulator.count(CROWD_ROUTE) == 1, "the second read is a cache hit"


def test_slow_upstream_costs_only_its_fields(
    graph: GraphClient, tourism_simulator: SimulatorAdmin, fresh_cache: None
) -> None:
    tourism_simulator.set_faults(latencyMs=2000, pathPrefix="/v1/crowd")
    try:
        body = graph.execute(NEAR_QUERY, {"near": CENTRE, "first": 3})
    finally:
        tourism_simulator.reset()
    edges = body["data"]["attractions"]["edges"]
    assert len(edges) == 3 and all(e["node"]["name"] for e in edges)
    assert all(e["node"]["crowdLevel"] is None for e in edges)
    assert _codes(body) == {"UPSTREAM_TIMEOUT"}
    assert {tuple(e["path"][-1:]) for e in body["errors"]} == {("crowdLevel",)}
