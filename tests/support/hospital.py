"""Helpers for tests of the hospital FHIR simulator: a settable clock, FHIR parsing, booking."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fhir.resources.R4B.bundle import Bundle

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_10 = datetime(2025, 5, 14, 10, 0, tzinfo=SHANGHAI)
PATIENT = "urn:mychangsha:patient"
BOOKING = "urn:mychangsha:booking"
EXT = "http://mychangsha.cn/fhir/StructureDefinition/"


def bundle(http: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    """GET a search, assert a valid R4B searchset, return its JSON."""
    response = http.get(path, params=params or None)  # {} would drop a next link's query
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    body: dict[str, Any] = response.json()
    parsed = Bundle.model_validate(body)
    assert parsed.type == "searchset"
    return body


def matches(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The resources of a searchset's match entries."""
    return [e["resource"] for e in body.get("entry", []) if e["search"]["mode"] == "match"]


def walk(http: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every match of a search, following `next` links to the end."""
    body = bundle(http, path, **params)
    found = matches(body)
    for _ in range(1000):
        link = next((li["url"] for li in body["link"] if li["relation"] == "next"), None)
        if link is None:
            assert len(found) == body["total"]
            return found
        body = bundle(http, link)
        found += matches(body)
    raise AssertionError("next links never ended")


def extension(resource: dict[str, Any], name: str) -> Any:
    """The value of one of our extensions (by its last URL segment)."""
    for item in resource.get("extension", []):
        if item["url"] == EXT + name:
            return next(value for key, value in item.items() if key.startswith("value"))
    raise KeyError(name)


def day_range(day: date) -> dict[str, list[str]]:
    """`start` parameters covering one local day."""
    after = day + timedelta(days=1)
    return {"start": [f"ge{day.isoformat()}", f"lt{after.isoformat()}"]}


def free_slot(http: httpx.Client, code: str, day: date) -> dict[str, Any]:
    """The first free slot of a hospital on a day."""
    body = bundle(http, f"/fhir/{code}/Slot", status="free", _count=1, **day_range(day))
    found = matches(body)
    assert found, f"no free slot at {code} on {day}"
    return found[0]


def appointment(slot_id: str, patient: str, key: str | None, name: str = "张三") -> dict[str, Any]:
    """The Appointment the graph POSTs to book a slot."""
    body: dict[str, Any] = {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [
            {
                "actor": {"identifier": {"system": PATIENT, "value": patient}, "display": name},
                "status": "accepted",
            }
        ],
    }
    if key is not None:
        body["identifier"] = [{"system": BOOKING, "value": key}]
    return body


def condition(key: str) -> dict[str, str]:
    """The conditional-create header for a booking key."""
    return {"If-None-Exist": f"identifier={BOOKING}|{key}"}


def outcome_code(response: httpx.Response, status: int) -> str:
    """Assert an OperationOutcome with this status; return its issue code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return str(body["issue"][0]["code"])
