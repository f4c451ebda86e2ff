"""Hospital.nearbyAttractions in the graph: the field the tourism subgraph serves, here too."""

from __future__ import annotations

from tests.conftest import GraphClient

NEARBY = """
query Nearby($keyword: String!) {
  hospitals(keyword: $keyword, first: 1) {
    edges { node { location { lat lng } nearbyAttractions(first: 3) { id name } } }
  }
}
"""

NEAREST = """
query Nearest($near: GeoPointInput!) {
  attractions(near: $near, first: 3) { edges { node { id } } }
}
"""


def test_a_hospital_lists_the_attractions_nearest_it(graph: GraphClient) -> None:
    body = graph.execute(NEARBY, {"keyword": "湘雅"})
    assert "errors" not in body, body
    hospital = body["data"]["hospitals"]["edges"][0]["node"]
    nearby = hospital["nearbyAttractions"]
    assert len(nearby) == 3 and all(a["name"] for a in nearby)

    nearest = graph.execute(NEAREST, {"near": hospital["location"]})
    assert [e["node"]["id"] for e in nearest["data"]["attractions"]["edges"]] == [
        a["id"] for a in nearby
    ]


def test_the_count_is_bounded_like_a_page(graph: GraphClient) -> None:
    body = graph.execute(
        "{ hospitals(first: 1) { edges { node { name nearbyAttractions(first: 500) { id } } } } }"
    )
    node = body["data"]["hospitals"]["edges"][0]["node"]
    assert node["name"] and node["nearbyAttractions"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
