"""The home screen over real HTTP: every to-do in one round trip, each upstream asked once,
and a slow hospital costing only its own sections within the time budget."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.booking_calendar import graph_today
from tests.api.hospital_journey import book_tomorrow
from tests.api.identity_client import Device, verified_device
from tests.api.test_government import _bundle, _good_files, _submit
from tests.api.ticket_journey import MUSEUM, attraction_id, reserve, slots
from tests.conftest import SimulatorAdmin

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

HOME = """
query($near: GeoPointInput) { home {
  unreadNotifications
  billsToPay { id totalFen status }
  appointmentsToday { id start }
  applicationsNeedingSupplement { id status }
  ticketsToday { id date start }
  notices { id title publishedAt }
  recommendedAttractions(near: $near, first: 3) { id name crowdLevel }
} }"""

NEAR_ORANGE_ISLE = {"lat": 28.174, "lng": 112.959}


@pytest.fixture
def citizen(
    graph_url: str,
    sms_simulator: SimulatorAdmin,
    realname_simulator: SimulatorAdmin,
    hospital_simulator: SimulatorAdmin,
    government_simulator: SimulatorAdmin,
    tourism_simulator: SimulatorAdmin,
) -> Iterator[tuple[Device, dict[str, Any]]]:
    device, me = verified_device(graph_url, sms_simulator.base_url, realname_simulator.base_url)
    yield device, me
    device.close()


def _appointment_today_if_any(device: Device) -> dict[str, Any] | None:
    """Book today when a slot is still free today, else tomorrow (the bill comes either way)."""
    try:
        return book_tomorrow(device, first_day=0, days=0)
    except AssertionError:
        book_tomorrow(device)
        return None


def _ticket_today_if_any(device: Device, me: dict[str, Any]) -> dict[str, Any] | None:
    """A free museum ticket for today when it is open and has a slot left, else nothing."""
    for slot in slots(device, MUSEUM, graph_today(device, attraction_id(MUSEUM))):
        if slot["remaining"] > 0:
            order = reserve(device, MUSEUM, slot, [me["id"]], uuid.uuid4().hex)
            assert order["__typename"] == "TicketOrder", order
            return order
    return None


def _needing_supplement(device: Device, government: SimulatorAdmin) -> str:
    bundle = _bundle(device)
    application = _submit(device, bundle, _good_files(bundle)).json()["data"]["applicationSubmit"]
    _advance_to_needs_supplement(device, government, application)
    return str(application["id"])


def _advance_to_needs_supplement(
    device: Device, government: SimulatorAdmin, application: dict[str, Any]
) -> None:
    """The platform asks for more materials; returns once the graph has heard of it."""
    government.http.post(
        f"/__admin/applications/{application['number']}/advance", json={"to": "needs_supplement"}
    ).raise_for_status()
    query = "query($id: ID!) { application(id: $id) { status } }"
    deadline = time.monotonic() + 15
    while device.post(query, {"id": application["id"]})["data"]["application"]["status"] != (
        "NEEDS_SUPPLEMENT"
    ):
        assert time.monotonic() < deadline, "the platform's change never arrived"
        time.sleep(0.3)


def test_every_to_do_in_one_round_trip_each_upstream_once(
    citizen: tuple[Device, dict[str, Any]],
    hospital_simulator: SimulatorAdmin,
    government_simulator: SimulatorAdmin,
    tourism_simulator: SimulatorAdmin,
) -> None:
    device, me = citizen
    appointment = _appointment_today_if_any(device)
    application_id = _needing_supplement(device, government_simulator)
    ticket = _ticket_today_if_any(device, me)

    before = {
        "hospital": hospital_simulator.counters(),
        "government": government_simulator.counters(),
        "tourism": tourism_simulator.counters(),
    }
    body = device.post(HOME, {"near": NEAR_ORANGE_ISLE})
    assert "errors" not in body, body
    home = body["data"]["home"]

    assert [b["status"] for b in home["billsToPay"]] == ["UNPAID"]
    # the supplement request arrived as a notification (with the earlier status changes)
    assert home["unreadNotifications"] >= 1
    expected_today = [] if appointment is None else [appointment["id"]]
    assert [a["id"] for a in home["appointmentsToday"]] == expected_today
    assert [a["id"] for a in home["applicationsNeedingSupplement"]] == [application_id]
    assert [t["id"] for t in home["ticketsToday"]] == ([] if ticket is None else [ticket["id"]])
    assert home["notices"] and all(n["title"] for n in home["notices"])
    recommended = home["recommendedAttractions"]
    assert len(recommended) == 3 and all(a["crowdLevel"] for a in recommended)
    ranks = {"COMFORTABLE": 0, "BUSY": 1, "CROWDED": 2}
    levels = [ranks[a["crowdLevel"]] for a in recommended]
    assert levels == sorted(levels)

    def delta(name: str, simulator: SimulatorAdmin) -> dict[str, int]:
        after = simulator.counters()
        return {
            route: count - before[name].get(route, 0)
            for route, count in after.items()
            if count != before[name].get(route, 0)
        }

    hospital_calls = delta("hospital", hospital_simulator)
    assert hospital_calls and all(count == 1 for count in hospital_calls.values()), hospital_calls
    government_calls = delta("government", government_simulator)
    assert all(count <= 1 for count in government_calls.values()), government_calls
    tourism_calls = delta("tourism", tourism_simulator)
    assert all(count <= 1 for count in tourism_calls.values()), tourism_calls


def test_a_slow_hospital_costs_only_its_sections_within_the_budget(
    citizen: tuple[Device, dict[str, Any]], hospital_simulator: SimulatorAdmin
) -> None:
    device, _ = citizen
    book_tomorrow(device)
    hospital_simulator.set_faults(latencyMs=3000)
    try:
        started = time.monotonic()
        body = device.post(HOME, {"near": NEAR_ORANGE_ISLE})
        elapsed = time.monotonic() - started
    finally:
        hospital_simulator.set_faults()
    home = body["data"]["home"]
    assert home["billsToPay"] is None
    failed = {tuple(e["path"]): e["extensions"]["code"] for e in body["errors"]}
    assert failed == {("home", "billsToPay"): "UPSTREAM_TIMEOUT"}, body["errors"]
    # nothing is booked for today, so no hospital needs asking: the slow one costs nothing here
    assert home["appointmentsToday"] == []
    assert home["notices"] and home["recommendedAttractions"]
    assert home["applicationsNeedingSupplement"] == [] and home["ticketsToday"] == []
    assert elapsed < 2.5, elapsed  # the budget (0.8 s) plus the test machine's slack


def test_signed_out_sees_public_sections_only(graph_url: str) -> None:
    device = Device(graph_url, "http://unused")
    try:
        body = device.post(HOME, {"near": None})
    finally:
        device.close()
    assert "errors" not in body, body
    home = body["data"]["home"]
    personal = (
        "billsToPay",
        "appointmentsToday",
        "applicationsNeedingSupplement",
        "ticketsToday",
        "unreadNotifications",
    )
    assert all(home[section] is None for section in personal)
    assert home["notices"] and len(home["recommendedAttractions"]) == 3


def _home(device: Device) -> tuple[dict[str, Any], str | None]:
    """The home screen and how it was answered (`hit` from the response cache, or `miss`)."""
    response = device.http.post(
        "/graphql",
        json={"query": HOME, "variables": {"near": NEAR_ORANGE_ISLE}},
        headers={"authorization": f"Bearer {device.access_token}", "x-forwarded-for": device.ip},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]["home"], response.headers.get("x-mychangsha-cache")


def test_the_home_screen_is_kept_for_its_citizen_until_their_data_changes(
    citizen: tuple[Device, dict[str, Any]], government_simulator: SimulatorAdmin
) -> None:
    device, _ = citizen
    bundle = _bundle(device)
    application = _submit(device, bundle, _good_files(bundle)).json()["data"]["applicationSubmit"]
    first, how = _home(device)
    assert how == "miss"
    again, how = _home(device)
    assert (again, how) == (first, "hit")
    assert first["applicationsNeedingSupplement"] == []

    # The platform moves the application (a webhook, not the citizen's own request): the kept
    # answer ends at once rather than when its ten seconds are over.
    _advance_to_needs_supplement(device, government_simulator, application)
    changed, how = _home(device)
    assert how == "miss"
    assert [a["id"] for a in changed["applicationsNeedingSupplement"]] == [application["id"]]
    assert changed["unreadNotifications"] > first["unreadNotifications"]
