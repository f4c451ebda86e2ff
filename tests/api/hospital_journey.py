"""A patient's hospital journey over real HTTP: find a hospital, book a slot, poll, decode ids.

The graph asks for reports and bills only the hospitals a patient booked at through the graph,
so tests of medical records and bills book first; every booking makes the hospital simulator
issue a registration Invoice and a LAB report (血常规) for the patient.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

import httpx

from tests.api.booking_calendar import booking_days
from tests.api.identity_client import Device

T = TypeVar("T")

SEARCH = """
query($keyword: String) { hospitals(keyword: $keyword, first: 5) {
  edges { node { id code name } } } }"""

CATALOGUE = """
query($id: ID!, $date: Date!) { hospital(id: $id) { code name departments {
  id name doctors { id name feeFen
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

# A booking that did not take this slot, but another slot may still work.
_TRY_ANOTHER = {"SlotUnavailable", "AppointmentConflict"}


def decode_id(global_id: str) -> tuple[str, str]:
    """A Relay global id's type name and node id (`Report:xiangya/abc` → Report, xiangya/abc)."""
    type_name, _, node_id = base64.b64decode(global_id).decode().partition(":")
    return type_name, node_id


def encode_id(type_name: str, node_id: str) -> str:
    """The Relay global id of a type and node id."""
    return base64.b64encode(f"{type_name}:{node_id}".encode()).decode()


def hospital_ref(global_id: str) -> tuple[str, str]:
    """The hospital code and FHIR id inside the global id of a hospital object."""
    _, node_id = decode_id(global_id)
    code, _, fhir_id = node_id.partition("/")
    return code, fhir_id


def my_id(device: Device) -> str:
    """The signed-in citizen's global id."""
    body = device.post("{ me { id } }")
    assert "errors" not in body, body
    return str(body["data"]["me"]["id"])


def hospital_id(device: Device, keyword: str) -> str:
    """The global id of the best match for a hospital keyword."""
    body = device.post(SEARCH, {"keyword": keyword})
    assert "errors" not in body, body
    edges = body["data"]["hospitals"]["edges"]
    assert edges, f"no hospital for {keyword!r}"
    return str(edges[0]["node"]["id"])


def free_slots(device: Device, hospital: str, day: date) -> list[dict[str, Any]]:
    """Every available slot of a hospital on a day, each with its doctor's id (`doctor`)."""
    body = device.post(CATALOGUE, {"id": hospital, "date": day.isoformat()})
    assert "errors" not in body, body
    found = []
    for department in body["data"]["hospital"]["departments"]:
        for doctor in department["doctors"]:
            for slot in doctor["slots"]:
                if slot["available"] and slot["remaining"] > 0:
                    found.append({**slot, "doctor": doctor["id"]})
    return found


def book(device: Device, slot_id: str, patient_id: str, key: str | None = None) -> dict[str, Any]:
    """appointmentBook's result (asserting the request itself had no errors)."""
    body = device.post(
        BOOK, {"slot": slot_id, "patient": patient_id, "key": key or uuid.uuid4().hex}
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["appointmentBook"]
    return result


def book_tomorrow(
    device: Device,
    hospital_keyword: str = "湘雅",
    patient_id: str | None = None,
    *,
    days: int = 6,
    first_day: int = 1,
    max_attempts: int = 20,
) -> dict[str, Any]:
    """Book the first free slot from tomorrow on (up to `days` more days) for a patient.

    `patient_id` defaults to the signed-in citizen. `first_day` is the first day tried, in
    days from today: 2 keeps clear of tomorrow's 18:00 cancellation cut-off, for tests that
    cancel. Answers the Appointment with two more keys: `slot` (the slot booked, with
    `doctor` and `feeFen`) and `hospitalCode`. A slot taken meanwhile, or a doctor this
    patient already sees that day, moves on to the next slot.
    """
    patient = patient_id or my_id(device)
    hospital = hospital_id(device, hospital_keyword)
    code = decode_id(hospital)[1]
    outcomes: list[str] = []
    # Only days the graph publishes for this hospital: never past its booking window.
    for day in booking_days(device, hospital)[first_day : first_day + days + 1]:
        for slot in free_slots(device, hospital, day):
            result = book(device, slot["id"], patient)
            if result["__typename"] == "Appointment":
                return {**result, "slot": slot, "hospitalCode": code}
            assert result["__typename"] in _TRY_ANOTHER, result
            outcomes.append(result["__typename"])
            if len(outcomes) >= max_attempts:
                raise AssertionError(f"no booking at {hospital_keyword}: {outcomes}")
    raise AssertionError(f"no free slot at {hospital_keyword} within {days} days: {outcomes}")


def post_raw(
    device: Device,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.Response:
    """POST a document as this device with extra headers (e.g. `x-request-id`); the response."""
    sent = {"x-forwarded-for": device.ip}
    if device.access_token:
        sent["authorization"] = f"Bearer {device.access_token}"
    sent.update(headers or {})
    return device.http.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=sent
    )


def wait_until(check: Callable[[], T | None], *, timeout: float = 10.0, interval: float = 0.1) -> T:
    """Call `check` until it answers something other than None (or fail after `timeout`)."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found is not None:
            return found
        if time.monotonic() >= deadline:
            raise AssertionError(f"not within {timeout}s")
        time.sleep(interval)
