"""The tourism platform simulator over real HTTP, parsed with the graph's own wire models."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import TypeAdapter

from mychangsha.integrations.tourism.wire import AttractionPageJson, CrowdListJson
from mychangsha.simulators.tourism import create_app
from mychangsha.simulators.tourism.crowd import is_open, level_for
from mychangsha.simulators.tourism.data import (
    AttractionRecord,
    OpeningHoursRecord,
    original_catalogue,
)
from tests.conftest import SimulatorAdmin
from tests.support.clock import MutableClock
from tests.support.servers import serve_in_thread

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_11 = datetime(2025, 5, 14, 11, 0, tzinfo=SHANGHAI)
YUELUSHAN = "att-yuelushan"  # capacity 30 000
DISTRICTS = {
    "芙蓉区",
    "天心区",
    "岳麓区",
    "开福区",
    "雨花区",
    "望城区",
    "长沙县",
    "浏阳市",
    "宁乡市",
}
REQUIRED_IDS = {"att-yuelushan", "att-hunan-museum", "att-orange-isle"}
REQUIRED_NAMES = {
    "岳麓书院",
    "爱晚亭",
    "天心阁",
    "太平老街",
    "坡子街",
    "五一广场",
    "湖南省森林植物园",
    "长沙世界之窗",
    "长沙海底世界",
    "梅溪湖国际文化艺术中心",
    "谢子龙影像艺术馆",
    "铜官窑古镇",
    "靖港古镇",
    "大围山国家森林公园",
    "灰汤温泉",
    "刘少奇故居",
    "湖南烈士公园",
    "开福寺",
    "杜甫江阁",
    "湘江风光带",
    "长沙园林生态园",
    "石燕湖",
    "黑麋峰",
    "千龙湖",
    "洋湖湿地公园",
    "长沙简牍博物馆",
    "贾谊故居",
    "白沙古井",
}


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    return MutableClock(WEDNESDAY_11)


@pytest.fixture(scope="module")
def base_url(clock: MutableClock) -> Iterator[str]:
    with serve_in_thread(create_app(clock=clock)) as url:
        yield url


@pytest.fixture
def http(base_url: str, clock: MutableClock) -> Iterator[httpx.Client]:
    """A client of the simulator, reset and at Wednesday 11:00 before each test."""
    clock.current = WEDNESDAY_11
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.post("/__admin/reset").raise_for_status()
        yield client


def _error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def _walk(http: httpx.Client, page_size: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    link: str | None = f"/v1/attractions?page=1&pageSize={page_size}"
    for _ in range(100):
        if link is None:
            return items
        body = http.get(link).raise_for_status().json()
        page = AttractionPageJson.model_validate(body)
        assert len(page.items) <= page_size
        items += body["items"]
        link = page.next
    raise AssertionError("next links never ended")


def _crowd(http: httpx.Client, **params: str) -> dict[str, dict[str, Any]]:
    body = http.get("/v1/crowd", params=params).raise_for_status().json()
    CrowdListJson.model_validate(body)
    return {item["attractionId"]: item for item in body["items"]}


# --- catalogue --------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 7, 20, 100])
def test_paging_walks_every_attraction_once_in_id_order(http: httpx.Client, page_size: int) -> None:
    items = _walk(http, page_size)
    ids = [item["id"] for item in items]
    assert ids == sorted(set(ids))
    assert len(ids) == http.get("/v1/attractions").json()["total"] >= 28


def test_page_metadata_and_relative_next_link(http: httpx.Client) -> None:
    body = http.get("/v1/attractions").json()
    assert (body["page"], body["pageSize"]) == (1, 20)
    assert body["next"] == "/v1/attractions?page=2&pageSize=20"
    last = http.get("/v1/attractions", params={"page": 2}).json()
    assert last["next"] is None and len(last["items"]) == body["total"] - 20
    beyond = http.get("/v1/attractions", params={"page": 99}).json()
    assert beyond["items"] == [] and beyond["next"] is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("pageSize", "0"),
        ("pageSize", "101"),
        ("pageSize", "-1"),
        ("pageSize", "ten"),
        ("pageSize", "1.5"),
        ("pageSize", ""),
        ("page", "0"),
        ("page", "x"),
    ],
)
def test_bad_paging_parameters_are_400(http: httpx.Client, name: str, value: str) -> None:
    _error(http.get("/v1/attractions", params={name: value}), 400, "BAD_REQUEST")


def test_one_attraction_and_the_404_shape(http: httpx.Client) -> None:
    museum = http.get("/v1/attractions/att-hunan-museum").json()
    assert museum["name"] == "湖南博物院"
    assert museum["tickets"] == [
        {
            "id": "att-hunan-museum-free",
            "name": "免费预约参观",
            "priceFen": 0,
            "reservationRequired": True,
        }
    ]
    missing = http.get("/v1/attractions/att-nowhere")
    _error(missing, 404, "NOT_FOUND")
    assert "att-nowhere" in missing.json()["error"]["message"]
    _error(http.get("/v1/attractions/att-nowhere/crowd"), 404, "NOT_FOUND")


# --- crowd ------------------------------------------------------------------------------------


def test_crowd_covers_every_attraction_and_filters_by_ids(http: httpx.Client) -> None:
    everything = _crowd(http)
    assert set(everything) == {item["id"] for item in _walk(http, 100)}
    some = _crowd(http, ids=f"{YUELUSHAN}, att-hunan-museum,att-nowhere,")
    assert set(some) == {YUELUSHAN, "att-hunan-museum"}
    one = http.get(f"/v1/attractions/{YUELUSHAN}/crowd").json()
    assert one == everything[YUELUSHAN]
    assert one["updatedAt"] == "2025-05-14T11:00:00+08:00"


@pytest.mark.parametrize(
    ("visitors", "level"),
    [
        (0, "comfortable"),
        (14_999, "comfortable"),
        (15_000, "busy"),
        (23_999, "busy"),
        (24_000, "crowded"),
        (45_000, "crowded"),
    ],
)
def test_levels_follow_the_thresholds(http: httpx.Client, visitors: int, level: str) -> None:
    pinned = http.put(f"/__admin/crowd/{YUELUSHAN}", json={"visitors": visitors}).json()
    assert (pinned["visitors"], pinned["level"], pinned["capacity"]) == (visitors, level, 30_000)
    assert _crowd(http)[YUELUSHAN] == pinned
    assert http.get(f"/v1/attractions/{YUELUSHAN}/crowd").json() == pinned


def test_unpinning_and_reset_return_to_the_curve(http: httpx.Client) -> None:
    simulated = _crowd(http)[YUELUSHAN]
    http.put(f"/__admin/crowd/{YUELUSHAN}", json={"visitors": 29_999}).raise_for_status()
    assert http.delete(f"/__admin/crowd/{YUELUSHAN}").json() == simulated
    http.put(f"/__admin/crowd/{YUELUSHAN}", json={"visitors": 29_999}).raise_for_status()
    http.post("/__admin/reset").raise_for_status()
    assert _crowd(http)[YUELUSHAN] == simulated


@pytest.mark.parametrize("body", [{"visitors": -1}, {"visitors": "9"}, {"visitors": True}, {}])
def test_bad_pins_are_400_and_unknown_attractions_404(http: httpx.Client, body: object) -> None:
    _error(http.put(f"/__admin/crowd/{YUELUSHAN}", json=body), 400, "BAD_REQUEST")
    _error(http.put("/__admin/crowd/att-nowhere", json={"visitors": 1}), 404, "NOT_FOUND")


def test_the_curve_follows_the_time_of_day(http: httpx.Client, clock: MutableClock) -> None:
    clock.current = datetime(2025, 5, 14, 3, 0, tzinfo=SHANGHAI)
    night = _crowd(http)
    clock.current = WEDNESDAY_11
    day = _crowd(http)
    assert night != day
    assert all(reading["level"] == "comfortable" for reading in night.values())
    assert sum(r["visitors"] for r in day.values()) > 10 * sum(
        r["visitors"] for r in night.values()
    )
    assert {r["level"] for r in day.values()} >= {"comfortable", "busy"}


def test_the_curve_is_deterministic_and_weekends_are_busier(
    http: httpx.Client, clock: MutableClock
) -> None:
    first, second = _crowd(http), _crowd(http)
    assert first == second
    clock.current = datetime(2025, 5, 17, 11, 0, tzinfo=SHANGHAI)  # Saturday
    weekend = _crowd(http)
    assert sum(r["visitors"] for r in weekend.values()) > sum(r["visitors"] for r in first.values())


def test_closed_on_monday_means_nobody_inside(http: httpx.Client, clock: MutableClock) -> None:
    clock.current = datetime(2025, 5, 12, 11, 0, tzinfo=SHANGHAI)  # Monday
    museum = http.get("/v1/attractions/att-hunan-museum/crowd").json()
    assert museum["visitors"] == 0 and museum["level"] == "comfortable"
    assert http.get(f"/v1/attractions/{YUELUSHAN}/crowd").json()["visitors"] > 0


def test_same_seed_same_readings_other_seed_other_readings() -> None:
    def readings(seed: int) -> dict[str, Any]:
        with serve_in_thread(create_app(clock=lambda: WEDNESDAY_11, seed=seed)) as url:
            body: dict[str, Any] = httpx.get(f"{url}/v1/crowd").json()
            return body

    assert readings(7) == readings(7)
    assert readings(7) != readings(8)


def test_crowd_helpers() -> None:
    assert level_for(0, 0) == "comfortable"
    assert level_for(1, 0) == "crowded"
    assert [level_for(v, 10) for v in (4, 5, 7, 8, 12)] == [
        "comfortable",
        "busy",
        "busy",
        "crowded",
        "crowded",
    ]
    hours: list[OpeningHoursRecord] = [{"days": "Fri-Mon", "open": "20:00", "close": "02:00"}]
    friday_night = datetime(2025, 5, 16, 23, 0, tzinfo=SHANGHAI)
    assert is_open(hours, friday_night)
    assert not is_open(hours, friday_night.replace(day=14))
    assert is_open([], friday_night)


# --- catalogue changes ------------------------------------------------------------------------


def test_patch_changes_the_catalogue_and_moves_updated_at_forward(http: httpx.Client) -> None:
    before = http.get(f"/v1/attractions/{YUELUSHAN}").json()
    hours = [{"days": "Mon-Sun", "open": "07:00", "close": "22:00"}]
    first = http.put(
        f"/__admin/attractions/{YUELUSHAN}", json={"name": "岳麓山景区", "openingHours": hours}
    )
    assert first.status_code == 200, first.text
    changed = first.json()
    assert (changed["name"], changed["openingHours"]) == ("岳麓山景区", hours)
    assert changed["tickets"] == before["tickets"]
    assert datetime.fromisoformat(changed["updatedAt"]) == WEDNESDAY_11
    assert changed["updatedAt"].endswith("+08:00")
    # The clock has not moved, yet a second change must still look newer to a sync job.
    second = http.put(f"/__admin/attractions/{YUELUSHAN}", json={"capacity": 100}).json()
    assert datetime.fromisoformat(second["updatedAt"]) > datetime.fromisoformat(
        changed["updatedAt"]
    )
    listed = {item["id"]: item for item in _walk(http, 100)}
    assert listed[YUELUSHAN] == second
    AttractionPageJson.model_validate({"items": [second]})


@pytest.mark.parametrize(
    "patch",
    [
        {"capacity": -5},
        {"capacity": "5"},
        {"location": {"lat": 28.1}},
        {"openingHours": [{"days": "Mon-Sun", "open": "8am", "close": "17:00"}]},
        {"tickets": [{"id": "t", "name": "t", "priceFen": 1.5, "reservationRequired": False}]},
        {"colour": "red"},
        {"id": "att-other"},
        {"updatedAt": "2030-01-01T00:00:00+08:00"},
    ],
)
def test_bad_patches_are_400_and_change_nothing(http: httpx.Client, patch: dict[str, Any]) -> None:
    before = http.get(f"/v1/attractions/{YUELUSHAN}").json()
    _error(http.put(f"/__admin/attractions/{YUELUSHAN}", json=patch), 400, "BAD_REQUEST")
    assert http.get(f"/v1/attractions/{YUELUSHAN}").json() == before


def test_add_delete_and_reset_restore_the_catalogue(http: httpx.Client) -> None:
    original = _walk(http, 100)
    new = {key: value for key, value in original[0].items() if key not in {"id", "updatedAt"}}
    new["name"] = "新景点"
    added = http.put("/__admin/attractions/att-new-place", json=new)
    assert added.status_code == 201, added.text
    _error(http.put("/__admin/attractions/att-partial", json={"name": "x"}), 400, "BAD_REQUEST")
    assert http.delete(f"/__admin/attractions/{YUELUSHAN}").status_code == 204
    _error(http.delete(f"/__admin/attractions/{YUELUSHAN}"), 404, "NOT_FOUND")
    _error(http.get(f"/v1/attractions/{YUELUSHAN}"), 404, "NOT_FOUND")
    ids = {item["id"] for item in _walk(http, 100)}
    assert "att-new-place" in ids and YUELUSHAN not in ids
    assert set(_crowd(http)) == ids
    http.post("/__admin/reset").raise_for_status()
    assert _walk(http, 100) == original


# --- the shared shell on this simulator -------------------------------------------------------


def test_counters_use_route_templates(http: httpx.Client) -> None:
    http.get("/v1/crowd")
    http.get("/v1/crowd", params={"ids": YUELUSHAN})
    http.get(f"/v1/attractions/{YUELUSHAN}")
    http.get("/v1/attractions/att-nowhere")
    http.get(f"/v1/attractions/{YUELUSHAN}/crowd")
    http.get("/v1/attractions")
    http.put(f"/__admin/crowd/{YUELUSHAN}", json={"visitors": 1})
    http.get("/healthz")
    assert http.get("/__admin/counters").json() == {
        "total": 6,
        "byRoute": {
            "GET /v1/attractions": 1,
            "GET /v1/attractions/{attraction_id}": 2,
            "GET /v1/attractions/{attraction_id}/crowd": 1,
            "GET /v1/crowd": 2,
        },
    }


def test_faults_under_a_prefix_spare_the_rest(http: httpx.Client) -> None:
    http.put("/__admin/faults", json={"down": True, "pathPrefix": "/v1/crowd"}).raise_for_status()
    _error(http.get("/v1/crowd"), 503, "SERVICE_UNAVAILABLE")
    assert http.get("/v1/attractions").status_code == 200
    http.put("/__admin/faults", json={"errorRate": 1.0}).raise_for_status()
    _error(http.get("/v1/attractions"), 500, "INTERNAL_ERROR")
    assert http.get("/__admin/counters").json()["byRoute"]["GET /v1/crowd"] == 1


def test_two_simulators_do_not_share_state(http: httpx.Client) -> None:
    with serve_in_thread(create_app(clock=lambda: WEDNESDAY_11)) as other:
        httpx.put(f"{other}/__admin/crowd/{YUELUSHAN}", json={"visitors": 29_000})
        httpx.delete(f"{other}/__admin/attractions/att-orange-isle")
        httpx.put(f"{other}/__admin/faults", json={"down": True})
        mine = http.get(f"/v1/attractions/{YUELUSHAN}/crowd").json()
        assert mine["visitors"] != 29_000
        assert http.get("/v1/attractions/att-orange-isle").status_code == 200
        assert http.get("/__admin/counters").json()["total"] == 2
        assert httpx.get(f"{other}/v1/attractions/att-orange-isle").status_code == 503
        httpx.put(f"{other}/__admin/faults", json={})
        assert httpx.get(f"{other}/v1/attractions/att-orange-isle").status_code == 404


def test_openapi_describes_every_route_and_its_refs_resolve(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    for path, methods in {
        "/v1/attractions": {"get"},
        "/v1/attractions/{attraction_id}": {"get"},
        "/v1/attractions/{attraction_id}/crowd": {"get"},
        "/v1/crowd": {"get"},
        "/__admin/crowd/{attraction_id}": {"put", "delete"},
        "/__admin/attractions/{attraction_id}": {"put", "delete"},
        "/__admin/faults": {"get", "put"},
    }.items():
        assert methods <= set(document["paths"][path]), path
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/')[1:]}:
        node: Any = document
        for key in ref.split("/"):
            node = node[key]


def test_the_cli_serves_the_registered_simulator(tourism_simulator: SimulatorAdmin) -> None:
    health = tourism_simulator.http.get("/healthz").json()
    assert health == {"status": "ok", "name": "tourism"}
    assert tourism_simulator.http.get("/v1/attractions/att-yuelushan").status_code == 200


# --- the data itself --------------------------------------------------------------------------


def test_the_catalogue_is_real_and_consistent() -> None:
    records = original_catalogue()
    TypeAdapter(list[AttractionRecord]).validate_python(records)
    ids = [r["id"] for r in records]
    names = [r["name"] for r in records]
    assert len(records) >= 28
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    assert set(ids) >= REQUIRED_IDS
    assert set(names) >= REQUIRED_NAMES
    assert {r["district"] for r in records} == DISTRICTS
    tickets = [t["id"] for r in records for t in r["tickets"]]
    assert len(set(tickets)) == len(tickets)
    for record in records:
        lat, lng = record["location"]["lat"], record["location"]["lng"]
        assert 27.8 <= lat <= 28.7 and 111.8 <= lng <= 114.3, record["id"]
        assert record["id"].startswith("att-") and record["tickets"] and record["openingHours"]
        assert record["updatedAt"].endswith("+08:00") and record["capacity"] > 0
        assert record["level"] in {None, "5A", "4A", "3A"}
        assert record["description"].endswith("。") and record["nameEn"]


@pytest.mark.parametrize(
    ("attraction_id", "lat", "lng"),
    [
        ("att-yuelushan", 28.1839, 112.9375),
        ("att-hunan-museum", 28.2136, 112.9938),
        ("att-orange-isle", 28.1740, 112.9590),
        ("att-tianxin-pavilion", 28.1897, 112.9838),
        ("att-dawei-mountain", 28.42, 114.08),
        ("att-huitang-hot-spring", 27.97, 112.25),
    ],
)
def test_landmarks_sit_where_they_are(attraction_id: str, lat: float, lng: float) -> None:
    record = next(r for r in original_catalogue() if r["id"] == attraction_id)
    assert record["location"]["lat"] == pytest.approx(lat, abs=0.01)
    assert record["location"]["lng"] == pytest.approx(lng, abs=0.01)
