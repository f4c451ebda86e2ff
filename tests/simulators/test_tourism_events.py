"""The tourism platform's events feed over real HTTP, parsed with the graph's own wire models."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import TypeAdapter

from mychangsha.integrations.tourism.models import EventCategory
from mychangsha.integrations.tourism.wire import EventPageJson
from mychangsha.simulators.tourism import create_app
from mychangsha.simulators.tourism.data import original_catalogue
from mychangsha.simulators.tourism.events import EventRecord, check_event, original_events
from tests.conftest import SimulatorAdmin
from tests.support.clock import MutableClock
from tests.support.servers import serve_in_thread

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 00:30 in Changsha is still the previous day in UTC: the anchor must be the local date.
WEDNESDAY = datetime(2025, 5, 14, 0, 30, tzinfo=SHANGHAI)
ANCHOR = date(2025, 5, 14)
MUSEUM_EXHIBITION = "evt-mawangdui-han-tombs"
MARATHON = "evt-changsha-marathon"


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    return MutableClock(WEDNESDAY)


@pytest.fixture(scope="module")
def base_url(clock: MutableClock) -> Iterator[str]:
    with serve_in_thread(create_app(clock=clock)) as url:
        yield url


@pytest.fixture
def http(base_url: str, clock: MutableClock) -> Iterator[httpx.Client]:
    """A client of the simulator, reset on the anchor day before each test."""
    clock.current = WEDNESDAY
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.post("/__admin/reset").raise_for_status()
        yield client


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def _walk(http: httpx.Client, page_size: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    link: str | None = f"/v1/events?page=1&pageSize={page_size}"
    for _ in range(100):
        if link is None:
            return items
        body = http.get(link).raise_for_status().json()
        page = EventPageJson.model_validate(body)
        assert len(page.items) <= page_size
        items += body["items"]
        link = page.next
    raise AssertionError("next links never ended")


def _days(record: dict[str, Any]) -> tuple[int, int]:
    """Start and end as day offsets from the anchor."""
    start = date.fromisoformat(record["startDate"]) - ANCHOR
    end = date.fromisoformat(record["endDate"]) - ANCHOR
    return start.days, end.days


# --- the feed ---------------------------------------------------------------------------------


def test_the_feed_is_a_real_calendar_around_the_clocks_date(http: httpx.Client) -> None:
    events = _walk(http, 100)
    assert 30 <= len(events) <= 40
    spans = [_days(e) for e in events]
    assert all(-30 <= start <= end <= 120 for start, end in spans)
    assert any(start < 0 for start, _ in spans) and any(start > 60 for start, _ in spans)
    assert any(end < 0 for _, end in spans), "some events are over"
    assert any(start <= 0 <= end for start, end in spans), "some events are running"
    lengths = [end - start + 1 for start, end in spans]
    assert sum(1 for n in lengths if n == 1) >= 5 and sum(1 for n in lengths if n >= 21) >= 5
    assert {e["category"] for e in events} == {c.value for c in EventCategory}
    titles = {e["title"] for e in events}
    for wanted in (
        "长沙马王堆汉墓陈列",
        "橘子洲周末焰火",
        "岳麓山红枫节",
        "长沙国际马拉松",
        "橘洲音乐节",
    ):
        assert wanted in titles
    fireworks = [e for e in events if e["title"] == "橘子洲周末焰火"]
    assert fireworks and all(date.fromisoformat(e["startDate"]).weekday() == 5 for e in fireworks)
    for event in events:
        assert event["updatedAt"].endswith("+08:00")
        assert event["description"].endswith("。")
        assert (event["dailyStart"] is None) == (event["dailyEnd"] is None)


def test_venues_link_the_catalogue_where_they_are_in_it(http: httpx.Client) -> None:
    catalogue = {record["id"]: record for record in original_catalogue()}
    events = {e["id"]: e for e in _walk(http, 100)}
    linked = [e for e in events.values() if e["venue"]["attractionId"] is not None]
    assert len(linked) >= 20 and len(linked) < len(events), "some venues are not attractions"
    for event in linked:
        attraction = catalogue[event["venue"]["attractionId"]]
        assert event["venue"]["location"] == attraction["location"]
        assert event["venue"]["address"] == attraction["address"]
    museum = events[MUSEUM_EXHIBITION]["venue"]
    assert (museum["name"], museum["attractionId"]) == ("湖南博物院", "att-hunan-museum")
    assert events[MARATHON]["venue"]["attractionId"] is None
    for event in events.values():
        location = event["venue"]["location"]
        assert 27.8 <= location["lat"] <= 28.7 and 111.8 <= location["lng"] <= 114.3


def test_the_feed_is_deterministic_and_follows_the_date_at_reset(
    http: httpx.Client, clock: MutableClock
) -> None:
    first = _walk(http, 100)
    assert _walk(http, 100) == first
    with serve_in_thread(create_app(clock=lambda: WEDNESDAY)) as other:
        assert httpx.get(f"{other}/v1/events", params={"pageSize": 100}).json()["items"] == first
    clock.current = WEDNESDAY + timedelta(days=10)
    assert _walk(http, 100) == first, "the calendar only moves on reset"
    http.post("/__admin/reset").raise_for_status()
    later = {e["id"]: e for e in _walk(http, 100)}
    museum = next(e for e in first if e["id"] == MUSEUM_EXHIBITION)
    moved = date.fromisoformat(later[MUSEUM_EXHIBITION]["startDate"])
    assert moved == date.fromisoformat(museum["startDate"]) + timedelta(days=10)


@pytest.mark.parametrize("page_size", [1, 7, 50, 100])
def test_paging_walks_every_event_once_in_id_order(http: httpx.Client, page_size: int) -> None:
    ids = [e["id"] for e in _walk(http, page_size)]
    assert ids == sorted(set(ids))
    assert len(ids) == http.get("/v1/events").json()["total"]


def test_page_metadata_and_relative_next_link(http: httpx.Client) -> None:
    body = http.get("/v1/events").json()
    assert (body["page"], body["pageSize"], body["next"]) == (1, 50, None)
    assert len(body["items"]) == body["total"]
    small = http.get("/v1/events", params={"pageSize": 10}).json()
    assert small["next"] == "/v1/events?page=2&pageSize=10"
    beyond = http.get("/v1/events", params={"page": 99}).json()
    assert beyond["items"] == [] and beyond["next"] is None


@pytest.mark.parametrize(
    ("name", "value"),
    [("pageSize", "0"), ("pageSize", "101"), ("pageSize", "x"), ("page", "0"), ("page", "-1")],
)
def test_bad_paging_parameters_are_400(http: httpx.Client, name: str, value: str) -> None:
    _error(http.get("/v1/events", params={name: value}), 400, "BAD_REQUEST")


# --- test controls ----------------------------------------------------------------------------


def test_patch_merges_and_moves_updated_at_forward(http: httpx.Client) -> None:
    before = {e["id"]: e for e in _walk(http, 100)}[MARATHON]
    first = http.put(f"/__admin/events/{MARATHON}", json={"title": "长沙马拉松", "priceFen": 12000})
    assert first.status_code == 200, first.text
    changed = first.json()
    assert (changed["title"], changed["priceFen"]) == ("长沙马拉松", 12000)
    assert changed["venue"] == before["venue"] and changed["startDate"] == before["startDate"]
    assert datetime.fromisoformat(changed["updatedAt"]) == WEDNESDAY
    assert changed["updatedAt"].endswith("+08:00")
    # The clock has not moved, yet a second change must still look newer to a sync job.
    second = http.put(f"/__admin/events/{MARATHON}", json={"priceFen": None}).json()
    assert second["priceFen"] is None
    assert datetime.fromisoformat(second["updatedAt"]) > datetime.fromisoformat(
        changed["updatedAt"]
    )
    listed = {e["id"]: e for e in _walk(http, 100)}
    assert listed[MARATHON] == second


@pytest.mark.parametrize(
    "patch",
    [
        {"category": "concert"},
        {"startDate": "2025-02-30", "endDate": "2025-03-01"},
        {"startDate": "2025/05/20"},
        {"endDate": "2000-01-01"},
        {"dailyStart": None},
        {"dailyEnd": "25:00"},
        {"priceFen": -1},
        {"priceFen": 1.5},
        {"reservationRequired": "yes"},
        {"venue": {"name": "某处", "address": "", "location": {"lat": 28.1}, "attractionId": None}},
        {"colour": "red"},
        {"id": "evt-other"},
        {"updatedAt": "2030-01-01T00:00:00+08:00"},
    ],
)
def test_bad_patches_are_400_and_change_nothing(http: httpx.Client, patch: dict[str, Any]) -> None:
    before = _walk(http, 100)
    _error(http.put(f"/__admin/events/{MARATHON}", json=patch), 400, "BAD_REQUEST")
    assert _walk(http, 100) == before


def test_add_delete_and_reset_restore_the_feed(http: httpx.Client) -> None:
    original = _walk(http, 100)
    new = {k: v for k, v in original[0].items() if k not in {"id", "updatedAt"}}
    new |= {"title": "岳麓书院讲坛", "category": "performance", "startDate": "2025-05-20"}
    new |= {"endDate": "2025-05-20", "dailyStart": None, "dailyEnd": None}
    added = http.put("/__admin/events/evt-yuelu-academy-lecture", json=new)
    assert added.status_code == 201, added.text
    _error(http.put("/__admin/events/evt-partial", json={"title": "x"}), 400, "BAD_REQUEST")
    assert http.delete(f"/__admin/events/{MARATHON}").status_code == 204
    _error(http.delete(f"/__admin/events/{MARATHON}"), 404, "NOT_FOUND")
    ids = {e["id"] for e in _walk(http, 100)}
    assert "evt-yuelu-academy-lecture" in ids and MARATHON not in ids
    http.post("/__admin/reset").raise_for_status()
    assert _walk(http, 100) == original


def test_counters_and_faults_cover_the_feed(http: httpx.Client) -> None:
    http.get("/v1/events")
    http.get("/v1/events", params={"page": 2})
    http.put(f"/__admin/events/{MARATHON}", json={"priceFen": 1})
    assert http.get("/__admin/counters").json()["byRoute"] == {"GET /v1/events": 2}
    http.put("/__admin/faults", json={"down": True, "pathPrefix": "/v1/events"}).raise_for_status()
    _error(http.get("/v1/events"), 503, "SERVICE_UNAVAILABLE")
    assert http.get("/v1/attractions").status_code == 200


def test_openapi_describes_the_feed(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert "get" in document["paths"]["/v1/events"]
    assert {"put", "delete"} <= set(document["paths"]["/__admin/events/{event_id}"])
    event = document["components"]["schemas"]["Event"]
    sample = _walk(http, 1)[0]
    assert set(event["required"]) == set(sample) == set(event["properties"])


def test_the_cli_serves_the_feed(tourism_simulator: SimulatorAdmin) -> None:
    body = tourism_simulator.http.get("/v1/events").json()
    assert 30 <= body["total"] <= 40


# --- the data itself --------------------------------------------------------------------------


@pytest.mark.parametrize("anchor", [ANCHOR, date(2026, 2, 28), date(2027, 12, 31)])
def test_every_generated_event_is_valid(anchor: date) -> None:
    events = original_events(anchor)
    TypeAdapter(list[EventRecord]).validate_python(events)
    for event in events:
        check_event(event)
    ids = [e["id"] for e in events]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("evt-") for i in ids)
    catalogue = {record["id"] for record in original_catalogue()}
    linked = {e["venue"]["attractionId"] for e in events} - {None}
    assert linked <= catalogue
