"""The hospital FHIR simulator's patient side over real HTTP: booking (idempotent, atomic under
races), cancelling and its cut-off, the queue, reports with observations, and bills."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fhir.resources.R4B.appointment import Appointment
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.invoice import Invoice
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.parameters import Parameters

from mychangsha.simulators.hospital import create_app
from tests.support.clock import MutableClock
from tests.support.hospital import (
    PATIENT,
    SHANGHAI,
    WEDNESDAY_10,
    appointment,
    bundle,
    condition,
    extension,
    free_slot,
    matches,
    outcome_code,
)
from tests.support.servers import serve_in_thread

TOMORROW = WEDNESDAY_10.date() + timedelta(days=1)


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


def _book(http: httpx.Client, slot_id: str, patient: str, key: str) -> httpx.Response:
    return http.post(
        "/fhir/xiangya/Appointment", json=appointment(slot_id, patient, key), headers=condition(key)
    )


def _capacity(http: httpx.Client, slot_id: str, capacity: int) -> dict[str, Any]:
    response = http.put(f"/__admin/slots/xiangya/{slot_id}", json={"capacity": capacity})
    body: dict[str, Any] = response.raise_for_status().json()
    return body


def _appointments(http: httpx.Client, **filters: str) -> list[dict[str, Any]]:
    body = http.get("/__admin/appointments", params=filters).raise_for_status().json()
    items: list[dict[str, Any]] = body["items"]
    return items


def _params(body: dict[str, Any]) -> dict[str, Any]:
    Parameters.model_validate(body)
    return {
        p["name"]: next(v for k, v in p.items() if k.startswith("value")) for p in body["parameter"]
    }


# --- booking ----------------------------------------------------------------------------------


def test_booking_takes_a_place_and_bills_the_fee(http: httpx.Client, base_url: str) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    response = _book(http, slot["id"], "p-1", "key-1")
    assert response.status_code == 201, response.text
    body = response.json()
    Appointment.model_validate(body)
    assert response.headers["location"] == (
        f"{base_url}/fhir/xiangya/Appointment/{body['id']}/_history/1"
    )
    assert response.headers["etag"] == 'W/"1"'
    assert body["status"] == "booked" and extension(body, "queue-number") == 1
    assert body["start"] == slot["start"] and body["slot"] == [{"reference": f"Slot/{slot['id']}"}]
    assert body["identifier"] == [{"system": "urn:mychangsha:booking", "value": "key-1"}]
    role = next(p["actor"] for p in body["participant"] if "reference" in p["actor"])
    assert role["reference"].startswith("PractitionerRole/role-")
    after = http.get(f"/fhir/xiangya/Slot/{slot['id']}").json()
    assert extension(after, "slot-booked") == 1
    assert http.get(f"/fhir/xiangya/Appointment/{body['id']}").json() == body
    bills = matches(
        bundle(http, "/fhir/xiangya/Invoice", **{"subject:identifier": f"{PATIENT}|p-1"})
    )
    assert len(bills) == 1 and bills[0]["status"] == "issued"
    fee = extension(http.get(f"/fhir/xiangya/{role['reference']}").json(), "registration-fee")
    assert bills[0]["totalGross"] == fee
    assert extension(bills[0], "appointment") == {"reference": f"Appointment/{body['id']}"}
    reports = bundle(
        http, "/fhir/xiangya/DiagnosticReport", **{"subject:identifier": f"{PATIENT}|p-1"}
    )
    assert reports["total"] == 1


def test_the_same_key_returns_the_same_appointment(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    first = _book(http, slot["id"], "p-1", "same")
    again = _book(http, slot["id"], "p-1", "same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    other = _book(http, slot["id"], "p-1", "different")
    assert other.status_code == 201 and extension(other.json(), "queue-number") == 2
    found = bundle(http, "/fhir/xiangya/Appointment", identifier="urn:mychangsha:booking|same")
    assert [a["id"] for a in matches(found)] == [first.json()["id"]]


async def test_concurrent_retries_with_one_key_book_once(http: httpx.Client, base_url: str) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    body = appointment(slot["id"], "p-9", "racy-key")
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        responses = await asyncio.gather(
            *[
                client.post("/fhir/xiangya/Appointment", json=body, headers=condition("racy-key"))
                for _ in range(10)
            ]
        )
        held = (await client.get("/__admin/appointments", params={"slotId": slot["id"]})).json()
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 9}
    assert len({r.json()["id"] for r in responses}) == 1
    assert held["total"] == 1


async def test_two_hundred_racers_for_two_places_get_exactly_two(
    http: httpx.Client, base_url: str
) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    _capacity(http, slot["id"], 2)
    limits = httpx.Limits(max_connections=200)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        responses = await asyncio.gather(
            *[
                client.post(
                    "/fhir/xiangya/Appointment",
                    json=appointment(slot["id"], f"p-{n}", f"k-{n}"),
                    headers=condition(f"k-{n}"),
                )
                for n in range(200)
            ]
        )
        after = (await client.get(f"/fhir/xiangya/Slot/{slot['id']}")).json()
        held = (await client.get("/__admin/appointments", params={"slotId": slot["id"]})).json()
    assert Counter(r.status_code for r in responses) == {201: 2, 409: 198}
    conflicts = [r.json() for r in responses if r.status_code == 409]
    assert all(OperationOutcome.model_validate(c).issue[0].code == "conflict" for c in conflicts)
    numbers = sorted(extension(r.json(), "queue-number") for r in responses if r.status_code == 201)
    assert numbers == [1, 2]
    assert held["total"] == 2
    assert (after["status"], extension(after, "slot-booked")) == ("busy", 2)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"resourceType": "Patient"}, 400, "invalid"),
        ({"status": "proposed"}, 400, "invalid"),
        (
            {"participant": [{"status": "accepted", "actor": {"reference": "Patient/1"}}]},
            400,
            "invalid",
        ),
        ({"slot": []}, 400, "invalid"),
        ({"start": "tomorrow"}, 400, "invalid"),
        ({"unknownField": 1}, 400, "invalid"),
        ({"slot": [{"reference": "Slot/role-nobody-1-20250515-am"}]}, 422, "not-found"),
        ({"slot": [{"reference": "Slot/role-cardiology-1-20250601-am"}]}, 422, "not-found"),
    ],
)
def test_invalid_bookings_are_refused_with_an_outcome(
    http: httpx.Client, change: dict[str, Any], status: int, code: str
) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    body = {**appointment(slot["id"], "p-1", "k"), **change}
    response = http.post("/fhir/xiangya/Appointment", json=body)
    assert outcome_code(response, status) == code
    assert _appointments(http) == []


def test_bodies_and_conditions_must_make_sense(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    post = "/fhir/xiangya/Appointment"
    assert outcome_code(http.post(post, content=b"{nope"), 400) == "invalid"
    assert outcome_code(http.post(post, json=[1]), 400) == "invalid"
    mismatched = http.post(post, json=appointment(slot["id"], "p", "a"), headers=condition("b"))
    assert outcome_code(mismatched, 400) == "invalid"
    odd = http.post(post, json=appointment(slot["id"], "p", "a"), headers={"If-None-Exist": "x=1"})
    assert outcome_code(odd, 400) == "invalid"
    body = appointment(slot["id"], "p", "a")
    body["participant"].append(
        {"actor": {"reference": "PractitionerRole/role-x-1"}, "status": "accepted"}
    )
    assert outcome_code(http.post(post, json=body), 422) == "business-rule"


def test_only_published_open_sessions_can_be_booked(
    http: httpx.Client, clock: MutableClock
) -> None:
    week_later = WEDNESDAY_10.date() + timedelta(days=7)
    slot = free_slot(http, "xiangya", week_later)
    clock.current = datetime(2025, 5, 14, 6, 59, tzinfo=SHANGHAI)
    assert outcome_code(_book(http, slot["id"], "p", "early"), 422) == "not-found"
    clock.current = datetime(2025, 5, 14, 7, 0, tzinfo=SHANGHAI)
    assert _book(http, slot["id"], "p", "on-time").status_code == 201
    clock.current = datetime.fromisoformat(slot["end"])
    assert outcome_code(_book(http, slot["id"], "p", "late"), 422) == "business-rule"


def test_a_key_reused_without_a_condition_is_a_duplicate(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    assert _book(http, slot["id"], "p", "dup").status_code == 201
    plain = http.post("/fhir/xiangya/Appointment", json=appointment(slot["id"], "p", "dup"))
    assert outcome_code(plain, 409) == "duplicate"
    keyless = http.post("/fhir/xiangya/Appointment", json=appointment(slot["id"], "p", None))
    assert keyless.status_code == 201 and "identifier" not in keyless.json()


def test_search_appointments_of_several_patients(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    ids = {p: _book(http, slot["id"], p, f"k-{p}").json()["id"] for p in ("a", "b", "c")}
    both = bundle(
        http, "/fhir/xiangya/Appointment", **{"actor:identifier": f"{PATIENT}|a,{PATIENT}|b"}
    )
    assert {a["id"] for a in matches(both)} == {ids["a"], ids["b"]}
    assert (
        bundle(http, "/fhir/xiangya2/Appointment", **{"actor:identifier": f"{PATIENT}|a"})["total"]
        == 0
    )
    dated = bundle(http, "/fhir/xiangya/Appointment", date=f"ge{TOMORROW}", status="booked")
    assert dated["total"] == 3


# --- cancelling -------------------------------------------------------------------------------


def _cancel(http: httpx.Client, body: dict[str, Any], **headers: str) -> httpx.Response:
    cancelled = {**body, "status": "cancelled", "cancelationReason": {"text": "行程有变"}}
    return http.put(f"/fhir/xiangya/Appointment/{body['id']}", json=cancelled, headers=headers)


def test_cancelling_frees_the_place_and_the_bill(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    _capacity(http, slot["id"], 1)
    first = _book(http, slot["id"], "p-1", "first").json()
    assert outcome_code(_book(http, slot["id"], "p-2", "second"), 409) == "conflict"
    stale = _cancel(http, first, **{"If-Match": 'W/"7"'})
    assert outcome_code(stale, 412) == "conflict"
    response = _cancel(http, first, **{"If-Match": 'W/"1"'})
    assert response.status_code == 200 and response.headers["etag"] == 'W/"2"'
    cancelled = response.json()
    Appointment.model_validate(cancelled)
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancelationReason"] == {"text": "行程有变"}
    assert _cancel(http, first).json() == cancelled  # idempotent
    second = _book(http, slot["id"], "p-2", "second")
    assert second.status_code == 201 and extension(second.json(), "queue-number") == 1
    bills = bundle(http, "/fhir/xiangya/Invoice", **{"subject:identifier": f"{PATIENT}|p-1"})
    assert [b["status"] for b in matches(bills)] == ["cancelled"]
    reinstate = http.put(f"/fhir/xiangya/Appointment/{first['id']}", json=first)
    assert outcome_code(reinstate, 422) == "business-rule"


def test_cancelling_after_the_cut_off_is_refused(http: httpx.Client, clock: MutableClock) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    booked = _book(http, slot["id"], "p-1", "late").json()
    clock.current = datetime(2025, 5, 14, 18, 0, tzinfo=SHANGHAI)
    assert outcome_code(_cancel(http, booked), 422) == "business-rule"
    clock.current = datetime(2025, 5, 14, 17, 59, 59, tzinfo=SHANGHAI)
    assert _cancel(http, booked).status_code == 200


def test_put_needs_the_matching_id(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    booked = _book(http, slot["id"], "p-1", "k").json()
    wrong = {**booked, "id": "other", "status": "cancelled"}
    put = http.put(f"/fhir/xiangya/Appointment/{booked['id']}", json=wrong)
    assert outcome_code(put, 400) == "invalid"
    missing = http.put("/fhir/xiangya/Appointment/nope", json={**booked, "id": "nope"})
    assert outcome_code(missing, 404) == "not-found"


# --- the queue --------------------------------------------------------------------------------


def test_the_queue_advances_with_the_clock_and_the_admin(
    http: httpx.Client, clock: MutableClock
) -> None:
    clock.current = datetime(2025, 5, 14, 7, 30, tzinfo=SHANGHAI)
    slot = free_slot(http, "xiangya", WEDNESDAY_10.date())
    assert slot["start"].endswith("T08:00:00+08:00")
    booked = [_book(http, slot["id"], f"p-{n}", f"q-{n}").json() for n in range(4)]
    cancel = {**booked[1], "status": "cancelled"}
    refused = http.put(f"/fhir/xiangya/Appointment/{booked[1]['id']}", json=cancel)
    assert outcome_code(refused, 422) == "business-rule"  # on the day itself
    last = f"/fhir/xiangya/Appointment/{booked[3]['id']}/$queue"

    def queue() -> dict[str, Any]:
        return _params(http.get(last).raise_for_status().json())

    assert queue() == {"peopleAhead": 3, "calledNumber": 0, "status": "waiting", "queueNumber": 4}
    clock.current = datetime(2025, 5, 14, 8, 0, tzinfo=SHANGHAI)
    assert (queue()["calledNumber"], queue()["peopleAhead"]) == (1, 2)
    clock.current = datetime(2025, 5, 14, 8, 6, tzinfo=SHANGHAI)
    assert (queue()["calledNumber"], queue()["peopleAhead"]) == (2, 1)
    advanced = http.post(f"/__admin/queue/xiangya/{slot['id']}/advance").raise_for_status()
    assert advanced.json() == {"slotId": slot["id"], "calledNumber": 3}
    assert queue() == {"peopleAhead": 0, "calledNumber": 3, "status": "waiting", "queueNumber": 4}
    clock.current = datetime(2025, 5, 14, 8, 12, tzinfo=SHANGHAI)
    assert queue()["status"] == "called"
    clock.current = datetime(2025, 5, 14, 8, 18, tzinfo=SHANGHAI)
    assert queue()["status"] == "done"
    clock.current = datetime(2025, 5, 15, 9, 0, tzinfo=SHANGHAI)
    assert queue()["status"] == "done"


def test_a_cancelled_appointment_has_no_queue(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    booked = _book(http, slot["id"], "p", "k").json()
    _cancel(http, booked).raise_for_status()
    response = http.get(f"/fhir/xiangya/Appointment/{booked['id']}/$queue")
    assert outcome_code(response, 422) == "business-rule"


def test_a_future_appointment_is_not_today(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    booked = _book(http, slot["id"], "p", "k").json()
    answer = _params(http.get(f"/fhir/xiangya/Appointment/{booked['id']}/$queue").json())
    assert answer == {"peopleAhead": 0, "calledNumber": 0, "status": "not-today", "queueNumber": 1}


# --- reports ----------------------------------------------------------------------------------


def _new_report(http: httpx.Client, patient: str, kind: str) -> dict[str, Any]:
    body = {"patientId": patient, "patientName": "李四", "kind": kind}
    response = http.post("/__admin/hospitals/xiangya/reports", json=body)
    assert response.status_code == 201, response.text
    report: dict[str, Any] = response.json()
    return report


def test_reports_with_their_observations_validate(http: httpx.Client) -> None:
    lab = _new_report(http, "p-1", "lab")
    ct = _new_report(http, "p-2", "imaging")
    body = bundle(
        http,
        "/fhir/xiangya/DiagnosticReport",
        **{"subject:identifier": f"{PATIENT}|p-1,{PATIENT}|p-2"},
        _include="DiagnosticReport:result",
    )
    reports = {r["id"]: DiagnosticReport.model_validate(r) for r in matches(body)}
    assert set(reports) == {lab["id"], ct["id"]} and body["total"] == 2
    included = [e["resource"] for e in body["entry"] if e["search"]["mode"] == "include"]
    assert [f"Observation/{o['id']}" for o in included] == [r["reference"] for r in lab["result"]]
    names = {o["code"]["text"] for o in included}
    assert names == {"白细胞计数(WBC)", "红细胞计数(RBC)", "血红蛋白(HGB)", "血小板计数(PLT)"} | {
        "中性粒细胞百分比(NEUT%)"
    }
    flags = []
    for item in included:
        Observation.model_validate(item)
        value = item["valueQuantity"]["value"]
        low, high = (
            item["referenceRange"][0]["low"]["value"],
            item["referenceRange"][0]["high"]["value"],
        )
        flag = item["interpretation"][0]["coding"][0]["code"]
        assert flag == ("H" if value > high else "L" if value < low else "N")
        flags.append(flag)
        assert http.get(f"/fhir/xiangya/Observation/{item['id']}").json() == item
    assert set(flags) - {"N"}
    assert lab["category"][0]["coding"][0]["code"] == "LAB" and lab["code"]["text"] == "血常规"
    assert ct["category"][0]["coding"][0]["code"] == "RAD" and ct["conclusion"]
    assert "result" not in ct
    assert http.get(f"/fhir/xiangya/DiagnosticReport/{ct['id']}").json() == ct
    only_lab = bundle(http, "/fhir/xiangya/DiagnosticReport", category="LAB")
    assert [r["id"] for r in matches(only_lab)] == [lab["id"]]
    without = bundle(
        http, "/fhir/xiangya/DiagnosticReport", **{"subject:identifier": f"{PATIENT}|p-1"}
    )
    assert all(e["search"]["mode"] == "match" for e in without["entry"])


# --- bills ------------------------------------------------------------------------------------


def _pay(http: httpx.Client, bill: dict[str, Any], payment: str = "pay-1") -> httpx.Response:
    body = {**bill, "status": "balanced", "paymentTerms": f"mychangsha-payment:{payment}"}
    return http.put(f"/fhir/xiangya/Invoice/{bill['id']}", json=body)


def test_balancing_a_bill_is_idempotent(http: httpx.Client) -> None:
    bill = http.post(
        "/__admin/hospitals/xiangya/invoices",
        json={"patientId": "p-1", "description": "血常规检查费", "amountFen": 2550},
    ).json()
    Invoice.model_validate(bill)
    assert bill["totalGross"] == {"value": 25.5, "currency": "CNY"}
    assert bill["identifier"][0]["value"].startswith("XIANGYA20250514")
    paid = _pay(http, bill)
    assert paid.status_code == 200 and paid.json()["status"] == "balanced"
    assert paid.json()["paymentTerms"] == "mychangsha-payment:pay-1"
    again = _pay(http, bill, "pay-2")  # a duplicate notification
    assert again.status_code == 200 and again.json() == paid.json()
    unpaid = bundle(
        http, "/fhir/xiangya/Invoice", status="issued", **{"subject:identifier": f"{PATIENT}|p-1"}
    )
    assert unpaid["total"] == 0
    no_terms = {**bill, "status": "balanced"}
    other = http.post(
        "/__admin/hospitals/xiangya/invoices",
        json={"patientId": "p-1", "description": "药费", "amountFen": 1000},
    ).json()
    put = http.put(f"/fhir/xiangya/Invoice/{other['id']}", json={**no_terms, "id": other["id"]})
    assert outcome_code(put, 400) == "invalid"


def test_a_cancelled_bill_cannot_be_balanced(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    booked = _book(http, slot["id"], "p-1", "k").json()
    _cancel(http, booked).raise_for_status()
    bill = matches(
        bundle(http, "/fhir/xiangya/Invoice", **{"subject:identifier": f"{PATIENT}|p-1"})
    )[0]
    assert outcome_code(_pay(http, bill), 422) == "business-rule"


def test_reset_forgets_every_booking(http: httpx.Client) -> None:
    slot = free_slot(http, "xiangya", TOMORROW)
    _book(http, slot["id"], "p-1", "k").raise_for_status()
    _capacity(http, slot["id"], 1)
    http.post("/__admin/reset").raise_for_status()
    assert _appointments(http) == []
    after = http.get(f"/fhir/xiangya/Slot/{slot['id']}").json()
    assert after == slot
    assert bundle(http, "/fhir/xiangya/Invoice")["total"] == 0
