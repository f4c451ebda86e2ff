"""A visitor's ticket journey over real HTTP: find slots, reserve, read tickets back."""

from __future__ import annotations

from datetime import date
from typing import Any

from tests.api.booking_calendar import Poster, ask, booking_days, pick
from tests.api.hospital_journey import encode_id
from tests.api.identity_client import Device, valid_id_number

MUSEUM = "att-hunan-museum"  # free, reservation required, closed on Mondays
ORANGE_ISLE = "att-orange-isle"  # free entry, paid sightseeing train
PAVILION = "att-aiwan-pavilion"  # free walk-in: no slots

SLOTS = """
query($id: ID!, $date: Date!) { attraction(id: $id) { name
  ticketSlots(date: $date) { id ticketTypeId ticketName date start end priceFen quota remaining
    available } } }"""

RESERVE = """
mutation($attraction: ID!, $slot: ID!, $visitors: [ID!]!, $key: String!) {
  ticketReserve(input: {attractionId: $attraction, slotId: $slot, visitorIds: $visitors,
                        idempotencyKey: $key}) {
    __typename
    ... on TicketOrder { id status date start end amountFen payBy
      attraction { name } tickets { id visitorId visitorName idNumberMasked qrPayload } }
    ... on QuotaExhausted { remaining }
    ... on VisitorLimitExceeded { maxVisitors }
    ... on VisitorAlreadyBooked { visitorNames }
    ... on VerificationRequired { requiredLevel }
    ... on InvalidInput { field }
    ... on UserError { message }
  } }"""

MY_TICKETS = """
query($status: TicketStatus, $first: Int = 20, $after: String) {
  myTickets(status: $status, first: $first, after: $after) {
    edges { cursor node { id status date start end ticketName amountFen
      attraction { name }
      tickets { id visitorId visitorName idNumberMasked validFrom validUntil qrPayload } } }
    pageInfo { hasNextPage endCursor } } }"""

CANCEL = """
mutation($id: ID!) { ticketCancel(id: $id) { __typename
  ... on TicketOrder { id status tickets { qrPayload } }
  ... on UserError { message } } }"""

PAY = """
mutation($id: ID!) { ticketPay(orderId: $id, channel: WECHAT) { __typename
  ... on PaymentOrder { id amountFen payParams }
  ... on UserError { message } } }"""


def attraction_id(attraction: str) -> str:
    """The global id of an attraction of the catalogue."""
    return encode_id("Attraction", attraction)


def open_days(device: Poster | str, attraction: str = MUSEUM) -> list[date]:
    """The days after today of the attraction's booking window on which it has entry slots.

    One document asks for every day at once (aliases), so the platform is asked in parallel.
    """
    node = attraction_id(attraction)
    days = booking_days(device, node)[1:]
    fields = " ".join(
        f'd{n}: ticketSlots(date: "{day.isoformat()}") {{ id }}' for n, day in enumerate(days)
    )
    query = f"query($id: ID!) {{ attraction(id: $id) {{ {fields} }} }}"
    body = ask(device, query, {"id": node})
    assert "errors" not in body, body
    answers = body["data"]["attraction"]
    return [day for n, day in enumerate(days) if answers[f"d{n}"]]


def open_day(device: Poster | str, attraction: str = MUSEUM, *, after: int = 1) -> date:
    """The `after`-th day after today on which the attraction has slots (wrapping round)."""
    return pick(open_days(device, attraction), after)


def slots(device: Device, attraction: str, day: date) -> list[dict[str, Any]]:
    """An attraction's slots on a day, through the graph."""
    body = device.post(SLOTS, {"id": attraction_id(attraction), "date": day.isoformat()})
    assert "errors" not in body, body
    found: list[dict[str, Any]] = body["data"]["attraction"]["ticketSlots"]
    return found


def slot_at(device: Device, attraction: str, day: date, start: str) -> dict[str, Any]:
    """The first slot of a day starting at a local time."""
    return next(s for s in slots(device, attraction, day) if s["start"] == start)


def reserve(
    device: Device, attraction: str, slot: dict[str, Any], visitors: list[str], key: str
) -> dict[str, Any]:
    """ticketReserve's result (asserts there was no GraphQL error)."""
    body = device.post(
        RESERVE,
        {
            "attraction": attraction_id(attraction),
            "slot": slot["id"],
            "visitors": visitors,
            "key": key,
        },
    )
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["ticketReserve"]
    return result


def add_child(device: Device, name: str = "李小萌") -> str:
    """Add a child to the citizen's family; its global id."""
    body = device.post(
        """mutation($id: String!, $name: String!) { familyMemberAdd(input: {name: $name,
        idNumber: $id, relation: CHILD}) { __typename ... on FamilyMember { id } } }""",
        {"id": valid_id_number("20170503"), "name": name},
    )
    added = body["data"]["familyMemberAdd"]
    assert added["__typename"] == "FamilyMember", body
    return str(added["id"])


def my_tickets(device: Device, status: str | None = None) -> list[dict[str, Any]]:
    """The citizen's ticket orders (first page)."""
    body = device.post(MY_TICKETS, {"status": status})
    assert "errors" not in body, body
    return [edge["node"] for edge in body["data"]["myTickets"]["edges"]]
