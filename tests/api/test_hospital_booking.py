"""Hospitals through the graph over real HTTP: search, slots, race-safe booking, appointments."""

from __future__ import annotations

import base64
import concurrent.futures
import json
import time
import uuid
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from websockets.sync.client import connect

from mychangsha.platform.clock import CHANGSHA
from tests.api.booking_calendar import booking_days
from tests.api.identity_client import (
    ME,
    Device,
    error_codes,
    valid_id_number,
)
from tests.conftest import SimulatorAdmin

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

SEARCH = """
query($keyword: String, $near: GeoPointInput, $department: String) {
  hospitals(keyword: $keyword, near: $near, department: $department, first: 5) {
    edges { distanceMeters node { id code name grade location { lat lng } } }
  } }"""

CATALOGUE = """
query($id: ID!, $date: Date!) { hospital(id: $id) { name departments {
  id name doctors { id name title feeFen
    slots(date: $date) { id start remaining capacity available feeFen } }
} } }"""

BOOK = """
mutation($slot: ID!, $patient: ID!, $key: String!) {
  appointmentBook(input: {slotId: $slot, patientId: $patient, idempotencyKey: $key}) {
    __typename
    ... on Appointment { id status start queueNumber patientName doctor { name } hospital { name } }
    ... on UserError { message }
    ... on InvalidInput { field }
  } }"""

MY_APPOINTMENTS = """
{ myAppointments(first: 50) { edges { hospitalCode node {
  id status doctor { name department { name } } hospital { name }
} } } }"""


def _hospital_id(device: Device, keyword: str) -> str:
    edges = device.post(SEARCH, {"keyword": keyword})["data"]["hospitals"]["edges"]
    assert edges, f"no hospital for {keyword}"
    return str(edges[0]["node"]["id"])


def _free_slots(device: Device, hospital_id: str, day: date | int) -> list[dict[str, Any]]:
    """Every available slot of a hospital on a day, with its doctor's id.

    `day` is a date, or the day's place in the hospital's booking window (0 is today).
    """
    if isinstance(day, int):
        day = booking_days(device, hospital_id)[day]
    body = device.post(CATALOGUE, {"id": hospital_id, "date": day.isoformat()})
    assert "errors" not in body, body
    found = []
    for department in body["data"]["hospital"]["departments"]:
        for doctor in department["doctors"]:
            for slot in doctor["slots"]:
                if slot["available"]:
                    found.append({**slot, "doctor": doctor["id"]})
    return found


def _book(device: Device, slot: str, patient: str, key: str | None = None) -> dict[str, Any]:
    body = device.post(BOOK, {"slot": slot, "patient": patient, "key": key or uuid.uuid4().hex})
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["appointmentBook"]
    return result


def test_search_by_alias_near_and_department(people: Any) -> None:
    device, _ = people()
    found = device.post(SEARCH, {"keyword": "湘雅"})["data"]["hospitals"]["edges"]
    names = [e["node"]["name"] for e in found]
    assert "中南大学湘雅医院" in names
    pinyin = device.post(SEARCH, {"keyword": "xiangya"})["data"]["hospitals"]["edges"]
    assert {e["node"]["name"] for e in pinyin} & set(names)
    near = device.post(SEARCH, {"near": {"lat": 28.2162, "lng": 112.9826}})
    edges = near["data"]["hospitals"]["edges"]
    distances = [e["distanceMeters"] for e in edges]
    assert edges[0]["node"]["name"] == "中南大学湘雅医院" and distances == sorted(distances)
    children = device.post(SEARCH, {"department": "儿科"})["data"]["hospitals"]["edges"]
    assert children


def test_slots_show_fee_and_remaining(people: Any) -> None:
    device, _ = people()
    slots = _free_slots(device, _hospital_id(device, "湘雅"), 1)
    assert slots, "tomorrow has free sessions"
    slot = slots[0]
    assert slot["feeFen"] > 0 and 0 < slot["remaining"] <= slot["capacity"]
    hospital = _hospital_id(device, "湘雅")
    days = booking_days(device, hospital)
    assert len(days) == 8, days  # today and the seven days the hospitals publish
    for outside in (days[0] - timedelta(days=1), days[-1] + timedelta(days=1)):
        refused = device.post(CATALOGUE, {"id": hospital, "date": outside.isoformat()})
        assert "BAD_USER_INPUT" in error_codes(refused), (outside, refused)


def test_booking_for_a_child_and_listing_it(
    people: Any, hospital_simulator: SimulatorAdmin
) -> None:
    parent, me = people()
    child = parent.post(
        """mutation($id: String!) { familyMemberAdd(input: {name: "刘小雨", idNumber: $id,
        relation: CHILD}) { __typename ... on FamilyMember { id } } }""",
        {"id": valid_id_number("20160815")},
    )["data"]["familyMemberAdd"]
    slots = _free_slots(parent, _hospital_id(parent, "湘雅二"), 1)
    booked = _book(parent, slots[0]["id"], child["id"])
    assert booked["__typename"] == "Appointment", booked
    assert booked["status"] == "BOOKED" and booked["patientName"] == "刘小雨"
    assert booked["doctor"]["name"] and booked["queueNumber"] >= 1

    listed = parent.post(MY_APPOINTMENTS)["data"]["myAppointments"]["edges"]
    assert [e["node"]["id"] for e in listed] == [booked["id"]]
    assert listed[0]["node"]["hospital"]["name"] == "中南大学湘雅二医院"
    assert listed[0]["node"]["doctor"]["department"]["name"]
    assert me["verificationLevel"] == 2


def test_my_appointments_asks_each_hospital_once(
    people: Any, hospital_simulator: SimulatorAdmin
) -> None:
    device, me = people()
    for keyword in ("湘雅三", "省人民", "长沙市中心"):
        slots = _free_slots(device, _hospital_id(device, keyword), 1)
        assert _book(device, slots[0]["id"], me["id"])["__typename"] == "Appointment"
    before = hospital_simulator.http.get("/__admin/hospital-counters").json()
    edges = device.post(MY_APPOINTMENTS)["data"]["myAppointments"]["edges"]
    after = hospital_simulator.http.get("/__admin/hospital-counters").json()
    assert len(edges) == 3 and all(e["node"] for e in edges)
    involved = {e["hospitalCode"] for e in edges}
    for code in involved:
        calls = sum(after[code].values()) - sum(before.get(code, {}).values())
        assert calls == 1, (code, before.get(code), after[code])
    others = set(after) - involved
    assert all(after[c] == before.get(c, {}) for c in others)


def test_a_hospital_down_costs_only_its_entries(
    people: Any, hospital_simulator: SimulatorAdmin
) -> None:
    device, me = people()
    codes = []
    for keyword in ("湘雅三", "长沙市中心"):
        slots = _free_slots(device, _hospital_id(device, keyword), 1)
        booked = _book(device, slots[0]["id"], me["id"])
        assert booked["__typename"] == "Appointment"
        codes.append(booked["id"])
    listed = device.post(MY_APPOINTMENTS)["data"]["myAppointments"]["edges"]
    down_code = listed[0]["hospitalCode"]
    hospital_simulator.set_faults(down=True, pathPrefix=f"/fhir/{down_code}/")
    try:
        body = device.post(MY_APPOINTMENTS)
    finally:
        hospital_simulator.set_faults(down=False)
    edges = body["data"]["myAppointments"]["edges"]
    assert len(edges) == 2
    up = [e for e in edges if e["hospitalCode"] != down_code]
    down = [e for e in edges if e["hospitalCode"] == down_code]
    assert up[0]["node"]["status"] == "BOOKED" and down[0]["node"] is None
    assert error_codes(body) == ["UPSTREAM_UNAVAILABLE"]
    assert body["errors"][0]["extensions"]["upstream"] == f"hospital-{down_code}"


def test_a_slow_hospital_is_left_behind_when_the_budget_is_spent(
    people: Any, hospital_simulator: SimulatorAdmin
) -> None:
    device, me = people()
    for keyword in ("湘雅三", "长沙市中心"):
        slots = _free_slots(device, _hospital_id(device, keyword), 1)
        assert _book(device, slots[0]["id"], me["id"])["__typename"] == "Appointment"
    listed = device.post(MY_APPOINTMENTS)["data"]["myAppointments"]["edges"]
    slow_code = listed[0]["hospitalCode"]
    # Slower than the 800 ms answer budget, faster than the upstream read timeout (3 s).
    hospital_simulator.set_faults(latencyMs=2000, pathPrefix=f"/fhir/{slow_code}/")
    try:
        started = time.monotonic()
        body = device.post(MY_APPOINTMENTS)
        elapsed = time.monotonic() - started
    finally:
        hospital_simulator.set_faults(latencyMs=0)
    edges = body["data"]["myAppointments"]["edges"]
    assert {e["hospitalCode"] for e in edges} == {e["hospitalCode"] for e in listed}
    slow = [e for e in edges if e["hospitalCode"] == slow_code]
    fast = [e for e in edges if e["hospitalCode"] != slow_code]
    assert slow[0]["node"] is None and fast[0]["node"]["status"] == "BOOKED"
    assert error_codes(body) == ["UPSTREAM_TIMEOUT"]
    assert elapsed < 1.8, f"the answer waited for the slow hospital ({elapsed:.2f} s)"


def test_level_one_gets_verification_required(
    graph_url: str, sms_simulator: SimulatorAdmin, people: Any
) -> None:
    verified, _ = people()
    slot = _free_slots(verified, _hospital_id(verified, "湘雅"), 1)[0]
    device = Device(graph_url, sms_simulator.base_url)
    try:
        me = device.sign_in()["citizen"]
        result = _book(device, slot["id"], me["id"])
        assert result["__typename"] == "VerificationRequired"
    finally:
        device.close()


def test_same_doctor_same_day_is_a_conflict(people: Any) -> None:
    device, me = people()
    slots = _free_slots(device, _hospital_id(device, "省人民"), 1)
    by_doctor: dict[str, list[dict[str, Any]]] = {}
    for slot in slots:
        by_doctor.setdefault(slot["doctor"], []).append(slot)
    twice = next(s for s in by_doctor.values() if len(s) >= 2)
    assert _book(device, twice[0]["id"], me["id"])["__typename"] == "Appointment"
    assert _book(device, twice[1]["id"], me["id"])["__typename"] == "AppointmentConflict"


def test_doctors_sharing_a_local_id_at_two_hospitals_are_two_doctors(people: Any) -> None:
    """Doctor ids are each hospital's own: the one-doctor-a-day rule must not mix hospitals."""
    device, me = people()
    first, second = _hospital_id(device, "湘雅三"), _hospital_id(device, "长沙市中心")
    for day in booking_days(device, first)[1:]:
        here = {_decode(s["doctor"]).split("/")[1]: s for s in _free_slots(device, first, day)}
        there: dict[str, list[dict[str, Any]]] = {}
        for slot in _free_slots(device, second, day):
            there.setdefault(_decode(slot["doctor"]).split("/")[1], []).append(slot)
        # A doctor id both hospitals use, whose doctor at the second has two sessions that day.
        shared = [fhir_id for fhir_id, slots in there.items() if fhir_id in here and len(slots) > 1]
        if shared:
            break
    else:
        raise AssertionError("no doctor id is used by both hospitals on any day")
    mine, theirs = here[shared[0]], there[shared[0]]
    assert mine["doctor"] != theirs[0]["doctor"]  # one local id, two doctors of the graph
    assert _book(device, mine["id"], me["id"])["__typename"] == "Appointment"
    assert _book(device, theirs[0]["id"], me["id"])["__typename"] == "Appointment"
    listed = device.post(MY_APPOINTMENTS)["data"]["myAppointments"]["edges"]
    assert len(listed) == 2 and all(e["node"]["status"] == "BOOKED" for e in listed)
    # The same doctor twice on one day at one hospital is still refused.
    assert _book(device, theirs[1]["id"], me["id"])["__typename"] == "AppointmentConflict"


def test_the_same_key_never_books_twice(people: Any, hospital_simulator: SimulatorAdmin) -> None:
    device, me = people()
    slot = _free_slots(device, _hospital_id(device, "湘雅"), 1)[0]
    key = uuid.uuid4().hex
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: _book(device, slot["id"], me["id"], key), range(10)))
    assert {r["__typename"] for r in results} == {"Appointment"}
    assert len({r["id"] for r in results}) == 1
    hospital_code, slot_fhir_id = _decode(slot["id"]).split("/")
    listed = hospital_simulator.http.get(
        "/__admin/appointments", params={"hospital": hospital_code, "slotId": slot_fhir_id}
    ).json()["items"]
    mine = [a for a in listed if a["patientId"] == _decode(me["id"]).split(":")[-1]]
    assert len(mine) == 1
    reused = _book(
        device,
        _free_slots(device, _hospital_id(device, "湘雅"), 1)[-1]["id"],
        me["id"],
        key,
    )
    assert reused["__typename"] == "InvalidInput" and reused["field"] == "input.idempotencyKey"


def _decode(global_id: str) -> str:
    return base64.b64decode(global_id).decode().split(":", 1)[1]


def test_cancel_frees_the_place(people: Any) -> None:
    device, me = people()
    hospital = _hospital_id(device, "长沙市中心")
    day = booking_days(device, hospital)[2]  # clear of tomorrow's cancellation cut-off
    slot = _free_slots(device, hospital, day)[0]
    booked = _book(device, slot["id"], me["id"])
    cancelled = device.post(
        "mutation($id: ID!) { appointmentCancel(id: $id) { __typename "
        "... on Appointment { status } ... on UserError { message } } }",
        {"id": booked["id"]},
    )["data"]["appointmentCancel"]
    assert cancelled == {"__typename": "Appointment", "status": "CANCELLED"}
    after = next(s for s in _free_slots(device, hospital, day) if s["id"] == slot["id"])
    assert after["remaining"] == slot["remaining"]
    stranger, _ = people()
    refused = stranger.post(
        "mutation($id: ID!) { appointmentCancel(id: $id) { __typename } }", {"id": booked["id"]}
    )
    assert error_codes(refused) == ["NOT_FOUND"]


def test_two_hundred_citizens_race_for_two_places(
    people: Any, hospital_simulator: SimulatorAdmin
) -> None:
    first, _ = people()
    hospital = _hospital_id(first, "浏阳")
    day = 3
    candidates = [s for s in _free_slots(first, hospital, day) if s["remaining"] == s["capacity"]]
    slots = candidates[:2]
    assert len(slots) == 2
    for slot in slots:
        code, fhir_id = _decode(slot["id"]).split("/")
        hospital_simulator.http.put(
            f"/__admin/slots/{code}/{fhir_id}", json={"capacity": 1}
        ).raise_for_status()

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        racers = list(pool.map(lambda _: people(), range(200)))

    def attempt(n: int) -> dict[str, Any]:
        device, me = racers[n]
        return device.post(
            BOOK, {"slot": slots[n % 2]["id"], "patient": me["id"], "key": uuid.uuid4().hex}
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=200) as pool:
        bodies = list(pool.map(attempt, range(200)))
    assert all("errors" not in b for b in bodies), [b for b in bodies if "errors" in b][:3]
    kinds = [b["data"]["appointmentBook"]["__typename"] for b in bodies]
    assert kinds.count("Appointment") == 2
    assert kinds.count("SlotUnavailable") == 198


def test_a_retry_on_a_full_slot_repeats_the_first_answer(
    people: Any, hospital_simulator: SimulatorAdmin
) -> None:
    """Losers on a full slot are refused early; a winner's retry still gets its appointment."""
    device, me = people()
    slot = _free_slots(device, _hospital_id(device, "省人民"), 2)[0]
    code, fhir_id = _decode(slot["id"]).split("/")
    hospital_simulator.http.put(
        f"/__admin/slots/{code}/{fhir_id}", json={"capacity": 1}
    ).raise_for_status()
    key = uuid.uuid4().hex
    first = _book(device, slot["id"], me["id"], key)
    assert first["__typename"] == "Appointment"
    again = _book(device, slot["id"], me["id"], key)
    assert again["__typename"] == "Appointment" and again["id"] == first["id"]
    other, someone = people()
    assert _book(other, slot["id"], someone["id"])["__typename"] == "SlotUnavailable"


def test_queue_updates_over_websocket(
    graph_url: str, people: Any, hospital_simulator: SimulatorAdmin
) -> None:
    device, me = people()
    hospital = _hospital_id(device, "湘雅")
    days = booking_days(device, hospital)
    today = days[0]
    booked = None
    for day in days[:3]:
        for slot in _free_slots(device, hospital, day):
            result = _book(device, slot["id"], me["id"])
            if result["__typename"] == "Appointment":
                booked = (result, slot)
                break
        if booked:
            break
    assert booked is not None
    appointment, slot = booked
    query = (
        "subscription($id: ID!) { appointmentQueue(appointmentId: $id) "
        "{ peopleAhead calledNumber status } }"
    )
    with connect(
        graph_url.replace("http://", "ws://") + "/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:  # type: ignore[list-item]
        ws.send(
            json.dumps(
                {
                    "type": "connection_init",
                    "payload": {"Authorization": f"Bearer {device.access_token}"},
                }
            )
        )
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        ws.send(
            json.dumps(
                {
                    "id": "q",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": {"id": appointment["id"]}},
                }
            )
        )
        first = json.loads(ws.recv(timeout=10))
        assert first["type"] == "next", first
        update = first["payload"]["data"]["appointmentQueue"]
        assert update["status"] in {"waiting", "called", "done", "not-today"}
        if update["status"] == "not-today":
            start = datetime.fromisoformat(appointment["start"]).astimezone(CHANGSHA)
            assert start.date() != today
        if update["status"] == "waiting":
            code, fhir_id = _decode(slot["id"]).split("/")
            hospital_simulator.http.post(
                f"/__admin/queue/{code}/{fhir_id}/advance"
            ).raise_for_status()
            second = json.loads(ws.recv(timeout=10))
            assert second["type"] == "next"
            assert second["payload"]["data"]["appointmentQueue"] != update


def test_unknown_and_foreign_ids(people: Any) -> None:
    device, _ = people()
    body = device.post(ME)
    assert body["data"]["me"]["verificationLevel"] == 2
    not_a_slot = base64.b64encode(b"Hospital:xiangya").decode()
    bad = device.post(
        BOOK, {"slot": not_a_slot, "patient": body["data"]["me"]["id"], "key": "abcdefgh1"}
    )
    assert error_codes(bad) == ["BAD_USER_INPUT"]
    missing = base64.b64encode(b"Slot:xiangya/no-such-slot").decode()
    result = _book(device, missing, body["data"]["me"]["id"])
    assert result["__typename"] == "InvalidInput" and result["field"] == "input.slotId"
