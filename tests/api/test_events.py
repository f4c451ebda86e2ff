"""The events calendar through every layer: simulator feed, sync job, MongoDB mirror, the graph."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

import pytest

from mychangsha.services import open_services
from mychangsha.settings import Settings
from mychangsha.sync.scheduler import JOBS, run_job
from tests.api.booking_calendar import graph_today
from tests.api.hospital_journey import encode_id
from tests.conftest import GraphClient, SimulatorAdmin

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

MUSEUM_EXHIBITION = "evt-mawangdui-han-tombs"  # runs from 30 days ago to 120 days on
MARATHON = "evt-changsha-marathon"  # one day, 55 days on, no attraction
KILN_FESTIVAL = "evt-tongguan-kiln-festival"  # price not announced
ORGAN = "evt-concert-hall-organ"  # one evening, 30 days on

EVENTS = """
query Events($from: Date, $to: Date, $category: EventCategory, $first: Int!, $after: String) {
  events(from: $from, to: $to, category: $category, first: $first, after: $after) {
    edges { cursor node { id title category startDate endDate } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""

DETAILS = """
query Details($from: Date!, $to: Date!) {
  events(from: $from, to: $to, first: 100) {
    edges { node {
      id title titleEn category startDate endDate dailyStart dailyEnd
      venue { name address location { lat lng } }
      attraction { id name }
      description priceFen isFree reservationRequired
    } }
  }
}
"""


def _today(graph: GraphClient) -> date:
    """Today in Changsha by the graph's clock, which also decides the default range."""
    return graph_today(str(graph.http.base_url), encode_id("Attraction", "att-hunan-museum"))


def _local_id(global_id: str) -> str:
    type_name, _, local = base64.b64decode(global_id).decode().partition(":")
    assert type_name == "Event"
    return local


def _settings(graph_env: dict[str, str]) -> Settings:
    """The graph process's own settings, so the job writes the mirror the graph reads."""
    values = {
        name: graph_env[name.upper()] for name in Settings.model_fields if name.upper() in graph_env
    }
    return Settings.model_validate(values)


async def _sync_events(graph_env: dict[str, str]) -> None:
    """Run the registered `events` job once, as the graph's scheduler does."""
    async with open_services(_settings(graph_env)) as services:
        assert await run_job(services, "events", JOBS["events"])


def _feed(tourism_simulator: SimulatorAdmin) -> list[dict[str, Any]]:
    body = tourism_simulator.http.get("/v1/events", params={"pageSize": 100}).json()
    assert body["next"] is None
    items: list[dict[str, Any]] = body["items"]
    return items


def _expected(
    feed: list[dict[str, Any]], start: date, end: date, category: str | None = None
) -> list[str]:
    """What the graph must answer, computed from the simulator's own feed."""
    hits = [
        e
        for e in feed
        if e["startDate"] <= end.isoformat()
        and e["endDate"] >= start.isoformat()
        and category in {None, e["category"]}
    ]
    return [e["id"] for e in sorted(hits, key=lambda e: (e["startDate"], e["id"]))]


def _walk(graph: GraphClient, first: int, **variables: Any) -> list[dict[str, Any]]:
    """Every page of a query, following endCursor, checking page info on the way."""
    nodes: list[dict[str, Any]] = []
    after = None
    for page_number in range(100):
        body = graph.execute(EVENTS, {**variables, "first": first, "after": after})
        assert "errors" not in body, body
        connection = body["data"]["events"]
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (page_number > 0)
        assert len(connection["edges"]) <= first
        nodes += [edge["node"] for edge in connection["edges"]]
        if not info["hasNextPage"]:
            return nodes
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        after = info["endCursor"]
    raise AssertionError("hasNextPage never ended")


@pytest.fixture(scope="module")
async def feed(
    graph_url: str, graph_env: dict[str, str], tourism_simulator: SimulatorAdmin
) -> list[dict[str, Any]]:
    """The simulator's calendar as of today, mirrored by the job into the graph's database."""
    tourism_simulator.reset()
    await _sync_events(graph_env)
    return _feed(tourism_simulator)


def _codes(body: dict[str, Any]) -> set[str]:
    return {e["extensions"]["code"] for e in body.get("errors", [])}


# --- reading the calendar ---------------------------------------------------------------------


def test_default_range_is_today_and_the_next_thirty_days(
    graph: GraphClient, feed: list[dict[str, Any]]
) -> None:
    today = _today(graph)
    body = graph.execute(EVENTS, {"first": 100})
    assert "errors" not in body, body
    ids = [_local_id(e["node"]["id"]) for e in body["data"]["events"]["edges"]]
    assert ids == _expected(feed, today, today + timedelta(days=30))
    assert MUSEUM_EXHIBITION in ids and MARATHON not in ids
    assert "evt-art-museum-ink" not in ids, "it closed five days ago"


def test_from_alone_spans_thirty_days(graph: GraphClient, feed: list[dict[str, Any]]) -> None:
    start = _today(graph) + timedelta(days=100)
    nodes = _walk(graph, 100, **{"from": start.isoformat()})
    assert [_local_id(n["id"]) for n in nodes] == _expected(feed, start, start + timedelta(days=30))
    assert all(n["endDate"] >= start.isoformat() for n in nodes)


def test_category_filter(graph: GraphClient, feed: list[dict[str, Any]]) -> None:
    today = _today(graph)
    start, end = today - timedelta(days=30), today + timedelta(days=120)
    variables = {"from": start.isoformat(), "to": end.isoformat(), "category": "PERFORMANCE"}
    nodes = _walk(graph, 100, **variables)
    assert nodes and {n["category"] for n in nodes} == {"PERFORMANCE"}
    assert [_local_id(n["id"]) for n in nodes] == _expected(feed, start, end, "performance")


def test_pages_with_after_visit_every_event_once_in_order(
    graph: GraphClient, feed: list[dict[str, Any]]
) -> None:
    today = _today(graph)
    start, end = today - timedelta(days=30), today + timedelta(days=120)
    nodes = _walk(graph, 4, **{"from": start.isoformat(), "to": end.isoformat()})
    ids = [_local_id(n["id"]) for n in nodes]
    assert ids == _expected(feed, start, end)
    assert len(ids) == len(feed), "the whole calendar lies within −30…+120 days"
    starts = [n["startDate"] for n in nodes]
    assert starts == sorted(starts)


def test_fields_and_the_linked_attraction(graph: GraphClient, feed: list[dict[str, Any]]) -> None:
    today = _today(graph)
    body = graph.execute(
        DETAILS, {"from": today.isoformat(), "to": (today + timedelta(days=60)).isoformat()}
    )
    assert "errors" not in body, body
    nodes = {_local_id(e["node"]["id"]): e["node"] for e in body["data"]["events"]["edges"]}
    upstream = {e["id"]: e for e in feed}

    museum = nodes[MUSEUM_EXHIBITION]
    source = upstream[MUSEUM_EXHIBITION]
    assert museum["title"] == source["title"] == "长沙马王堆汉墓陈列"
    assert museum["category"] == "EXHIBITION"
    assert (museum["startDate"], museum["endDate"]) == (source["startDate"], source["endDate"])
    assert (museum["dailyStart"], museum["dailyEnd"]) == ("09:00", "17:00")
    assert museum["venue"] == {
        "name": "湖南博物院",
        "address": source["venue"]["address"],
        "location": source["venue"]["location"],
    }
    assert museum["attraction"]["name"] == "湖南博物院"
    assert base64.b64decode(museum["attraction"]["id"]).decode() == "Attraction:att-hunan-museum"
    assert (museum["priceFen"], museum["isFree"], museum["reservationRequired"]) == (0, True, True)

    marathon = nodes[MARATHON]
    assert marathon["attraction"] is None and marathon["venue"]["name"] == "贺龙体育中心"
    assert marathon["isFree"] is False and marathon["priceFen"] > 0
    assert marathon["startDate"] == marathon["endDate"]

    kiln = nodes[KILN_FESTIVAL]
    assert kiln["priceFen"] is None and kiln["isFree"] is None


def test_node_resolves_events(graph: GraphClient, feed: list[dict[str, Any]]) -> None:
    body = graph.execute(EVENTS, {"first": 1})
    node_id = body["data"]["events"]["edges"][0]["node"]["id"]
    resolved = graph.execute(
        """query($id: ID!) {
             node(id: $id) { id ... on Event { title venue { name } attraction { name } } }
           }""",
        {"id": node_id},
    )
    assert "errors" not in resolved, resolved
    node = resolved["data"]["node"]
    source = next(e for e in feed if e["id"] == _local_id(node_id))
    assert node["id"] == node_id
    assert (node["title"], node["venue"]["name"]) == (source["title"], source["venue"]["name"])
    missing = base64.b64encode(b"Event:evt-no-such-thing").decode()
    gone = graph.execute("query($id: ID!) { node(id: $id) { id } }", {"id": missing})
    assert gone["data"]["node"] is None


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ('from: "2026-01-10", to: "2026-01-09"', "to"),
        ('from: "2026-01-01", to: "2027-01-03"', "to"),
        ('to: "2000-01-01"', "to"),
        ("first: 0", "first"),
        ("first: 101", "first"),
        ('after: "bogus"', "after"),
    ],
)
def test_bad_arguments_are_typed_errors(graph: GraphClient, arguments: str, field: str) -> None:
    body = graph.execute(f"{{ events({arguments}) {{ edges {{ cursor }} }} }}")
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


def test_a_range_of_exactly_366_days_is_allowed(graph: GraphClient) -> None:
    body = graph.execute('{ events(from: "2026-01-01", to: "2027-01-02") { edges { cursor } } }')
    assert "errors" not in body, body


# --- upstream changes -------------------------------------------------------------------------


async def test_upstream_changes_appear_after_the_sync_job(
    graph: GraphClient,
    graph_env: dict[str, str],
    tourism_simulator: SimulatorAdmin,
    feed: list[dict[str, Any]],
) -> None:
    soon = (_today(graph) + timedelta(days=2)).isoformat()
    window = {"from": _today(graph).isoformat(), "to": soon}
    before = [_local_id(n["id"]) for n in _walk(graph, 100, **window)]
    assert ORGAN not in before
    patch = {"title": "管风琴之夜", "startDate": soon, "endDate": soon}
    tourism_simulator.http.put(f"/__admin/events/{ORGAN}", json=patch).raise_for_status()
    tourism_simulator.http.delete(f"/__admin/events/{MUSEUM_EXHIBITION}").raise_for_status()
    try:
        unchanged = [_local_id(n["id"]) for n in _walk(graph, 100, **window)]
        assert unchanged == before, "the graph reads its mirror, not the platform"

        await _sync_events(graph_env)
        after = {_local_id(n["id"]): n for n in _walk(graph, 100, **window)}
        assert after[ORGAN]["title"] == "管风琴之夜"
        assert after[ORGAN]["startDate"] == soon
        assert MUSEUM_EXHIBITION not in after, "an event gone from the feed leaves the mirror"
    finally:
        tourism_simulator.reset()
        await _sync_events(graph_env)
    restored = [_local_id(n["id"]) for n in _walk(graph, 100, **window)]
    assert restored == before
