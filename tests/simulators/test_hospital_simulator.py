"""The hospital FHIR simulator's catalogue over real HTTP: directory, hospitals, departments,
doctors, schedules, slots and their release, search rules, faults and counters per hospital.
Every resource is parsed with the `fhir.resources` R4B models, as the graph's client will."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.practitioner import Practitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole
from fhir.resources.R4B.schedule import Schedule
from fhir.resources.R4B.slot import Slot

from mychangsha.simulators.hospital import create_app
from mychangsha.simulators.hospital.data import build_catalogue
from mychangsha.simulators.registry import SIMULATORS, build_simulator
from tests.support.clock import MutableClock
from tests.support.hospital import (
    SHANGHAI,
    WEDNESDAY_10,
    bundle,
    day_range,
    extension,
    matches,
    outcome_code,
    walk,
)
from tests.support.servers import serve_in_thread

FEES = {"主任医师": 50, "副主任医师": 30, "主治医师": 15, "住院医师": 7.5}
REQUIRED = {
    "xiangya": "中南大学湘雅医院",
    "xiangya2": "中南大学湘雅二医院",
    "xiangya3": "中南大学湘雅三医院",
    "hnsrmyy": "湖南省人民医院",
    "cssyy": "长沙市中心医院",
}
SLOT_ID = re.compile(r"role-[a-z0-9-]+-[0-9]+-20[0-9]{6}-(am|pm)")


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    return MutableClock(WEDNESDAY_10)


@pytest.fixture(scope="module")
def base_url(clock: MutableClock) -> Iterator[str]:
    with serve_in_thread(create_app(clock=clock)) as url:
        yield url


@pytest.fixture
def http(base_url: str, clock: MutableClock) -> Iterator[httpx.Client]:
    """A client of the simulator, reset and at Wednesday 10:00 before each test."""
    clock.current = WEDNESDAY_10
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.post("/__admin/reset").raise_for_status()
        yield client


# --- directory and hospitals ------------------------------------------------------------------


def test_directory_lists_absolute_bases_each_with_its_own_metadata(
    http: httpx.Client, base_url: str
) -> None:
    directory = http.get("/directory").raise_for_status().json()
    assert len(directory) >= 20
    assert len({item["code"] for item in directory}) == len(directory)
    for item in directory:
        assert item["fhirBaseUrl"] == f"{base_url}/fhir/{item['code']}"
        metadata = http.get(f"{item['fhirBaseUrl']}/metadata").raise_for_status().json()
        statement = CapabilityStatement.model_validate(metadata)
        assert statement.fhirVersion == "4.0.1"
        assert statement.implementation is not None
        assert statement.implementation.url == item["fhirBaseUrl"]
    names = {item["code"]: item["name"] for item in directory}
    assert REQUIRED.items() <= names.items()


def test_every_hospital_is_a_real_place_inside_changsha(http: httpx.Client) -> None:
    for item in http.get("/directory").json():
        code = item["code"]
        org = http.get(f"/fhir/{code}/Organization/{code}").raise_for_status().json()
        Organization.model_validate(org)
        assert org["name"] == item["name"]
        assert org["identifier"] == [{"system": "urn:mychangsha:hospital", "value": code}]
        assert org["alias"] and org["telecom"][0]["value"].startswith("0731-")
        assert org["type"][0]["text"].startswith(("三级", "二级"))
        assert org["address"][0]["city"] == "长沙市"
        found = matches(bundle(http, f"/fhir/{code}/Location", organization=f"Organization/{code}"))
        assert len(found) == 1
        location = Location.model_validate(found[0])
        assert location.managingOrganization is not None
        assert location.managingOrganization.reference == f"Organization/{code}"
        position = found[0]["position"]
        assert 27.8 <= position["latitude"] <= 28.7
        assert 111.8 <= position["longitude"] <= 114.3
        assert round(position["latitude"], 4) == position["latitude"]


def test_the_known_hospitals_sit_where_they_are(http: httpx.Client) -> None:
    xiangya = http.get("/fhir/xiangya/Location/xiangya").json()
    assert xiangya["position"] == {"latitude": 28.2162, "longitude": 112.9826}
    assert xiangya["address"]["line"] == ["湘雅路87号"]
    assert http.get("/fhir/xiangya/Organization/xiangya").json()["type"][0]["text"] == "三级甲等"


def test_organization_search_by_identifier(http: httpx.Client) -> None:
    hit = bundle(http, "/fhir/xiangya/Organization", identifier="urn:mychangsha:hospital|xiangya")
    assert [r["id"] for r in matches(hit)] == ["xiangya"] and hit["total"] == 1
    miss = bundle(http, "/fhir/xiangya/Organization", identifier="urn:mychangsha:hospital|other")
    assert miss["total"] == 0 and "entry" not in miss


# --- departments, doctors, paging ------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 4, 100])
def test_paging_walks_every_department_and_doctor_once(http: httpx.Client, count: int) -> None:
    services = walk(http, "/fhir/hnsrmyy/HealthcareService", _count=count)
    assert 5 <= len(services) <= 10
    assert len({s["id"] for s in services}) == len(services)
    for service in services:
        HealthcareService.model_validate(service)
    roles = walk(http, "/fhir/hnsrmyy/PractitionerRole", _count=count)
    assert len({r["id"] for r in roles}) == len(roles)
    per_service = Counter(r["healthcareService"][0]["reference"] for r in roles)
    assert set(per_service) == {f"HealthcareService/{s['id']}" for s in services}
    assert all(2 <= n <= 4 for n in per_service.values())


def test_page_links_are_absolute_and_count_is_capped(http: httpx.Client, base_url: str) -> None:
    body = bundle(http, "/fhir/xiangya/PractitionerRole", _count=2)
    links = {li["relation"]: li["url"] for li in body["link"]}
    assert links["next"].startswith(f"{base_url}/fhir/xiangya/PractitionerRole?")
    assert "_offset=2" in links["next"] and "previous" not in links
    second = bundle(http, links["next"])
    assert {li["relation"] for li in second["link"]} >= {"self", "previous"}
    capped = bundle(http, "/fhir/xiangya/Slot", _count=1000)
    assert len(capped["entry"]) == min(100, capped["total"])
    assert bundle(http, "/fhir/xiangya/Slot", _count=0).get("entry") is None


def test_roles_by_service_include_their_practitioners(http: httpx.Client) -> None:
    service = matches(bundle(http, "/fhir/xiangya/HealthcareService", _count=1))[0]
    body = bundle(
        http,
        "/fhir/xiangya/PractitionerRole",
        service=f"HealthcareService/{service['id']}",
        _include="PractitionerRole:practitioner",
    )
    roles = matches(body)
    included = [e["resource"] for e in body["entry"] if e["search"]["mode"] == "include"]
    assert {r["practitioner"]["reference"] for r in roles} == {
        f"Practitioner/{p['id']}" for p in included
    }
    for role, person in zip(roles, included, strict=True):
        PractitionerRole.model_validate(role)
        Practitioner.model_validate(person)
        assert role["practitioner"]["display"] == person["name"][0]["text"]
        assert role["code"][0]["text"] in FEES
        fee = extension(role, "registration-fee")
        assert fee == {"value": FEES[role["code"][0]["text"]], "currency": "CNY"}
        assert http.get(f"/fhir/xiangya/Practitioner/{person['id']}").json() == person


def test_departments_fit_the_kind_of_hospital(http: httpx.Client) -> None:
    children = {s["name"] for s in walk(http, "/fhir/hnsetyy/HealthcareService")}
    assert all(("儿" in n or "新生" in n or "小儿" in n) for n in children)
    cancer = {s["name"] for s in walk(http, "/fhir/hnszlyy/HealthcareService")}
    assert cancer & {"肿瘤内科", "放疗科", "胸外科", "乳腺外科", "妇瘤科"}
    assert matches(bundle(http, "/fhir/xiangya/HealthcareService", name="内科"))


def test_catalogue_is_deterministic_from_the_seed() -> None:
    first, again, other = build_catalogue(11), build_catalogue(11), build_catalogue(12)
    names = [d.name for d in first["xiangya"].doctors]
    assert names == [d.name for d in again["xiangya"].doctors]
    assert names != [d.name for d in other["xiangya"].doctors]


# --- schedules and slots ----------------------------------------------------------------------


def _slots(http: httpx.Client, code: str, **params: Any) -> list[dict[str, Any]]:
    found = walk(http, f"/fhir/{code}/Slot", _count=100, **params)
    for item in found:
        Slot.model_validate(item)
    return found


def test_schedules_by_actor_and_their_slots(http: httpx.Client) -> None:
    roles = matches(bundle(http, "/fhir/xiangya/PractitionerRole", _count=2))
    actors = ",".join(f"PractitionerRole/{r['id']}" for r in roles)
    schedules = matches(bundle(http, "/fhir/xiangya/Schedule", actor=actors))
    assert len(schedules) == 2
    for item in schedules:
        Schedule.model_validate(item)
        assert item["planningHorizon"]["start"] == "2025-05-14T00:00:00+08:00"
        assert item["planningHorizon"]["end"] == "2025-05-22T00:00:00+08:00"
    wanted = {f"Schedule/{s['id']}" for s in schedules}
    either = _slots(http, "xiangya", schedule=",".join(sorted(wanted)))
    assert either and {s["schedule"]["reference"] for s in either} == wanted
    one = _slots(http, "xiangya", schedule=sorted(wanted)[0])
    assert 0 < len(one) < len(either)
    by_role = _slots(http, "xiangya", **{"schedule.actor": actors})
    assert by_role == either
    service = roles[0]["healthcareService"][0]["reference"]
    department = _slots(http, "xiangya", **{"schedule.actor": service})
    assert {s["serviceType"][0]["text"] for s in department} == {
        roles[0]["healthcareService"][0]["display"]
    }
    assert len(department) >= len(one)


def test_slots_are_sessions_with_capacity_over_the_published_week(http: httpx.Client) -> None:
    slots = _slots(http, "xiangya")
    days = {s["start"][:10] for s in slots}
    assert days == {(WEDNESDAY_10.date() + timedelta(days=n)).isoformat() for n in range(8)}
    for item in slots:
        assert SLOT_ID.fullmatch(item["id"])
        times = (item["start"][11:], item["end"][11:])
        assert times in {("08:00:00+08:00", "12:00:00+08:00"), ("14:00:00+08:00", "17:30:00+08:00")}
        assert 10 <= extension(item, "slot-capacity") <= 30
        assert extension(item, "slot-booked") == 0
        ended = datetime.fromisoformat(item["end"]) <= WEDNESDAY_10
        assert item["status"] == ("busy" if ended else "free")
    read = http.get(f"/fhir/xiangya/Slot/{slots[-1]['id']}").json()
    assert read == slots[-1]


def test_start_prefixes_and_status_filter(http: httpx.Client, clock: MutableClock) -> None:
    friday = _slots(http, "xiangya", **day_range(WEDNESDAY_10.date() + timedelta(days=2)))
    assert friday and all(s["start"].startswith("2025-05-16") for s in friday)
    afternoon = _slots(
        http, "xiangya", start=["ge2025-05-16T13:00:00+08:00", "lt2025-05-16T18:00:00+08:00"]
    )
    assert afternoon == [s for s in friday if s["start"].endswith("T14:00:00+08:00")]
    utc = _slots(http, "xiangya", start=["ge2025-05-16T06:00:00Z", "lt2025-05-17"])
    assert utc == afternoon
    today = _slots(http, "xiangya", **day_range(WEDNESDAY_10.date()))
    clock.current = WEDNESDAY_10.replace(hour=12, minute=30)
    free_today = _slots(http, "xiangya", status="free", **day_range(WEDNESDAY_10.date()))
    assert free_today == [s for s in today if s["start"].endswith("T14:00:00+08:00")]
    ended = _slots(http, "xiangya", status="busy", **day_range(WEDNESDAY_10.date()))
    assert ended and all(s["start"].endswith("T08:00:00+08:00") for s in ended)


def test_a_day_is_released_at_seven_seven_days_ahead(
    http: httpx.Client, clock: MutableClock
) -> None:
    week_later = WEDNESDAY_10.date() + timedelta(days=7)
    clock.current = datetime(2025, 5, 14, 6, 59, tzinfo=SHANGHAI)
    assert _slots(http, "xiangya", **day_range(week_later)) == []
    last = max(s["start"] for s in _slots(http, "xiangya"))
    assert last.startswith("2025-05-20")
    clock.current = datetime(2025, 5, 14, 7, 0, tzinfo=SHANGHAI)
    released = _slots(http, "xiangya", **day_range(week_later))
    assert released and all(s["status"] == "free" for s in released)
    clock.current = datetime(2025, 5, 14, 6, 59, tzinfo=SHANGHAI)
    outcome_code(http.get(f"/fhir/xiangya/Slot/{released[0]['id']}"), 404)


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "code"),
    [
        ("/fhir/nowhere/Slot", {}, 404, "not-found"),
        ("/fhir/xiangya/Slot", {"bogus": "1"}, 400, "not-supported"),
        ("/fhir/xiangya/Slot", {"start": "ge2025-05-16T08:00:00 08:00"}, 400, "invalid"),
        ("/fhir/xiangya/Slot", {"start": "ge2025-13-01"}, 400, "invalid"),
        ("/fhir/xiangya/Slot", {"_count": "-1"}, 400, "invalid"),
        ("/fhir/xiangya/PractitionerRole", {"_include": "Foo:bar"}, 400, "not-supported"),
        ("/fhir/xiangya/Slot/role-nobody-1-20250515-am", {}, 404, "not-found"),
        ("/fhir/xiangya/Slot/garbage", {}, 404, "not-found"),
        ("/fhir/xiangya/Practitioner/nobody", {}, 404, "not-found"),
        ("/fhir/xiangya/Organization/xiangya2", {}, 404, "not-found"),
        ("/fhir/xiangya/Patient", {}, 404, "not-supported"),
    ],
)
def test_errors_are_operation_outcomes(
    http: httpx.Client, path: str, params: dict[str, str], status: int, code: str
) -> None:
    response = http.get(path, params=params)
    assert response.headers["content-type"] == "application/fhir+json"
    assert outcome_code(response, status) == code


def test_a_wrong_method_is_405(http: httpx.Client) -> None:
    assert outcome_code(http.delete("/fhir/xiangya/Slot/x"), 405) == "not-supported"


# --- faults and counters per hospital ---------------------------------------------------------


def test_a_fault_with_a_hospital_prefix_takes_only_that_hospital_down(
    http: httpx.Client,
) -> None:
    http.put("/__admin/faults", json={"down": True, "pathPrefix": "/fhir/xiangya/"})
    assert http.get("/fhir/xiangya/metadata").status_code == 503
    assert http.get("/fhir/xiangya/Slot").status_code == 503
    assert http.get("/fhir/xiangya2/metadata").status_code == 200
    assert http.get("/fhir/xiangya3/Slot", params={"_count": 1}).status_code == 200
    assert http.get("/directory").status_code == 200
    # Without the slash the prefix also matches xiangya2 and xiangya3, as the base defines it.
    http.put("/__admin/faults", json={"down": True, "pathPrefix": "/fhir/xiangya"})
    assert http.get("/fhir/xiangya2/metadata").status_code == 503
    assert http.get("/fhir/hnsrmyy/metadata").status_code == 200


def test_counters_per_hospital_count_each_request_once(http: httpx.Client) -> None:
    http.get("/fhir/xiangya/Slot", params={"_count": 1})
    http.get("/fhir/xiangya/Slot", params={"_count": 1})
    http.get("/fhir/xiangya/PractitionerRole/role-x")
    http.get("/fhir/xiangya2/metadata")
    http.get("/fhir/nowhere/metadata")
    http.get("/directory")
    http.put("/__admin/faults", json={"down": True, "pathPrefix": "/fhir/cssyy/"})
    http.get("/fhir/cssyy/HealthcareService")
    assert http.get("/__admin/hospital-counters").json() == {
        "cssyy": {"GET HealthcareService": 1},
        "xiangya": {"GET PractitionerRole/{id}": 1, "GET Slot": 2},
        "xiangya2": {"GET metadata": 1},
    }
    by_route = http.get("/__admin/counters").json()["byRoute"]
    assert by_route["GET /fhir/{hospital}/Slot"] == 2
    http.post("/__admin/reset").raise_for_status()
    assert http.get("/__admin/hospital-counters").json() == {}


# --- the shell --------------------------------------------------------------------------------


def test_registry_and_openapi(http: httpx.Client) -> None:
    assert SIMULATORS["hospital"].default_port == 8105
    assert build_simulator("hospital").state.hospital.seed == 11
    document = http.get("/openapi.json").json()
    paths = document["paths"]
    assert {"get", "post"} <= set(paths["/fhir/{hospital}/Appointment"])
    assert "/fhir/{hospital}/Appointment/{id}/$queue" in paths
    assert "/__admin/slots/{hospital}/{slot_id}" in paths
    assert "/__admin/counters" in paths
