"""The government platform simulator's catalogue over real HTTP: services, bundles, documents."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
import pytest

from mychangsha.simulators.government.catalogue import build_catalogue
from mychangsha.simulators.registry import SIMULATORS, build_simulator, default_base_url
from tests.simulators.government_support import (
    all_services,
    base_url,
    bundle_named,
    clock,
    http,
    receiver,
)

__all__ = ["base_url", "clock", "http", "receiver"]  # fixtures used by this module

CODE = re.compile(r"^430100-(XK|QR|GF|ZS|CJ|QT|GG)-\d{4}$")
LIFE_EVENTS = {
    "出生", "入学", "就业", "婚育", "住房", "就医", "退休", "开办企业", "企业经营", "身后事",
    "出行", "社会保障",
}  # fmt: skip
DEPARTMENTS = {
    "长沙市市场监督管理局", "长沙市人力资源和社会保障局", "长沙市公安局", "长沙市卫生健康委员会",
    "长沙市住房和城乡建设局", "长沙市医疗保障局", "国家税务总局长沙市税务局", "长沙市民政局",
    "长沙市教育局", "长沙市自然资源和规划局", "长沙市不动产登记中心", "长沙住房公积金管理中心",
    "长沙市残疾人联合会", "长沙市交通运输局",
}  # fmt: skip
REAL_NAMES = {
    "个体工商户设立登记", "城乡居民基本养老保险参保登记", "社会保障卡申领", "内地居民结婚登记",
    "出生医学证明首次签发", "出生登记（新生儿入户）", "居民身份证换领", "住房公积金提取",
    "城乡居民基本医疗保险参保登记", "企业设立登记", "公章刻制备案", "税务登记（信息确认）",
    "职工正常退休申请", "基本养老金申领", "不动产转移登记", "契税申报", "义务教育入学登记",
}  # fmt: skip
BUNDLES = {
    "新生儿出生一件事", "开办企业一件事", "退休一件事", "二手房转移登记一件事", "入学一件事",
    "婚育一件事", "就业一件事", "身后事一件事", "不动产登记一件事", "企业注销一件事",
    "残疾人服务一件事",
}  # fmt: skip


def test_the_catalogue_has_300_real_services_across_departments(http: httpx.Client) -> None:
    services = all_services(http)
    assert len(services) >= 300
    assert len(services) == http.get("/v1/services").json()["total"]
    codes = [s["code"] for s in services]
    assert codes == sorted(codes) and len(set(codes)) == len(codes)
    assert all(CODE.match(code) for code in codes)
    names = [s["name"] for s in services]
    assert len(set(names)) == len(names)
    assert set(names) >= REAL_NAMES
    by_department = Counter(s["department"] for s in services)
    assert set(by_department) >= DEPARTMENTS
    assert all(by_department[d] >= 3 for d in DEPARTMENTS)
    assert {e for s in services for e in s["lifeEvents"]} == LIFE_EVENTS
    assert sum(s["feeFen"] == 0 for s in services) / len(services) > 0.9
    assert 0.3 < sum(s["fullyOnline"] for s in services) / len(services) < 0.95


def test_every_service_is_complete_and_well_typed(http: httpx.Client) -> None:
    for service in all_services(http):
        assert service["materials"], service["name"]
        for material in service["materials"]:
            assert material["description"] and isinstance(material["required"], bool)
            assert material["acceptedTypes"] and set(material["acceptedTypes"]) <= {
                "pdf",
                "jpg",
                "png",
            }
        for form_field in service["formFields"]:
            assert form_field["type"] in {"text", "date", "number", "select"}
            assert ("options" in form_field) == (form_field["type"] == "select")
        assert 0 <= service["timeLimitDays"] <= service["legalTimeLimitDays"]
        assert datetime.fromisoformat(service["updatedAt"]).utcoffset() is not None


def test_paging_walks_every_service_once(http: httpx.Client) -> None:
    first = http.get("/v1/services", params={"pageSize": 7}).json()
    assert (first["page"], first["pageSize"], len(first["items"])) == (1, 7, 7)
    assert first["next"] == "/v1/services?page=2&pageSize=7"
    seen: list[str] = []
    url, pages = "/v1/services?pageSize=7", 0
    while url:
        page = http.get(url).json()
        seen.extend(s["code"] for s in page["items"])
        url, pages = page["next"], pages + 1
    assert len(seen) == first["total"] == len(set(seen))
    assert pages == -(-first["total"] // 7)
    beyond = http.get("/v1/services", params={"page": pages + 1, "pageSize": 7}).json()
    assert beyond["items"] == [] and beyond["next"] is None


@pytest.mark.parametrize(
    "params", [{"page": "0"}, {"pageSize": "101"}, {"pageSize": "x"}, {"page": "-1"}]
)
def test_bad_paging_is_400(http: httpx.Client, params: dict[str, str]) -> None:
    response = http.get("/v1/services", params=params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"


def test_one_service_by_code_and_unknown_code(http: httpx.Client) -> None:
    listed = http.get("/v1/services", params={"pageSize": 1}).json()["items"][0]
    assert http.get(f"/v1/services/{listed['code']}").json() == listed
    missing = http.get("/v1/services/430100-XK-9999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


def test_bundles_combine_several_departments(http: httpx.Client) -> None:
    body = http.get("/v1/bundles").json()
    bundles = body["items"]
    assert body["total"] == len(bundles) >= 10
    assert {b["name"] for b in bundles} >= BUNDLES
    for bundle in bundles:
        assert len(bundle["departments"]) >= 2, bundle["name"]
        assert http.get(f"/v1/bundles/{bundle['code']}").json() == bundle
        services = [http.get(f"/v1/services/{code}").json() for code in bundle["serviceCodes"]]
        assert {s["department"] for s in services} == set(bundle["departments"])
        assert bundle["lifeEvent"] in LIFE_EVENTS
        assert bundle["timeLimitDays"] == max(s["timeLimitDays"] for s in services)
        names = [m["name"] for m in bundle["materials"]]
        assert len(names) == len(set(names)), "materials are deduplicated"
        assert set(names) <= {m["name"] for s in services for m in s["materials"]}
        fields = [f["name"] for f in bundle["formFields"]]
        assert len(fields) == len(set(fields))


def test_a_bundle_does_not_ask_for_what_it_produces(http: httpx.Client) -> None:
    bundle = bundle_named(http, "开办企业一件事")
    departments = set(bundle["departments"])
    assert {"长沙市市场监督管理局", "长沙市公安局", "国家税务总局长沙市税务局"} <= departments
    materials = {m["name"]: m["required"] for m in bundle["materials"]}
    assert "营业执照" not in materials, "the licence is issued inside the bundle"
    assert materials["居民身份证"] is True
    assert "creditCode" not in {f["name"] for f in bundle["formFields"]}
    assert bundle["issuesCertificates"] == ["营业执照"]
    missing = http.get("/v1/bundles/430100-YJS-999")
    assert missing.status_code == 404


def test_life_events_and_departments_count_the_catalogue(http: httpx.Client) -> None:
    services = all_services(http)
    events = http.get("/v1/life-events").json()["items"]
    assert {e["name"] for e in events} == LIFE_EVENTS
    for event in events:
        assert event["serviceCount"] == sum(event["name"] in s["lifeEvents"] for s in services)
        assert re.fullmatch(r"[a-z-]+", event["id"])
    assert sum(e["bundleCount"] for e in events) == len(http.get("/v1/bundles").json()["items"])
    departments = http.get("/v1/departments").json()["items"]
    assert sum(d["serviceCount"] for d in departments) == len(services)


def test_the_seed_varies_details_but_never_codes() -> None:
    five, again, six = build_catalogue(5), build_catalogue(5), build_catalogue(6)
    assert [s.to_json() for s in five.sorted_services()] == [
        s.to_json() for s in again.sorted_services()
    ]
    assert [(s.code, s.name) for s in five.sorted_services()] == [
        (s.code, s.name) for s in six.sorted_services()
    ]
    differing = [
        code
        for code, service in five.services.items()
        if (service.time_limit_days, service.fully_online, service.updated_at)
        != (six.services[code].time_limit_days, six.services[code].fully_online,
            six.services[code].updated_at)
    ]  # fmt: skip
    assert len(differing) > 100


def test_admin_revises_a_service_and_its_bundles(http: httpx.Client) -> None:
    bundle = bundle_named(http, "开办企业一件事")
    code = bundle["serviceCodes"][0]
    before = http.get(f"/v1/services/{code}").json()
    changed = http.put(f"/__admin/services/{code}", json={"feeFen": 500, "name": "企业开办登记"})
    assert changed.status_code == 200
    after = http.get(f"/v1/services/{code}").json()
    assert (after["feeFen"], after["name"]) == (500, "企业开办登记")
    assert datetime.fromisoformat(after["updatedAt"]) > datetime.fromisoformat(before["updatedAt"])
    assert http.get(f"/v1/bundles/{bundle['code']}").json()["feeFen"] == bundle["feeFen"] + 500
    assert http.put(f"/__admin/services/{code}", json={"fee": 1}).status_code == 400
    http.post("/__admin/reset").raise_for_status()
    assert http.get(f"/v1/services/{code}").json() == before


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_openapi_document_covers_every_route(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    paths = document["paths"]
    for path in (
        "/v1/services",
        "/v1/services/{code}",
        "/v1/bundles",
        "/v1/bundles/{code}",
        "/v1/life-events",
        "/v1/departments",
        "/v1/applications",
        "/v1/applications/{number}",
        "/v1/applications/{number}/supplements",
        "/v1/certificates",
        "/v1/certificates/{certificate_id}/file",
        "/__admin/progression",
        "/__admin/applications/{number}/advance",
        "/__admin/webhook",
        "/__admin/webhooks/{event_id}/redeliver",
        "/__admin/reset",
    ):
        assert path in paths, path
    assert set(paths["/v1/applications"]) == {"get", "post"}
    assert "multipart/form-data" in paths["/v1/applications"]["post"]["requestBody"]["content"]
    assert "applicationStatusChanged" in document["webhooks"]
    for ref in _refs(document):
        node: Any = document
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    counted = http.get("/__admin/counters").json()["byRoute"]
    assert "GET /openapi.json" not in counted


def test_the_registry_serves_it_on_its_own_port() -> None:
    assert SIMULATORS["government"].default_port == 8107
    assert default_base_url("government") == "http://127.0.0.1:8107"
    ports = [spec.default_port for spec in SIMULATORS.values()]
    assert len(ports) == len(set(ports))
    assert build_simulator("government").state.government.catalogue.services
