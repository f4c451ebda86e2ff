"""Timed-entry tickets over real HTTP: slots, real-name reservations, quotas, QR codes.

The tourism platform simulator owns the quotas; the graph must never turn a race into an
oversold slot, must turn one idempotency key into one order however often it is retried,
and must hand out QR codes a gate can verify with nothing but the published JWKS.
"""

from __future__ import annotations

import base64
import concurrent.futures
import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from mychangsha.auth.ticket_codes import TICKET_TYPE, check_ticket
from tests.api.booking_calendar import booking_days
from tests.api.hospital_journey import decode_id, encode_id, my_id
from tests.api.identity_client import Device, error_codes
from tests.api.ticket_journey import (
    CANCEL,
    MUSEUM,
    ORANGE_ISLE,
    PAVILION,
    PAY,
    add_child,
    attraction_id,
    my_tickets,
    open_day,
    reserve,
    slot_at,
    slots,
)
from tests.conftest import SimulatorAdmin

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar


@pytest.fixture(scope="module")
def jwks(graph_url: str) -> dict[str, Any]:
    """The published keys: all a gate has."""
    document: dict[str, Any] = httpx.get(f"{graph_url}/.well-known/jwks.json").json()
    return document


def _platform_slot(slot: dict[str, Any]) -> str:
    _, node_id = decode_id(slot["id"])
    return node_id.partition("/")[2]


def _set_quota(tourism: SimulatorAdmin, slot: dict[str, Any], quota: int) -> None:
    tourism.http.put(
        f"/__admin/slots/{_platform_slot(slot)}", json={"quota": quota}
    ).raise_for_status()


def _moment(day: str, hhmm: str) -> float:
    return datetime.fromisoformat(f"{day}T{hhmm}:00+08:00").timestamp()


# --- slots ------------------------------------------------------------------------------------


def test_slots_carry_places_and_price(people: Any) -> None:
    device, _ = people()
    day = open_day(device)
    museum = slots(device, MUSEUM, day)
    assert [s["start"] for s in museum][:2] == ["09:00", "10:00"]
    assert all(s["priceFen"] == 0 and s["date"] == day.isoformat() for s in museum)
    assert all(0 < s["remaining"] <= s["quota"] and s["available"] for s in museum)
    train = slots(device, ORANGE_ISLE, day)
    assert train and all(s["priceFen"] == 2000 for s in train)
    assert slots(device, PAVILION, day) == []


def test_slots_outside_the_booking_window_are_refused(people: Any) -> None:
    device, _ = people()
    days = booking_days(device, attraction_id(MUSEUM))
    assert len(days) == 7, days  # today and six days on
    query = "query($id: ID!, $d: Date!) { attraction(id: $id) { ticketSlots(date: $d) { id } } }"
    for outside in (days[0] - timedelta(days=1), days[-1] + timedelta(days=1)):
        body = device.post(query, {"id": attraction_id(MUSEUM), "d": outside.isoformat()})
        assert error_codes(body) == ["BAD_USER_INPUT"], (outside, body)
    inside = device.post(query, {"id": attraction_id(MUSEUM), "d": days[-1].isoformat()})
    assert "errors" not in inside, inside


# --- the journey ------------------------------------------------------------------------------


def test_citizen_and_child_get_two_tickets_with_verifiable_codes(
    people: Any, graph_url: str, jwks: dict[str, Any]
) -> None:
    device, me = people()
    child = add_child(device)
    day = open_day(device)
    slot = slot_at(device, MUSEUM, day, "10:00")
    order = reserve(device, MUSEUM, slot, [me["id"], child], uuid.uuid4().hex)
    assert order["__typename"] == "TicketOrder", order
    assert order["status"] == "CONFIRMED" and order["amountFen"] == 0
    assert order["attraction"]["name"] == "湖南博物院"
    assert (order["date"], order["start"], order["end"]) == (day.isoformat(), "10:00", "11:00")
    tickets = order["tickets"]
    assert {t["visitorId"] for t in tickets} == {me["id"], child}
    assert {t["visitorName"] for t in tickets} == {me["name"], "李小萌"}
    assert all("*" in t["idNumberMasked"] and t["qrPayload"] for t in tickets)

    listed = my_tickets(device)
    assert [o["id"] for o in listed] == [order["id"]]
    assert len(listed[0]["tickets"]) == 2

    inside = _moment(order["date"], "10:05")
    for ticket in listed[0]["tickets"]:
        verdict = check_ticket(ticket["qrPayload"], jwks, now=inside)
        assert verdict.valid_now, verdict
        assert verdict.ticket is not None
        assert verdict.ticket["ticketId"] == ticket["id"]
        assert verdict.ticket["attractionId"] == MUSEUM
        assert verdict.ticket["idNumber"] == ticket["idNumberMasked"]
        assert verdict.ticket["visitor"].startswith(ticket["visitorName"][0])
        assert "*" in verdict.ticket["visitor"]


def test_places_come_back_when_an_order_is_cancelled(people: Any) -> None:
    device, me = people()
    day = open_day(device, after=2)
    before = slot_at(device, MUSEUM, day, "11:00")
    order = reserve(device, MUSEUM, before, [me["id"]], uuid.uuid4().hex)
    assert order["__typename"] == "TicketOrder", order
    assert slot_at(device, MUSEUM, day, "11:00")["remaining"] == before["remaining"] - 1

    cancelled = device.post(CANCEL, {"id": order["id"]})["data"]["ticketCancel"]
    assert cancelled["status"] == "CANCELLED"
    assert all(t["qrPayload"] is None for t in cancelled["tickets"])
    assert slot_at(device, MUSEUM, day, "11:00")["remaining"] == before["remaining"]
    again = device.post(CANCEL, {"id": order["id"]})["data"]["ticketCancel"]
    assert again == cancelled
    assert [o["status"] for o in my_tickets(device, "CANCELLED")] == ["CANCELLED"]
    assert my_tickets(device, "CONFIRMED") == []


# --- refusals ---------------------------------------------------------------------------------


def test_refusals_are_typed(people: Any, graph_url: str, sms_simulator: SimulatorAdmin) -> None:
    device, me = people()
    day = open_day(device, after=3)
    slot = slot_at(device, MUSEUM, day, "13:00")
    strangers = [encode_id("FamilyMember", f"nobody-{n}") for n in range(6)]
    too_many = reserve(device, MUSEUM, slot, strangers, uuid.uuid4().hex)
    assert too_many == {"__typename": "VisitorLimitExceeded", "maxVisitors": 5, **_msg(too_many)}

    someone_else, other = people()
    not_family = reserve(device, MUSEUM, slot, [other["id"]], uuid.uuid4().hex)
    assert not_family["__typename"] == "InvalidInput"
    assert not_family["field"] == "input.visitorIds"

    bad_key = reserve(device, MUSEUM, slot, [me["id"]], "short")
    assert bad_key["__typename"] == "InvalidInput" and bad_key["field"] == "input.idempotencyKey"

    first = reserve(device, MUSEUM, slot, [me["id"]], uuid.uuid4().hex)
    assert first["__typename"] == "TicketOrder", first
    later = slot_at(device, MUSEUM, day, "15:00")
    twice = reserve(device, MUSEUM, later, [me["id"]], uuid.uuid4().hex)
    assert twice["__typename"] == "VisitorAlreadyBooked", twice
    assert twice["visitorNames"] == [me["name"]]

    wrong_attraction = device.post(
        """mutation($a: ID!, $s: ID!, $v: [ID!]!) { ticketReserve(input: {attractionId: $a,
        slotId: $s, visitorIds: $v, idempotencyKey: "abcdefgh12"}) { __typename
        ... on InvalidInput { field } } }""",
        {"a": attraction_id(ORANGE_ISLE), "s": slot["id"], "v": [me["id"]]},
    )["data"]["ticketReserve"]
    assert wrong_attraction == {"__typename": "InvalidInput", "field": "input.slotId"}

    unverified = Device(graph_url, sms_simulator.base_url)
    try:
        unverified.sign_in()
        mine = my_id(unverified)
        refused = reserve(unverified, MUSEUM, slot, [mine], uuid.uuid4().hex)
        assert refused["__typename"] == "VerificationRequired" and refused["requiredLevel"] == 2
    finally:
        unverified.close()

    stranger_cancel = someone_else.post(CANCEL, {"id": first["id"]})
    assert error_codes(stranger_cancel) == ["NOT_FOUND"], stranger_cancel
    stranger_read = someone_else.post(
        "query($id: ID!) { node(id: $id) { id } }", {"id": first["id"]}
    )
    assert error_codes(stranger_read) == ["NOT_FOUND"], stranger_read


def _msg(result: dict[str, Any]) -> dict[str, Any]:
    return {"message": result["message"]} if "message" in result else {}


# --- races ------------------------------------------------------------------------------------


def test_three_hundred_citizens_race_for_thirty_places(
    people: Any, tourism_simulator: SimulatorAdmin
) -> None:
    first, _ = people()
    day = open_day(first, after=4)
    slot = slot_at(first, MUSEUM, day, "14:00")
    _set_quota(tourism_simulator, slot, 30)

    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        racers = list(pool.map(lambda _: people(), range(300)))

    def attempt(n: int) -> dict[str, Any]:
        device, me = racers[n]
        return device.post(
            RACE_RESERVE,
            {
                "attraction": attraction_id(MUSEUM),
                "slot": slot["id"],
                "visitors": [me["id"]],
                "key": uuid.uuid4().hex,
            },
        )

    with concurrent.futures.ThreadPoolExecutor(max_workers=100) as pool:
        bodies = list(pool.map(attempt, range(300)))
    assert all("errors" not in b for b in bodies), [b for b in bodies if "errors" in b][:3]
    kinds = [b["data"]["ticketReserve"]["__typename"] for b in bodies]
    assert kinds.count("TicketOrder") == 30
    assert kinds.count("QuotaExhausted") == 270
    assert slot_at(first, MUSEUM, day, "14:00")["remaining"] == 0
    taken = [
        r
        for r in tourism_simulator.http.get("/__admin/reservations").json()["items"]
        if r["slotId"] == _platform_slot(slot) and r["status"] == "confirmed"
    ]
    assert len(taken) == 30


RACE_RESERVE = """
mutation($attraction: ID!, $slot: ID!, $visitors: [ID!]!, $key: String!) {
  ticketReserve(input: {attractionId: $attraction, slotId: $slot, visitorIds: $visitors,
                        idempotencyKey: $key}) { __typename ... on TicketOrder { id } } }"""


def test_one_key_retried_concurrently_makes_one_order(
    people: Any, tourism_simulator: SimulatorAdmin
) -> None:
    device, me = people()
    day = open_day(device, after=5)
    slot = slot_at(device, MUSEUM, day, "16:00")
    key = uuid.uuid4().hex
    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        results = list(
            pool.map(lambda _: reserve(device, MUSEUM, slot, [me["id"]], key), range(12))
        )
    assert {r["__typename"] for r in results} == {"TicketOrder"}, results
    assert len({r["id"] for r in results}) == 1
    assert [o["id"] for o in my_tickets(device)] == [results[0]["id"]]
    mine = [
        r
        for r in tourism_simulator.http.get("/__admin/reservations").json()["items"]
        if r["slotId"] == _platform_slot(slot) and r["visitors"][0]["ref"] == decode_id(me["id"])[1]
    ]
    assert len(mine) == 1
    other_slot = slot_at(device, MUSEUM, day, "09:00")
    reused = reserve(device, MUSEUM, other_slot, [me["id"]], key)
    assert reused["__typename"] == "InvalidInput" and reused["field"] == "input.idempotencyKey"


# --- paid tickets -----------------------------------------------------------------------------


def test_paid_tickets_go_through_the_payment_gateway(
    people: Any, payment_simulator: SimulatorAdmin, tourism_simulator: SimulatorAdmin
) -> None:
    device, me = people()
    day = open_day(device, ORANGE_ISLE)
    slot = slots(device, ORANGE_ISLE, day)[0]
    order = reserve(device, ORANGE_ISLE, slot, [me["id"]], uuid.uuid4().hex)
    assert order["__typename"] == "TicketOrder", order
    assert order["status"] == "AWAITING_PAYMENT" and order["amountFen"] == 2000
    assert order["payBy"] and order["tickets"][0]["qrPayload"] is None

    payment = device.post(PAY, {"id": order["id"]})["data"]["ticketPay"]
    assert payment["__typename"] == "PaymentOrder" and payment["amountFen"] == 2000, payment
    again = device.post(PAY, {"id": order["id"]})["data"]["ticketPay"]
    assert again == payment
    prepay = str(payment["payParams"]["package"]).removeprefix("prepay_id=")
    paid = payment_simulator.http.post(f"/pay/{prepay}", json={})
    assert paid.status_code == 200, paid.text

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        confirmed = my_tickets(device, "CONFIRMED")
        if confirmed:
            break
        time.sleep(0.2)
    assert [o["id"] for o in confirmed] == [order["id"]]
    assert confirmed[0]["tickets"][0]["qrPayload"]
    platform = [
        r
        for r in tourism_simulator.http.get("/__admin/reservations").json()["items"]
        if r["visitors"][0]["ref"] == decode_id(me["id"])[1]
    ]
    assert [(r["status"], r["transactionId"]) for r in platform] == [
        ("confirmed", paid.json()["transaction_id"])
    ]
    nothing = device.post(PAY, {"id": order["id"]})["data"]["ticketPay"]
    assert nothing["__typename"] == "TicketNothingToPay"


def test_unpaid_orders_expire_and_free_their_places(
    people: Any, tourism_simulator: SimulatorAdmin
) -> None:
    device, me = people()
    day = open_day(device, ORANGE_ISLE, after=2)
    slot = slots(device, ORANGE_ISLE, day)[1]
    tourism_simulator.http.put(
        "/__admin/reservation-settings", json={"holdSeconds": 1}
    ).raise_for_status()
    try:
        order = reserve(device, ORANGE_ISLE, slot, [me["id"]], uuid.uuid4().hex)
    finally:
        tourism_simulator.http.put(
            "/__admin/reservation-settings", json={"holdSeconds": 900}
        ).raise_for_status()
    assert order["status"] == "AWAITING_PAYMENT", order
    time.sleep(1.5)
    assert [o["status"] for o in my_tickets(device)] == ["EXPIRED"]
    assert slot_at(device, ORANGE_ISLE, day, slot["start"])["remaining"] == slot["remaining"]
    refused = device.post(CANCEL, {"id": order["id"]})["data"]["ticketCancel"]
    assert refused["__typename"] == "TicketNotCancellable"


# --- QR codes ---------------------------------------------------------------------------------


def _confirmed_payload(people: Any) -> tuple[str, dict[str, Any]]:
    device, me = people()
    day = open_day(device, after=6)
    order = reserve(
        device, MUSEUM, slot_at(device, MUSEUM, day, "12:00"), [me["id"]], uuid.uuid4().hex
    )
    assert order["__typename"] == "TicketOrder", order
    return str(order["tickets"][0]["qrPayload"]), order


def test_forged_expired_and_early_codes_are_refused(people: Any, jwks: dict[str, Any]) -> None:
    payload, order = _confirmed_payload(people)
    inside = _moment(order["date"], "12:10")
    assert check_ticket(payload, jwks, now=inside).valid_now

    header, body, signature = payload.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["vis"] = "王*"
    forged_body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    tampered = check_ticket(f"{header}.{forged_body}.{signature}", jwks, now=inside)
    assert not tampered.genuine and not tampered.valid_now

    expired = check_ticket(payload, jwks, now=_moment(order["date"], "13:05"))
    assert expired.genuine and not expired.valid_now and expired.reason == "expired"
    early = check_ticket(payload, jwks, now=_moment(order["date"], "11:00"))
    assert early.genuine and not early.valid_now and early.reason == "not valid yet"

    kid = jwt.get_unverified_header(payload)["kid"]
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    for forged_kid in (kid, "unknown-key"):
        forged = jwt.encode(
            claims, stranger_key, algorithm="ES256", headers={"kid": forged_kid, "typ": TICKET_TYPE}
        )
        verdict = check_ticket(forged, jwks, now=inside)
        assert not verdict.genuine and not verdict.valid_now, forged_kid


def test_the_reference_verifier_command(people: Any, graph_url: str) -> None:
    payload, order = _confirmed_payload(people)
    jwks_url = f"{graph_url}/.well-known/jwks.json"

    def verify(token: str, at: str) -> tuple[int, dict[str, Any]]:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "mychangsha",
                "ticket",
                "verify",
                token,
                "--jwks",
                jwks_url,
                "--at",
                at,
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.returncode, json.loads(done.stdout)

    code, report = verify(payload, f"{order['date']}T12:05:00+08:00")
    assert code == 0, report
    assert report["admitted"] and report["ticket"]["attraction"] == "湖南博物院"
    code, report = verify(payload, f"{order['date']}T18:00:00")
    assert (code, report["reason"]) == (2, "expired")
    code, report = verify(payload[:-4] + "AAAA", f"{order['date']}T12:05:00+08:00")
    assert code == 1 and not report["genuine"]
