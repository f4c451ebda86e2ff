"""Applications on the government platform simulator over real HTTP: multipart submission,
idempotency, validation, the status machine by clock and by admin, supplements, polling."""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.simulators.government_support import (
    APPLICANT,
    JPG,
    OTHER,
    PDF,
    PNG,
    MutableClock,
    base_url,
    bundle_named,
    clock,
    http,
    material_files,
    receiver,
    service_named,
    submit,
    valid_fields,
)

__all__ = ["base_url", "clock", "http", "receiver"]  # fixtures used by this module

SOLE_TRADER = "个体工商户设立登记"
NUMBER = re.compile(r"^430100-20\d\d-\d{6}$")


def statuses(application: dict[str, Any]) -> list[str]:
    return [entry["status"] for entry in application["timeline"]]


def get(http: httpx.Client, number: str) -> dict[str, Any]:
    response = http.get(f"/v1/applications/{number}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def advance(http: httpx.Client, number: str, **body: Any) -> httpx.Response:
    return http.post(f"/__admin/applications/{number}/advance", json=body)


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code and body["message"]
    return body


def test_a_multipart_application_is_submitted(http: httpx.Client) -> None:
    service = service_named(http, SOLE_TRADER)
    response = submit(http, service, external_id="ext-happy")
    assert response.status_code == 201, response.text
    application = response.json()
    assert NUMBER.match(application["applicationNumber"])
    assert response.headers["location"] == f"/v1/applications/{application['applicationNumber']}"
    assert application["status"] == "submitted" and application["statusText"] == "已提交"
    assert application["serviceCode"] == service["code"] and application["bundleCode"] is None
    assert application["applicant"]["idNumber"] == APPLICANT.id_number
    assert application["externalId"] == "ext-happy"
    assert statuses(application) == ["submitted"]
    assert application["submittedAt"] == application["updatedAt"]
    assert datetime.fromisoformat(application["submittedAt"]).utcoffset() == timedelta(hours=8)
    required = [m["name"] for m in service["materials"] if m["required"]]
    stored = application["materials"]
    assert [m["material"] for m in stored] == required
    assert all(m["size"] == len(PDF) and m["round"] == 0 for m in stored)
    assert all(m["sha256"] == hashlib.sha256(PDF).hexdigest() for m in stored)
    assert {m["contentType"] for m in stored} == {"application/pdf"}
    assert get(http, application["applicationNumber"]) == application


def test_the_same_external_id_answers_the_same_application(http: httpx.Client) -> None:
    service = service_named(http, SOLE_TRADER)
    first = submit(http, service, external_id="ext-retry")
    again = submit(http, service, external_id="ext-retry")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["applicationNumber"] == first.json()["applicationNumber"]
    listed = http.get("/v1/applications", params={"externalId": "ext-retry"}).json()
    assert listed["total"] == 1
    other = submit(http, service_named(http, "社会保障卡申领"), external_id="ext-retry")
    error(other, 409, "IDEMPOTENCY_CONFLICT")


def test_missing_required_materials_are_named(http: httpx.Client) -> None:
    service = service_named(http, SOLE_TRADER)
    required = [m["name"] for m in service["materials"] if m["required"]]
    files = material_files(service, skip=(required[0],))
    body = error(submit(http, service, external_id="ext-m", files=files), 422, "MISSING_MATERIALS")
    assert body["names"] == [required[0]]
    nothing = error(submit(http, service, external_id="ext-m", files=[]), 422, "MISSING_MATERIALS")
    assert nothing["names"] == required
    assert http.get("/v1/applications").json()["total"] == 0, "nothing is kept when refused"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"registeredCapital": "一百万"}, "registeredCapital"),
        ({"registeredCapital": -5}, "registeredCapital"),
        ({"enterpriseType": "国有企业"}, "enterpriseType"),
        ({"companyName": None}, "companyName"),
        ({"companyName": 42}, "companyName"),
        ({"shoeSize": "42"}, "shoeSize"),
    ],
)
def test_invalid_fields_are_named(http: httpx.Client, change: dict[str, Any], field: str) -> None:
    service = service_named(http, SOLE_TRADER)
    fields = {**valid_fields(service), **change}
    response = submit(http, service, external_id="ext-f", fields=fields)
    assert error(response, 422, "INVALID_FIELD")["field"] == field


def test_dates_and_id_numbers_in_fields_are_checked(http: httpx.Client) -> None:
    service = service_named(http, "内地居民结婚登记")
    for change, field in [
        ({"appointmentDate": "2026-02-30"}, "appointmentDate"),
        ({"appointmentDate": "2026/03/01"}, "appointmentDate"),
        ({"spouseIdNumber": OTHER.id_number[:-1] + "0"}, "spouseIdNumber"),
    ]:
        fields = {**valid_fields(service), **change}
        response = submit(http, service, external_id="ext-d", fields=fields)
        assert error(response, 422, "INVALID_FIELD")["field"] == field


def test_the_applicant_is_checked(http: httpx.Client) -> None:
    service = service_named(http, SOLE_TRADER)
    bad_id = {"name": "张伟", "idNumber": "430102198503120115", "phone": "13807310001"}
    response = submit(http, service, external_id="ext-a", applicant=bad_id)
    assert error(response, 422, "INVALID_FIELD")["field"] == "applicant.idNumber"
    bad_phone = {**bad_id, "idNumber": APPLICANT.id_number, "phone": "12345"}
    response = submit(http, service, external_id="ext-a", applicant=bad_phone)
    assert error(response, 422, "INVALID_FIELD")["field"] == "applicant.phone"


def test_file_types_are_judged_by_content(http: httpx.Client) -> None:
    service = service_named(http, "社会保障卡申领")
    photo = next(m for m in service["materials"] if m["name"] == "近期免冠证件照")
    assert photo["acceptedTypes"] == ["jpg", "png"]
    files = material_files(service, skip=("近期免冠证件照",))
    disguised = (
        "materials[近期免冠证件照]",
        ("photo.jpg", b"MZ\x90\x00 not an image", "image/jpeg"),
    )
    body = error(
        submit(http, service, external_id="ext-t", files=[*files, disguised]),
        422,
        "INVALID_MATERIAL",
    )
    assert body["names"] == ["近期免冠证件照"]
    pdf_as_photo = ("materials[近期免冠证件照]", ("photo.jpg", PDF, "image/jpeg"))
    response = submit(http, service, external_id="ext-t", files=[*files, pdf_as_photo])
    error(response, 422, "INVALID_MATERIAL")
    jpg = ("materials[近期免冠证件照]", ("photo.png", JPG, "image/png"))
    accepted = submit(http, service, external_id="ext-t", files=[*files, jpg])
    assert accepted.status_code == 201
    stored = {m["material"]: m["contentType"] for m in accepted.json()["materials"]}
    assert stored["近期免冠证件照"] == "image/jpeg", "the declared type is not believed"


def test_files_over_10_mb_are_refused(http: httpx.Client) -> None:
    service = service_named(http, SOLE_TRADER)
    (part, (file_name, _, content_type)), *rest = material_files(service)
    big = PDF + bytes(10 * 1024 * 1024)
    response = submit(
        http, service, external_id="ext-big", files=[(part, (file_name, big, content_type)), *rest]
    )
    assert error(response, 422, "INVALID_MATERIAL")["names"] == [part[len("materials[") : -1]]
    assert http.get("/v1/applications").json()["total"] == 0


def test_unknown_materials_services_and_bodies_are_refused(http: httpx.Client) -> None:
    service = service_named(http, SOLE_TRADER)
    extra = ("materials[护照]", ("passport.png", PNG, "image/png"))
    body = error(
        submit(http, service, external_id="ext-u", files=[*material_files(service), extra]),
        422,
        "UNKNOWN_MATERIAL",
    )
    assert body["names"] == ["护照"]
    unknown = {**service, "code": "430100-XK-9999"}
    error(submit(http, unknown, external_id="ext-u"), 422, "UNKNOWN_SERVICE")
    as_bundle = {**service, "serviceCodes": []}
    error(submit(http, as_bundle, external_id="ext-u"), 422, "UNKNOWN_SERVICE")
    not_multipart = http.post("/v1/applications", json={"serviceCode": service["code"]})
    error(not_multipart, 415, "UNSUPPORTED_MEDIA_TYPE")
    no_json = http.post("/v1/applications", files=material_files(service))
    error(no_json, 400, "BAD_REQUEST")
    broken = http.post("/v1/applications", files=[("application", (None, b"{", "text/plain"))])
    error(broken, 400, "BAD_REQUEST")
    assert http.get("/v1/applications").json()["total"] == 0


def test_applications_move_on_by_the_clock(http: httpx.Client, clock: MutableClock) -> None:
    http.put("/__admin/progression", json={"stepSeconds": 60}).raise_for_status()
    number = submit(http, service_named(http, SOLE_TRADER), external_id="ext-c").json()[
        "applicationNumber"
    ]
    clock.advance(30)
    assert get(http, number)["status"] == "submitted"
    for expected in ("accepted", "in_review", "approved", "completed"):
        clock.advance(60)
        assert get(http, number)["status"] == expected
    application = get(http, number)
    assert statuses(application) == ["submitted", "accepted", "in_review", "approved", "completed"]
    times = [datetime.fromisoformat(entry["at"]) for entry in application["timeline"]]
    assert times == sorted(times) and times[-1] - times[0] >= timedelta(seconds=240)
    assert all(entry["note"] for entry in application["timeline"])
    clock.advance(600)
    assert get(http, number)["status"] == "completed", "completed is final"


def test_the_ticker_moves_applications_without_requests(
    http: httpx.Client, clock: MutableClock
) -> None:
    http.put("/__admin/progression", json={"stepSeconds": 60}).raise_for_status()
    number = submit(http, service_named(http, SOLE_TRADER), external_id="ext-k").json()[
        "applicationNumber"
    ]
    clock.advance(61)
    deadline = time.monotonic() + 3
    while True:  # the admin API does not take steps: only the ticker can have done it
        deliveries = http.get("/__admin/webhooks", params={"applicationNumber": number}).json()
        if [d["event"]["status"] for d in deliveries["items"]] == ["submitted", "accepted"]:
            break
        assert time.monotonic() < deadline, deliveries
        time.sleep(0.02)


def test_rejection_is_configured_per_service(http: httpx.Client) -> None:
    service = service_named(http, SOLE_TRADER)
    progression = {"stepSeconds": 0, "reject": [service["code"]]}
    assert http.put("/__admin/progression", json=progression).json()["reject"] == [service["code"]]
    number = submit(http, service, external_id="ext-r").json()["applicationNumber"]
    deadline = time.monotonic() + 3
    while get(http, number)["status"] != "rejected":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    assert statuses(get(http, number)) == ["submitted", "accepted", "in_review", "rejected"]
    error(advance(http, number, to="approved"), 409, "CONFLICT")


def test_the_admin_walks_an_application_through_the_machine(http: httpx.Client) -> None:
    number = submit(http, service_named(http, SOLE_TRADER), external_id="ext-adm").json()[
        "applicationNumber"
    ]
    moved = advance(http, number)
    assert moved.status_code == 200 and moved.json()["status"] == "accepted"
    approved = advance(http, number, to="approved", note="经审查，予以登记").json()
    assert statuses(approved) == ["submitted", "accepted", "in_review", "approved"]
    assert approved["timeline"][-1]["note"] == "经审查，予以登记"
    assert advance(http, number).json()["status"] == "completed"
    error(advance(http, number), 409, "CONFLICT")
    error(advance(http, number, to="submitted"), 409, "CONFLICT")
    assert advance(http, number, to="paused").status_code == 400
    assert advance(http, "430100-2026-999999").status_code == 404


def test_a_supplement_resumes_the_review(http: httpx.Client, clock: MutableClock) -> None:
    service = service_named(http, SOLE_TRADER)
    progression = {"stepSeconds": 60, "supplementFor": [SOLE_TRADER]}
    http.put("/__admin/progression", json=progression).raise_for_status()
    number = submit(http, service, external_id="ext-s").json()["applicationNumber"]
    url = f"/v1/applications/{number}/supplements"
    early = http.post(url, files=material_files(service))
    error(early, 409, "NOT_AWAITING_SUPPLEMENT")
    for _ in range(3):
        clock.advance(60)
    waiting = get(http, number)
    assert waiting["status"] == "needs_supplement" and waiting["statusText"] == "待补正"
    asked = waiting["supplementRequest"]
    assert asked["names"] and asked["reason"] and asked["fulfilledAt"] is None
    clock.advance(600)
    assert get(http, number)["status"] == "needs_supplement", "only a supplement moves it"
    wrong = ("materials[申请表]", ("form.pdf", PDF, "application/pdf"))
    body = error(http.post(url, files=[wrong]), 422, "MISSING_MATERIALS")
    assert body["names"] == asked["names"]
    files = [(f"materials[{name}]", ("clear.png", PNG, "image/png")) for name in asked["names"]]
    resumed = http.post(url, files=files, data={"note": "已重新扫描"})
    assert resumed.status_code == 200, resumed.text
    body = resumed.json()
    assert body["status"] == "in_review" and body["supplementRequest"]["fulfilledAt"]
    assert "已重新扫描" in body["timeline"][-1]["note"]
    assert [m["round"] for m in body["materials"] if m["round"]] == [1] * len(asked["names"])
    clock.advance(60)
    assert get(http, number)["status"] == "approved", "a supplement is asked for only once"
    error(http.post(url, files=files), 409, "NOT_AWAITING_SUPPLEMENT")


def test_a_bundle_application_spans_its_services(http: httpx.Client) -> None:
    bundle = bundle_named(http, "新生儿出生一件事")
    response = submit(http, bundle, external_id="ext-b")
    assert response.status_code == 201, response.text
    application = response.json()
    assert application["bundleCode"] == bundle["code"] and application["serviceCode"] is None
    assert application["serviceCodes"] == bundle["serviceCodes"]
    assert application["departments"] == bundle["departments"]
    assert application["title"] == "新生儿出生一件事"


def test_the_poller_lists_changes_since_a_time(http: httpx.Client, clock: MutableClock) -> None:
    service = service_named(http, SOLE_TRADER)
    numbers = [
        submit(http, service, external_id=f"ext-p{i}").json()["applicationNumber"] for i in range(3)
    ]
    other = {"name": OTHER.name, "idNumber": OTHER.id_number, "phone": "13907310002"}
    submit(http, service, external_id="ext-other", applicant=other).raise_for_status()
    clock.advance(10)
    moved = advance(http, numbers[1]).json()
    mine = http.get("/v1/applications", params={"applicantIdNumber": APPLICANT.id_number}).json()
    assert mine["total"] == 3
    since = moved["updatedAt"]  # inclusive: the change itself is found
    changed = http.get("/v1/applications", params={"updatedSince": since}).json()
    assert [a["applicationNumber"] for a in changed["items"]] == [numbers[1]]
    later = datetime.fromisoformat(since) + timedelta(milliseconds=1)
    after = http.get("/v1/applications", params={"updatedSince": later.isoformat()}).json()
    assert after["total"] == 0
    listed = http.get("/v1/applications", params={"pageSize": 2}).json()
    assert listed["total"] == 4 and listed["next"] == "/v1/applications?page=2&pageSize=2"
    updated = [a["updatedAt"] for a in listed["items"]]
    assert updated == sorted(updated)
    naive = http.get("/v1/applications", params={"updatedSince": "2026-01-01T00:00:00"})
    error(naive, 400, "BAD_REQUEST")
    unencoded = http.get("/v1/applications?updatedSince=2026-01-01T00:00:00+08:00")
    assert "%2B" in error(unencoded, 400, "BAD_REQUEST")["message"]
    assert http.get("/v1/applications", params={"status": "accepted"}).json()["total"] == 1


def test_reset_forgets_applications(http: httpx.Client) -> None:
    number = submit(http, service_named(http, SOLE_TRADER), external_id="ext-z").json()[
        "applicationNumber"
    ]
    http.post("/__admin/reset").raise_for_status()
    assert http.get(f"/v1/applications/{number}").status_code == 404
    assert http.get("/__admin/progression").json() == {
        "stepSeconds": 15.0,
        "supplementFor": [],
        "reject": [],
    }
    again = submit(http, service_named(http, SOLE_TRADER), external_id="ext-z").json()
    assert again["applicationNumber"] != number, "a number is never handed out twice"
    assert json.loads(json.dumps(again))["status"] == "submitted"
