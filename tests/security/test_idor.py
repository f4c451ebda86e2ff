"""No citizen reads another's records through `node(id:)`: every Node type, found in the schema.

Citizen A gets one record of every personal Node type through the real journeys (family,
booking, which brings a report and a bill, tickets, an application whose status change
lands in the inbox). Citizen B, and someone signed out, then ask `node(id:)` for each of
them: an error coded FORBIDDEN or NOT_FOUND (UNAUTHENTICATED when signed out), never data.
A asking the same ids gets them, so a refusal is never just a wrong id.

The Node types come from the running schema: a new one fails this suite until it is listed
here, as personal (with a journey making one) or as public catalogue data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.hospital_journey import book_tomorrow, wait_until
from tests.api.identity_client import Device, error_codes, verified_device
from tests.api.test_government import _bundle, _good_files, _submit
from tests.api.ticket_journey import MUSEUM, add_child, open_day, reserve, slots
from tests.conftest import GraphClient, SimulatorAdmin

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

PUBLIC_CATALOGUE = frozenset(
    {"Hospital", "Department", "Doctor", "Slot", "GovService", "GovBundle", "Attraction", "Event"}
)
"""Node types anyone may read: the mirrored catalogues and open slots, nobody's records."""

PERSONAL = (
    "Citizen",
    "FamilyMember",
    "Appointment",
    "Report",
    "Bill",
    "TicketOrder",
    "Application",
    "Notification",
)
"""Node types holding someone's data; the `owner` fixture makes one of each."""

NODE = """query($id: ID!) { node(id: $id) { __typename id
  ... on Citizen { citizenName: name maskedPhone }
  ... on FamilyMember { memberName: name maskedIdNumber }
  ... on Appointment { patientName start }
  ... on Report { reportName: name conclusion }
  ... on Bill { totalFen number }
  ... on TicketOrder { amountFen tickets { visitorName } }
  ... on Application { applicationNumber: number applicationStatus: status }
  ... on Notification { title body }
} }"""
"""Each type's personal fields, so a leak would show in the answer."""

NODE_TYPES = '{ __type(name: "Node") { possibleTypes { name } } }'
MY_REPORTS = "query($p: ID!) { myReports(patientId: $p) { edges { node { id } } } }"
MY_BILLS = "{ myBills { id } }"
INBOX = "{ notifications(first: 20) { edges { node { id kind } } } }"


def _only(body: dict[str, Any], *path: str) -> Any:
    """The value at `path` of an answer that has no errors."""
    assert "errors" not in body, body
    found: Any = body["data"]
    for key in path:
        found = found[key]
    return found


def _report(device: Device, me: dict[str, Any]) -> str:
    edges = _only(device.post(MY_REPORTS, {"p": me["id"]}), "myReports", "edges")
    assert edges, "a booking brings a lab report"
    return str(edges[0]["node"]["id"])


def _bill(device: Device) -> str:
    bills = _only(device.post(MY_BILLS), "myBills")
    assert bills, "a booking brings a registration bill"
    return str(bills[0]["id"])


def _ticket_order(device: Device, me: dict[str, Any]) -> str:
    day = open_day(device, after=5)
    slot = next(s for s in slots(device, MUSEUM, day) if s["available"] and s["remaining"])
    order = reserve(device, MUSEUM, slot, [me["id"]], uuid.uuid4().hex)
    assert order["__typename"] == "TicketOrder", order
    return str(order["id"])


def _application_and_its_notification(
    device: Device, government: SimulatorAdmin
) -> tuple[str, str]:
    bundle = _bundle(device)
    response = _submit(device, bundle, _good_files(bundle))
    application = response.json()["data"]["applicationSubmit"]
    assert application["__typename"] == "Application", application
    government.http.post(
        f"/__admin/applications/{application['number']}/advance", json={"to": "accepted"}
    ).raise_for_status()

    def status_notification() -> str | None:
        edges = _only(device.post(INBOX), "notifications", "edges")
        kinds = [e["node"] for e in edges if e["node"]["kind"] == "APPLICATION_STATUS"]
        return str(kinds[0]["id"]) if kinds else None

    return str(application["id"]), wait_until(status_notification)


@pytest.fixture(scope="module")
def owner(
    graph_url: str,
    sms_simulator: SimulatorAdmin,
    realname_simulator: SimulatorAdmin,
    government_simulator: SimulatorAdmin,
) -> Iterator[tuple[Device, dict[str, str]]]:
    """Citizen A and one record of each personal Node type, by type name."""
    device, me = verified_device(graph_url, sms_simulator.base_url, realname_simulator.base_url)
    try:
        records = {"Citizen": str(me["id"]), "FamilyMember": add_child(device)}
        records["Appointment"] = str(book_tomorrow(device)["id"])
        records["Report"] = _report(device, me)
        records["Bill"] = _bill(device)
        records["TicketOrder"] = _ticket_order(device, me)
        application, notification = _application_and_its_notification(device, government_simulator)
        records["Application"], records["Notification"] = application, notification
        yield device, records
    finally:
        device.close()


@pytest.fixture(scope="module")
def stranger(
    graph_url: str, sms_simulator: SimulatorAdmin, realname_simulator: SimulatorAdmin
) -> Iterator[Device]:
    """Citizen B: real-name verified too, so only ownership stands between B and A's data."""
    device, _ = verified_device(graph_url, sms_simulator.base_url, realname_simulator.base_url)
    yield device
    device.close()


def test_every_node_type_is_either_personal_or_public(graph: GraphClient) -> None:
    possible = _only(graph.execute(NODE_TYPES), "__type", "possibleTypes")
    in_schema = {t["name"] for t in possible}
    unlisted = in_schema - PUBLIC_CATALOGUE - set(PERSONAL)
    assert not unlisted, (
        f"Node types {sorted(unlisted)} are not covered: give each a journey in `owner` and "
        "list it in PERSONAL, or, if anyone may read it, in PUBLIC_CATALOGUE"
    )
    assert in_schema >= PUBLIC_CATALOGUE | set(PERSONAL), "a listed type left the schema"


def _assert_nothing_of(body: dict[str, Any], allowed: set[str]) -> None:
    """Refused with one of the allowed codes, and `node` carries nothing."""
    codes = error_codes(body)
    assert codes and set(codes) <= allowed, body
    assert body.get("data") in (None, {"node": None}), body


@pytest.mark.parametrize("type_name", PERSONAL)
def test_the_owner_reads_their_record(owner: tuple[Device, dict[str, str]], type_name: str) -> None:
    device, records = owner
    node = _only(device.post(NODE, {"id": records[type_name]}), "node")
    assert node["__typename"] == type_name and node["id"] == records[type_name]


@pytest.mark.parametrize("type_name", PERSONAL)
def test_another_citizen_reads_nothing(
    owner: tuple[Device, dict[str, str]], stranger: Device, type_name: str
) -> None:
    _, records = owner
    _assert_nothing_of(stranger.post(NODE, {"id": records[type_name]}), {"FORBIDDEN", "NOT_FOUND"})


@pytest.mark.parametrize("type_name", PERSONAL)
def test_someone_signed_out_reads_nothing(
    owner: tuple[Device, dict[str, str]], graph: GraphClient, type_name: str
) -> None:
    _, records = owner
    body = graph.execute(NODE, {"id": records[type_name]})
    _assert_nothing_of(body, {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"})
