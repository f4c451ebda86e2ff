"""Medical reports over real HTTP: level 2, guardianship, and the audit of every read."""

from __future__ import annotations

import time
import uuid
from typing import Any

from tests.api.hospital_journey import (
    book_tomorrow,
    decode_id,
    encode_id,
    hospital_ref,
    my_id,
    post_raw,
)
from tests.api.identity_client import (
    Device,
    error_codes,
    random_person,
    valid_id_number,
)
from tests.conftest import SimulatorAdmin

REPORT_FIELDS = """
id category name status effective issued conclusion hospitalCode
observations { name value valueText unit referenceLow referenceHigh flag }
"""

MY_REPORTS = (
    "query($patient: ID!) { myReports(patientId: $patient) "
    f"{{ totalCount edges {{ cursor node {{ {REPORT_FIELDS} }} }} }} }}"
)
REPORT = f"query($id: ID!) {{ report(id: $id) {{ {REPORT_FIELDS} }} }}"
NODE = f"query($id: ID!) {{ node(id: $id) {{ id ... on Report {{ {REPORT_FIELDS} }} }} }}"
ACCESS_LOG = """
{ me { dataAccessLog(first: 20) { edges { node {
  resource resourceId subjectId action actorIsYou requestId at } } } } }"""

ADD_FAMILY = """
mutation($name: String!, $id: String!, $relation: FamilyRelation!) {
  familyMemberAdd(input: {name: $name, idNumber: $id, relation: $relation}) {
  __typename ... on FamilyMember { id isMinor mayActFor consentGranted }
} }"""


def _reports(device: Device, patient_id: str) -> list[dict[str, Any]]:
    body = device.post(MY_REPORTS, {"patient": patient_id})
    assert "errors" not in body, body
    connection = body["data"]["myReports"]
    reports: list[dict[str, Any]] = [edge["node"] for edge in connection["edges"]]
    assert connection["totalCount"] == len(reports)
    return reports


def _access_log(device: Device) -> list[dict[str, Any]]:
    body = device.post(ACCESS_LOG)
    assert "errors" not in body, body
    edges = body["data"]["me"]["dataAccessLog"]["edges"]
    entries: list[dict[str, Any]] = [edge["node"] for edge in edges]
    return entries


def _add_family(device: Device, name: str, id_number: str, relation: str) -> dict[str, Any]:
    body = device.post(ADD_FAMILY, {"name": name, "id": id_number, "relation": relation})
    result: dict[str, Any] = body["data"]["familyMemberAdd"]
    assert result["__typename"] == "FamilyMember", body
    return result


def _assert_refused(body: dict[str, Any], code: str) -> None:
    """One error of that code, and no medical data in the answer (`node` is nullable)."""
    assert error_codes(body) == [code], body
    assert body["data"] in (None, {"node": None}), body


def test_level_one_citizen_cannot_read_reports(
    graph_url: str, sms_simulator: SimulatorAdmin
) -> None:
    device = Device(graph_url, sms_simulator.base_url)
    try:
        me = device.sign_in()["citizen"]
        assert me["verificationLevel"] == 1
        listed = device.post(MY_REPORTS, {"patient": me["id"]})
        _assert_refused(listed, "FORBIDDEN")
        assert listed["errors"][0]["extensions"]["requiredLevel"] == 2
        assert listed["errors"][0]["path"] == ["myReports"]
        one = device.post(REPORT, {"id": encode_id("Report", "xiangya/0123456789abcdef")})
        _assert_refused(one, "FORBIDDEN")
        assert one["errors"][0]["extensions"]["requiredLevel"] == 2
        assert _access_log(device) == []
    finally:
        device.close()


def test_a_booking_brings_a_lab_report_with_flagged_observations(people: Any) -> None:
    device, me = people()
    assert _reports(device, me["id"]) == []  # no visit through the graph yet: no hospital asked
    booked = book_tomorrow(device)

    reports = _reports(device, me["id"])
    assert len(reports) == 1, reports
    report = reports[0]
    assert report["category"] == "LAB" and report["name"] == "血常规"
    assert report["hospitalCode"] == booked["hospitalCode"]
    assert decode_id(report["id"])[0] == "Report"
    assert hospital_ref(report["id"])[0] == booked["hospitalCode"]
    assert report["status"] == "final" and report["issued"] and report["conclusion"] is None

    observations = report["observations"]
    assert len(observations) == 5
    for item in observations:
        assert item["name"] and item["unit"] and item["valueText"] is None
        low, high, value = item["referenceLow"], item["referenceHigh"], item["value"]
        assert isinstance(value, float) and low is not None and high is not None and low < high
        expected = "H" if value > high else "L" if value < low else "N"
        assert item["flag"] == expected, item
    assert {item["flag"] for item in observations} & {"H", "L"}, observations
    units = {item["name"]: item["unit"] for item in observations}
    assert units["血红蛋白(HGB)"] == "g/L" and units["白细胞计数(WBC)"] == "10^9/L"

    one = device.post(REPORT, {"id": report["id"]})
    assert "errors" not in one, one
    assert one["data"]["report"] == report
    node = device.post(NODE, {"id": report["id"]})
    assert "errors" not in node, node
    assert node["data"]["node"] == report


def test_every_read_is_audited_with_its_request_id(people: Any) -> None:
    device, me = people()
    book_tomorrow(device)
    list_request = f"list-{uuid.uuid4().hex}"
    listed = post_raw(device, MY_REPORTS, {"patient": me["id"]}, {"x-request-id": list_request})
    assert listed.status_code == 200 and listed.headers["x-request-id"] == list_request
    report = listed.json()["data"]["myReports"]["edges"][0]["node"]

    read_request = f"read-{uuid.uuid4().hex}"
    read = post_raw(device, REPORT, {"id": report["id"]}, {"x-request-id": read_request})
    assert read.status_code == 200 and read.headers["x-request-id"] == read_request
    assert read.json()["data"]["report"]["id"] == report["id"]

    entries = _access_log(device)
    assert entries[:2] == [
        {
            "resource": "Report",
            "resourceId": report["id"],
            "subjectId": me["id"],
            "action": "read",
            "actorIsYou": True,
            "requestId": read_request,
            "at": entries[0]["at"],
        },
        {
            "resource": "Report",
            "resourceId": None,
            "subjectId": me["id"],
            "action": "list",
            "actorIsYou": True,
            "requestId": list_request,
            "at": entries[1]["at"],
        },
    ]
    assert len(entries) == 2, entries  # reading the log is not itself a read of medical data
    assert entries[0]["at"] >= entries[1]["at"]

    # Without an id of its own the request gets one, named in the response and in the log.
    by_node = post_raw(device, NODE, {"id": report["id"]})
    generated = by_node.headers["x-request-id"]
    assert generated and generated not in {list_request, read_request}
    newest = _access_log(device)[0]
    assert (newest["action"], newest["requestId"]) == ("read", generated)

    # An id that is not safe to log is replaced, never echoed.
    unsafe = post_raw(device, REPORT, {"id": report["id"]}, {"x-request-id": "a b\tc" + "x" * 80})
    replaced = unsafe.headers["x-request-id"]
    assert replaced != "a b\tc" + "x" * 80
    assert _access_log(device)[0]["requestId"] == replaced


def test_a_guardian_reads_a_minor_but_never_another_adult(people: Any) -> None:
    parent, parent_me = people()
    child = _add_family(parent, "刘小雨", valid_id_number("20160815"), "CHILD")
    assert child["isMinor"] and child["mayActFor"]
    booked = book_tomorrow(parent, "湘雅二", patient_id=child["id"])
    assert booked["patientName"] == "刘小雨"

    child_reports = _reports(parent, child["id"])
    assert [r["category"] for r in child_reports] == ["LAB"]
    report = child_reports[0]
    assert parent.post(REPORT, {"id": report["id"]})["data"]["report"] == report
    actions = [(e["action"], e["resourceId"], e["actorIsYou"]) for e in _access_log(parent)]
    assert actions == [("read", report["id"], True), ("list", None, True)]
    assert {e["subjectId"] for e in _access_log(parent)} == {child["id"]}
    assert _reports(parent, parent_me["id"]) == []  # the child's report is the child's only

    # An adult the parent lists as family, who has not consented, and who has a report.
    grandma_person = random_person(birth_year=1955)
    grandma, _ = people(person=grandma_person)
    grandma_booking = book_tomorrow(grandma, "省人民")
    grandma_report = _reports(grandma, my_id(grandma))[0]
    member = _add_family(parent, grandma_person[0], grandma_person[1], "PARENT")
    assert not member["isMinor"] and not member["mayActFor"] and not member["consentGranted"]
    assert grandma_booking["hospitalCode"] == grandma_report["hospitalCode"]
    log_before = _access_log(grandma)

    _assert_refused(parent.post(MY_REPORTS, {"patient": member["id"]}), "FORBIDDEN")
    _assert_refused(parent.post(MY_REPORTS, {"patient": my_id(grandma)}), "FORBIDDEN")
    _assert_refused(parent.post(REPORT, {"id": grandma_report["id"]}), "FORBIDDEN")
    _assert_refused(parent.post(NODE, {"id": grandma_report["id"]}), "FORBIDDEN")
    # Refused attempts read nothing, so nobody's access log shows them as reads.
    assert _access_log(grandma) == log_before
    assert all(e["actorIsYou"] for e in _access_log(parent))

    # Once she consents, the relative may act for her, and she sees who read what.
    granted = grandma.post(
        "mutation($id: ID!) { familyConsentGrant(familyMemberId: $id) }", {"id": member["id"]}
    )
    assert granted["data"] == {"familyConsentGrant": True}, granted
    assert _reports(parent, member["id"]) == []  # nothing booked under the family entry yet
    newest = _access_log(grandma)[0]
    assert (newest["action"], newest["resourceId"], newest["actorIsYou"]) == ("list", None, False)
    assert newest["subjectId"] == member["id"]
    assert _access_log(parent)[0]["actorIsYou"] is True


def test_a_stranger_cannot_read_my_report(people: Any) -> None:
    me_device, me = people()
    book_tomorrow(me_device, "长沙市中心")
    report = _reports(me_device, me["id"])[0]
    stranger, stranger_me = people()
    book_tomorrow(stranger, "长沙市中心")  # a patient of the same hospital, even
    log_before = _access_log(me_device)

    # FORBIDDEN, not NOT_FOUND: the report exists at the hospital, and it is about somebody the
    # stranger may not act for (the graph must fetch it to know whose it is; see medical.report).
    by_id = stranger.post(REPORT, {"id": report["id"]})
    _assert_refused(by_id, "FORBIDDEN")
    assert report["observations"][0]["name"] not in str(by_id)
    _assert_refused(stranger.post(NODE, {"id": report["id"]}), "FORBIDDEN")
    _assert_refused(stranger.post(MY_REPORTS, {"patient": me["id"]}), "FORBIDDEN")
    # A report id the hospital does not know is NOT_FOUND, for the owner as for anyone.
    code, _ = hospital_ref(report["id"])
    unknown = encode_id("Report", f"{code}/{uuid.uuid4().hex[:16]}")
    _assert_refused(stranger.post(REPORT, {"id": unknown}), "NOT_FOUND")
    _assert_refused(me_device.post(REPORT, {"id": unknown}), "NOT_FOUND")
    # An id of another type is a bad input, not a lookup.
    _assert_refused(stranger.post(REPORT, {"id": stranger_me["id"]}), "BAD_USER_INPUT")

    assert _access_log(me_device) == log_before
    assert all(e["actorIsYou"] for e in _access_log(stranger))


def test_a_hospital_down_fails_the_list_and_logs_nothing(
    people: Any, hospital_simulator: SimulatorAdmin
) -> None:
    device, me = people()
    booked = book_tomorrow(device, "湘雅三")
    report = _reports(device, me["id"])[0]
    log_before = _access_log(device)
    code = booked["hospitalCode"]
    hospital_simulator.set_faults(down=True, pathPrefix=f"/fhir/{code}/DiagnosticReport")
    try:
        # A medical history with a silent gap would mislead: the whole field fails.
        listed = device.post(MY_REPORTS, {"patient": me["id"]})
        one = device.post(REPORT, {"id": report["id"]})
    finally:
        hospital_simulator.set_faults(down=False)
    for body in (listed, one):
        _assert_refused(body, "UPSTREAM_UNAVAILABLE")
        assert body["errors"][0]["extensions"]["upstream"] == f"hospital-{code}"
    assert _access_log(device) == log_before  # nothing was read, so nothing is logged
    assert _reports(device, me["id"]) == [report]


def test_imaging_reports_come_newest_first(people: Any, hospital_simulator: SimulatorAdmin) -> None:
    device, me = people()
    booked = book_tomorrow(device, "湘雅")
    time.sleep(1.05 - time.time() % 1)  # FHIR instants are to the second: issue it later
    added = hospital_simulator.http.post(
        f"/__admin/hospitals/{booked['hospitalCode']}/reports",
        json={"patientId": decode_id(me["id"])[1], "kind": "imaging"},
    )
    assert added.status_code == 201, added.text

    reports = _reports(device, me["id"])
    assert [r["category"] for r in reports] == ["IMAGING", "LAB"]
    imaging = reports[0]
    assert imaging["name"] == "胸部CT平扫" and imaging["conclusion"]
    assert imaging["observations"] == [] and imaging["issued"] > reports[1]["issued"]
    assert hospital_ref(imaging["id"]) == (booked["hospitalCode"], added.json()["id"])
    assert device.post(REPORT, {"id": imaging["id"]})["data"]["report"] == imaging
