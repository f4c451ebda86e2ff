"""The real-name verification simulator over real HTTP, and the population it holds."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from mychangsha.simulators.realname import RECORDS, create_app
from mychangsha.simulators.realname.data import (
    ADULTS,
    DEREGISTERED,
    ELDERLY,
    MINORS,
    NAME_CHANGED,
    AgeGroup,
    CitizenRecord,
    RecordStatus,
    check_character,
)
from tests.support.servers import serve_in_thread

NOW = datetime(2025, 5, 14, 3, 0, tzinfo=UTC)
CHANGSHA_REGIONS = {
    "430102": "芙蓉区",
    "430103": "天心区",
    "430104": "岳麓区",
    "430105": "开福区",
    "430111": "雨花区",
    "430112": "望城区",
    "430121": "长沙县",
    "430181": "浏阳市",
    "430182": "宁乡市",
}


def gb11643_valid(id_number: str) -> bool:
    """The check character, recomputed here from the standard rather than from data.py."""
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, …
    total = sum(int(ch) * w for ch, w in zip(id_number[:17], weights, strict=True))
    expected = (12 - total % 11) % 11
    return id_number[17] == ("X" if expected == 10 else str(expected))


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve_in_thread(create_app(clock=lambda: NOW)) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    """A client of the simulator, reset before each test."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.post("/__admin/reset").raise_for_status()
        yield client


def verify(http: httpx.Client, name: str, id_number: str) -> str:
    response = http.post("/v1/verifications", json={"name": name, "idNumber": id_number})
    assert response.status_code == 200, response.text
    result: str = response.json()["result"]
    return result


def _bad(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "BAD_REQUEST"


# --- the verdicts -----------------------------------------------------------------------------


def test_a_verdict_has_an_id_a_result_and_a_time(http: httpx.Client) -> None:
    person = ADULTS[0]
    response = http.post(
        "/v1/verifications", json={"name": person.name, "idNumber": person.id_number}
    )
    body = response.json()
    assert set(body) == {"verificationId", "result", "checkedAt"}
    assert body["result"] == "match"
    assert body["verificationId"].startswith("rnv-")
    assert body["checkedAt"] == "2025-05-14T11:00:00+08:00"
    again = http.post("/v1/verifications", json={"name": person.name, "idNumber": person.id_number})
    assert again.json()["verificationId"] != body["verificationId"]


def test_every_record_answers_as_its_status_says(http: httpx.Client) -> None:
    expected = {
        RecordStatus.ACTIVE: "match",
        RecordStatus.NAME_CHANGED: "mismatch",
        RecordStatus.DEREGISTERED: "not_found",
    }
    for record in RECORDS:
        assert verify(http, record.name, record.id_number) == expected[record.status], record


def test_another_name_is_a_mismatch(http: httpx.Client) -> None:
    assert verify(http, "李娜", ADULTS[0].id_number) == "mismatch"
    assert verify(http, ADULTS[0].name + "华", ADULTS[0].id_number) == "mismatch"


def test_a_name_change_and_a_cancelled_registration_fail_as_documented(
    http: httpx.Client,
) -> None:
    assert verify(http, NAME_CHANGED.name, NAME_CHANGED.id_number) == "mismatch"
    assert verify(http, DEREGISTERED.name, DEREGISTERED.id_number) == "not_found"


def test_unknown_numbers_are_not_found_even_with_a_wrong_check_character(
    http: httpx.Client,
) -> None:
    valid_unknown = "43010219900307" + "123"
    valid_unknown += "4"  # its correct check character
    assert gb11643_valid(valid_unknown)
    assert verify(http, "张三", valid_unknown) == "not_found"
    assert verify(http, "张三", "43010219900307123X") == "not_found"  # wrong check character
    wrong = ADULTS[0].id_number[:17] + ("0" if ADULTS[0].id_number[17] != "0" else "1")
    assert verify(http, ADULTS[0].name, wrong) == "not_found"


def test_a_lower_case_x_and_surrounding_blanks_are_tolerated(http: httpx.Client) -> None:
    person = next(r for r in RECORDS if r.verifies and r.id_number.endswith("X"))
    assert verify(http, f" {person.name} ", person.id_number.lower()) == "match"


@pytest.mark.parametrize(
    "body",
    [
        {"idNumber": "430102198503120114"},
        {"name": "张伟"},
        {"name": "", "idNumber": "430102198503120114"},
        {"name": "   ", "idNumber": "430102198503120114"},
        {"name": "张伟", "idNumber": "43010219850312011"},  # 17 characters
        {"name": "张伟", "idNumber": "4301021985031201144"},  # 19 characters
        {"name": "张伟", "idNumber": "43010219850312011Y"},
        {"name": "张伟", "idNumber": "X30102198503120114"},
        {"name": "张伟", "idNumber": "４３０１０２１９８５０３１２０１１４"},  # full-width
        {"name": "张伟", "idNumber": 430102198503120114},
        {"name": ["张伟"], "idNumber": "430102198503120114"},
        {"name": "张伟", "idNumber": "430102198503120114", "phone": "13800138000"},
    ],
)
def test_malformed_requests_are_400(http: httpx.Client, body: dict[str, Any]) -> None:
    _bad(http.post("/v1/verifications", json=body))


def test_a_body_that_is_not_a_json_object_is_400(http: httpx.Client) -> None:
    _bad(http.post("/v1/verifications", content=b"name=zhang"))
    _bad(http.post("/v1/verifications", json=["张伟", "430102198503120114"]))


# --- admin ------------------------------------------------------------------------------------


def test_added_records_verify_until_reset(http: httpx.Client) -> None:
    new = {"name": "龙小溪", "idNumber": "430104200803150021"}
    assert verify(http, new["name"], new["idNumber"]) == "not_found"
    added = http.put("/__admin/records", json=new)
    assert added.status_code == 201
    assert added.json() == {**new, "status": "active"}
    assert verify(http, new["name"], new["idNumber"]) == "match"
    http.post("/__admin/reset").raise_for_status()
    assert verify(http, new["name"], new["idNumber"]) == "not_found"


def test_putting_an_existing_number_replaces_the_record(http: httpx.Client) -> None:
    person = ADULTS[1]
    replaced = http.put(
        "/__admin/records",
        json={"name": "李娜娜", "idNumber": person.id_number, "status": "name_changed"},
    )
    assert replaced.status_code == 200
    assert verify(http, "李娜娜", person.id_number) == "mismatch"
    http.put(
        "/__admin/records", json={"name": "李娜娜", "idNumber": person.id_number}
    ).raise_for_status()
    assert verify(http, "李娜娜", person.id_number) == "match"
    assert verify(http, person.name, person.id_number) == "mismatch"
    http.post("/__admin/reset").raise_for_status()
    assert verify(http, person.name, person.id_number) == "match"


def test_records_are_listed_in_id_order(http: httpx.Client) -> None:
    items = http.get("/__admin/records").json()["items"]
    assert [item["idNumber"] for item in items] == sorted(r.id_number for r in RECORDS)
    http.put(
        "/__admin/records", json={"name": "龙小溪", "idNumber": "430104200803150021"}
    ).raise_for_status()
    assert len(http.get("/__admin/records").json()["items"]) == len(RECORDS) + 1


@pytest.mark.parametrize(
    "body",
    [
        {"name": "龙小溪"},
        {"name": "龙小溪", "idNumber": "4301042008031500"},
        {"name": "龙小溪", "idNumber": "430104200803150021", "status": "dead"},
        {"name": "龙小溪", "idNumber": "430104200803150021", "note": "x"},
    ],
)
def test_bad_records_are_400(http: httpx.Client, body: dict[str, Any]) -> None:
    _bad(http.put("/__admin/records", json=body))


def test_only_verifications_are_counted_and_faulted(http: httpx.Client) -> None:
    person = ADULTS[0]
    http.put("/__admin/faults", json={"down": True}).raise_for_status()
    down = http.post("/v1/verifications", json={"name": person.name, "idNumber": person.id_number})
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    http.put(
        "/__admin/records", json={"name": "龙小溪", "idNumber": "430104200803150021"}
    ).raise_for_status()
    http.get("/__admin/records").raise_for_status()
    http.put("/__admin/faults", json={}).raise_for_status()
    assert verify(http, person.name, person.id_number) == "match"
    assert http.get("/__admin/counters").json() == {
        "total": 2,
        "byRoute": {"POST /v1/verifications": 2},
    }


def test_openapi_describes_every_route_and_its_refs_resolve(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    for path, methods in {
        "/v1/verifications": {"post"},
        "/__admin/records": {"get", "put"},
        "/__admin/faults": {"get", "put"},
    }.items():
        assert methods <= set(document["paths"][path]), path
    text = json.dumps(document)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "#/')[1:]}:
        node: Any = document
        for key in ref.split("/"):
            node = node[key]


# --- the population ---------------------------------------------------------------------------


def test_every_id_number_is_well_formed_with_a_correct_check_character() -> None:
    assert len(RECORDS) >= 20
    for record in RECORDS:
        number = record.id_number
        assert len(number) == 18 and number[:17].isdigit(), number
        assert gb11643_valid(number), number
        assert check_character(number[:17]) == number[17]
        assert number[:6] in CHANGSHA_REGIONS, number
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert born == record.birth_date
        assert record.district == CHANGSHA_REGIONS[number[:6]]
    assert any(r.id_number.endswith("X") for r in RECORDS), "the X check character occurs"
    assert len({r.id_number for r in RECORDS}) == len(RECORDS)


def test_the_population_mixes_ages_places_and_sexes() -> None:
    years = {r.id_number: int(r.id_number[6:10]) for r in RECORDS}
    assert len(MINORS) >= 4 and all(2012 <= years[r.id_number] <= 2020 for r in MINORS)
    assert len(ELDERLY) >= 4 and all(1940 <= years[r.id_number] <= 1959 for r in ELDERLY)
    assert len(ADULTS) >= 8 and all(1960 <= years[r.id_number] <= 2007 for r in ADULTS)
    assert {r.region_code for r in RECORDS} == set(CHANGSHA_REGIONS)
    sexes = Counter(int(r.id_number[16]) % 2 == 1 for r in RECORDS)
    assert sexes[True] >= 8 and sexes[False] >= 8
    assert all(r.is_male == (int(r.id_number[16]) % 2 == 1) for r in RECORDS)


def test_the_known_failures_are_marked_and_excluded_from_the_matching_sets() -> None:
    failing = [r for r in RECORDS if not r.verifies]
    assert {r.status for r in failing} == {RecordStatus.NAME_CHANGED, RecordStatus.DEREGISTERED}
    assert NAME_CHANGED in failing and DEREGISTERED in failing
    for subset in (ADULTS, MINORS, ELDERLY):
        assert all(r.verifies for r in subset)
    assert MINORS[0].age_group is AgeGroup.MINOR


def test_check_character_refuses_anything_but_17_digits() -> None:
    assert check_character("11010519491231002") == "X"  # the standard's own example
    for bad in ("1101051949123100", "110105194912310021", "1101051949123100A"):
        with pytest.raises(ValueError, match="17 ASCII digits"):
            check_character(bad)
    assert isinstance(RECORDS[0], CitizenRecord)
