"""The global search over real HTTP: every catalogue, Chinese and pinyin, typed hits."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from tests.conftest import GraphClient, SimulatorAdmin

OPERATION = (
    Path(__file__).resolve().parents[2] / "clients" / "operations" / "GlobalSearch.graphql"
).read_text(encoding="utf-8")
SEARCH = """query($q: String!, $first: Int) { search(query: $q, first: $first) { score node {
  __typename
  ... on GovService { name } ... on GovBundle { name } ... on Attraction { name }
  ... on Hospital { name } ... on Doctor { name } } } }"""
# The government platform's application poller runs in the background whatever the test does.
BACKGROUND_ROUTES = ("/applications",)
MIRRORS = ("gov_services", "gov_bundles", "attractions", "hospitals", "doctors")


@pytest.fixture(scope="module", autouse=True)
def mirrors(graph_url: str, graph_env: dict[str, str], mongo_url: str) -> None:
    """Every catalogue mirrored; on a busy machine the graph's sync at start can time out.

    The search reads the mirrors only, so an empty one would fail these tests for a reason
    that is not theirs: `mychangsha seed` fills them again, as an operator would.
    """
    client: MongoClient[dict[str, Any]] = MongoClient(mongo_url)
    db = client[graph_env["MONGODB_DATABASE"]]
    try:
        for _ in range(3):
            empty = [name for name in MIRRORS if db[name].estimated_document_count() == 0]
            if not empty:
                return
            argv = [sys.executable, "-m", "mychangsha", "seed"]
            subprocess.run(argv, env=graph_env, capture_output=True, check=False)
        pytest.fail(f"mirrors still empty after seeding: {empty}")
    finally:
        client.close()


def _search(graph: GraphClient, query: str, first: int | None = None) -> list[dict[str, Any]]:
    variables: dict[str, Any] = {"q": query} if first is None else {"q": query, "first": first}
    body = graph.execute(SEARCH, variables)
    assert "errors" not in body, body
    results: list[dict[str, Any]] = body["data"]["search"]
    return results


def _hits(results: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(r["node"]["__typename"], r["node"]["name"]) for r in results]


# (query, expected type, expected name): Chinese, full pinyin, initials, mixed, aliases, English.
TABLE = [
    ("湘雅", "Hospital", "中南大学湘雅医院"),
    ("xiangya", "Hospital", "中南大学湘雅医院"),
    ("湘雅er", "Hospital", "中南大学湘雅二医院"),
    ("省人医", "Hospital", "湖南省人民医院"),
    ("肿瘤", "Hospital", "湖南省肿瘤医院"),
    ("zhongliu", "Hospital", "湖南省肿瘤医院"),
    ("儿科", "Hospital", "长沙市妇幼保健院"),
    ("岳麓", "Attraction", "岳麓山"),
    ("yuelu", "Attraction", "岳麓书院"),
    ("yls", "Attraction", "岳麓山"),
    ("岳麓shan", "Attraction", "岳麓山"),
    ("博物馆", "Attraction", "长沙博物馆"),
    ("Hunan Museum", "Attraction", "湖南博物院"),
    ("jzz", "Attraction", "橘子洲"),
    ("社保", "GovService", "社会保障卡申领"),
    ("shebao", "GovService", "社会保障卡申领"),
    ("sb", "GovService", "社会保障卡申领"),
    ("开办企业", "GovBundle", "开办企业一件事"),
    ("kaiban qiye", "GovBundle", "开办企业一件事"),
    ("kaiban企业", "GovBundle", "开办企业一件事"),
    ("营业执照", "GovBundle", "开办企业一件事"),
    ("结婚", "GovService", "内地居民结婚登记"),
    ("jiehun", "GovBundle", "婚育一件事"),
    ("sfz", "GovService", "居民身份证补领"),
    ("向燕洁", "Doctor", "向燕洁"),
    ("xiangyanjie", "Doctor", "向燕洁"),
]


@pytest.mark.parametrize(("query", "typename", "name"), TABLE)
def test_expected_hit_in_the_top_three(
    graph: GraphClient, query: str, typename: str, name: str
) -> None:
    results = _search(graph, query, 3)
    assert (typename, name) in _hits(results), _hits(results)
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)


def test_exact_name_before_prefix_before_contains_before_other_text(graph: GraphClient) -> None:
    exact = _search(graph, "岳麓山")
    assert (_hits(exact)[0], exact[0]["score"]) == (("Attraction", "岳麓山"), 100)
    prefix = _search(graph, "岳麓")
    assert {h: r["score"] for h, r in zip(_hits(prefix), prefix, strict=True)}[
        ("Attraction", "岳麓山")
    ] == 90
    museums = _search(graph, "博物馆")
    scores = {h: r["score"] for h, r in zip(_hits(museums), museums, strict=True)}
    # 长沙博物馆 contains the word; 湖南博物院 is only tagged with it.
    assert scores[("Attraction", "长沙博物馆")] == 80
    assert scores[("Attraction", "湖南博物院")] < 30


def test_an_alias_outranks_a_spelling_that_merely_starts_alike(graph: GraphClient) -> None:
    # 湘雅 is what everyone calls 中南大学湘雅医院; the doctor 向燕 only starts with "xiangya".
    hits = _hits(_search(graph, "xiangya", 5))
    assert hits[0] == ("Hospital", "中南大学湘雅医院")
    assert hits.index(("Hospital", "中南大学湘雅医院")) < hits.index(("Doctor", "向燕"))
    chinese = _hits(_search(graph, "湘雅", 3))
    assert chinese[0] == ("Hospital", "中南大学湘雅医院")


def test_first_bounds_the_list(graph: GraphClient) -> None:
    assert len(_search(graph, "sb", 1)) == 1
    assert len(_search(graph, "sb", 50)) == 50
    assert len(_search(graph, "sb")) == 20  # the default


def test_typed_hits_expose_their_fields(graph: GraphClient) -> None:
    def run(query: str) -> list[dict[str, Any]]:
        body = graph.execute(OPERATION, {"query": query, "first": 5})
        assert "errors" not in body, body
        return [r["node"] for r in body["data"]["search"]]

    hospital = run("湘雅")[0]
    assert hospital["__typename"] == "Hospital" and hospital["grade"] == "三级甲等"
    bundle = run("开办企业")[0]
    assert bundle["__typename"] == "GovBundle" and bundle["departments"]
    service = run("社保")[0]
    assert service["__typename"] == "GovService" and service["department"]
    attraction = run("岳麓山")[0]
    assert attraction["__typename"] == "Attraction" and attraction["district"]
    doctor = next(n for n in run("向燕洁") if n["__typename"] == "Doctor")
    assert doctor["title"] and doctor["clinic"]["hospital"]["name"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"q": ""}, "query"),
        ({"q": "   "}, "query"),
        ({"q": "！！"}, "query"),
        ({"q": "湘" * 51}, "query"),
        ({"q": "湘雅", "first": 0}, "first"),
        ({"q": "湘雅", "first": 51}, "first"),
    ],
)
def test_bad_input(graph: GraphClient, variables: dict[str, Any], field: str) -> None:
    body = graph.execute(SEARCH, variables)
    assert body["data"] is None, body
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field


@pytest.fixture
def upstreams_down(
    tourism_simulator: SimulatorAdmin,
    hospital_simulator: SimulatorAdmin,
    government_simulator: SimulatorAdmin,
) -> Iterator[list[SimulatorAdmin]]:
    """Every catalogue upstream refusing service, counters zeroed; restored afterwards."""
    simulators = [tourism_simulator, hospital_simulator, government_simulator]
    for simulator in simulators:
        simulator.reset()
        simulator.set_faults(down=True)
    try:
        yield simulators
    finally:
        for simulator in simulators:
            simulator.reset()


def test_no_upstream_is_asked_and_none_is_needed(
    graph: GraphClient, upstreams_down: list[SimulatorAdmin]
) -> None:
    for query in ("湘雅", "yuelu", "社保", "向燕洁", "kaiban qiye"):
        body = graph.execute(OPERATION, {"query": query})
        assert "errors" not in body, body
        assert body["data"]["search"], query
    for simulator in upstreams_down:
        asked = {
            route: n
            for route, n in simulator.counters().items()
            if n and not any(part in route for part in BACKGROUND_ROUTES)
        }
        assert asked == {}, simulator.base_url


def test_public_without_sign_in(graph: GraphClient) -> None:
    response = graph.post(SEARCH, {"q": "湘雅"})
    assert response.status_code == 200
    assert "errors" not in response.json()
