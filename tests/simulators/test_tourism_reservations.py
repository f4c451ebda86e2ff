"""Slots, quotas and real-name reservations of the tourism simulator, over real HTTP."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from mychangsha.simulators.realname.data import check_character
from mychangsha.simulators.tourism import create_app
from mychangsha.simulators.tourism.reservations import mask_id_number, valid_id_number
from tests.support.clock import MutableClock
from tests.support.servers import serve_in_thread

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEDNESDAY_11 = datetime(2025, 5, 14, 11, 0, tzinfo=SHANGHAI)
TODAY = "2025-05-14"
TOMORROW = "2025-05-15"
MONDAY = "2025-05-19"
LAST_DAY = "2025-05-20"  # today + 6
MUSEUM = "att-hunan-museum"  # free, reservation required, 09:00–17:00 Tue–Sun, capacity 6000
MUSEUM_TICKET = "att-hunan-museum-free"
ACADEMY = "att-yuelu-academy"  # 4000 fen, 08:00–18:00 daily, capacity 3000
ACADEMY_TICKET = "att-yuelu-academy-adult"
ACADEMY_PRICE = 4000


@pytest.fixture(scope="module")
def clock() -> MutableClock:
    return MutableClock(WEDNESDAY_11)


@pytest.fixture(scope="module")
def base_url(clock: MutableClock) -> Iterator[str]:
    with serve_in_thread(create_app(clock=clock)) as url:
        yield url


@pytest.fixture
def http(base_url: str, clock: MutableClock) -> Iterator[httpx.Client]:
    """A client of the simulator, reset and at Wednesday 11:00 before each test."""
    clock.current = WEDNESDAY_11
    with httpx.Client(base_url=base_url, timeout=10) as client:
        client.post("/__admin/reset").raise_for_status()
        yield client


def id_number(n: int) -> str:
    """A distinct valid ID number for every n below 50 000 (born 1970–2019 in 岳麓区)."""
    first17 = f"430104{1970 + n // 1000}0101{n % 1000:03d}"
    return first17 + check_character(first17)


def visitors(*numbers: int) -> list[dict[str, str]]:
    return [{"ref": f"v{n}", "name": f"游客{n}", "idNumber": id_number(n)} for n in numbers]


def slot_id(ticket: str, day: str, start: str) -> str:
    return f"{ticket}@{day}T{start}"


def reserve(
    http: httpx.Client, slot: str, people: list[dict[str, str]], key: str | None = None
) -> httpx.Response:
    if key is None:
        key = f"key-{slot}-{'-'.join(p['idNumber'] for p in people)}"
    return http.post(
        "/v1/reservations",
        json={"slotId": slot, "visitors": people},
        headers={"Idempotency-Key": key},
    )


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    detail: dict[str, Any] = response.json()["error"]
    assert detail["code"] == code
    return detail


def slots(http: httpx.Client, attraction: str, day: str) -> dict[str, dict[str, Any]]:
    body = http.get(f"/v1/attractions/{attraction}/slots", params={"date": day})
    assert body.status_code == 200, body.text
    listing: dict[str, Any] = body.json()
    assert (listing["attractionId"], listing["date"]) == (attraction, day)
    return {item["id"]: item for item in listing["items"]}


def one_slot(http: httpx.Client, slot: str) -> dict[str, Any]:
    ticket, _, rest = slot.partition("@")
    attraction = MUSEUM if ticket == MUSEUM_TICKET else ACADEMY
    return slots(http, attraction, rest[:10])[slot]


# --- slots ------------------------------------------------------------------------------------


def test_hourly_slots_from_opening_with_default_quotas(http: httpx.Client) -> None:
    listed = slots(http, MUSEUM, TOMORROW)
    starts = [item["start"] for item in listed.values()]
    assert starts == [f"{h:02d}:00" for h in range(9, 17)]
    first = listed[slot_id(MUSEUM_TICKET, TOMORROW, "09:00")]
    assert first == {
        "id": "att-hunan-museum-free@2025-05-15T09:00",
        "ticketTypeId": MUSEUM_TICKET,
        "ticketName": "免费预约参观",
        "date": TOMORROW,
        "start": "09:00",
        "end": "10:00",
        "priceFen": 0,
        "quota": 938,  # ceil(1.25 × 6000 / 8)
        "remaining": 938,
        "dailyQuota": 6000,
        "dailyRemaining": 6000,
    }
    academy = slots(http, ACADEMY, TOMORROW)
    assert len(academy) == 10
    assert {(s["quota"], s["priceFen"]) for s in academy.values()} == {(375, ACADEMY_PRICE)}


def test_ended_slots_of_today_are_omitted(http: httpx.Client, clock: MutableClock) -> None:
    starts = [s["start"] for s in slots(http, MUSEUM, TODAY).values()]
    assert starts == ["11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]  # 10:00 ended at 11
    clock.current = WEDNESDAY_11 + timedelta(minutes=59)
    assert next(iter(slots(http, MUSEUM, TODAY).values()))["start"] == "11:00"
    clock.current = WEDNESDAY_11.replace(hour=17)
    assert slots(http, MUSEUM, TODAY) == {}


def test_closed_days_and_free_walk_in_tickets_have_no_slots(http: httpx.Client) -> None:
    assert slots(http, MUSEUM, MONDAY) == {}  # 湖南博物院 is closed on Mondays
    assert len(slots(http, ACADEMY, MONDAY)) == 10
    assert slots(http, "att-aiwan-pavilion", TOMORROW) == {}  # free, no reservation
    yuelushan = slots(http, "att-yuelushan", TOMORROW)  # free entry, paid shuttle
    assert {s["ticketTypeId"] for s in yuelushan.values()} == {"att-yuelushan-shuttle"}
    assert [s["start"] for s in yuelushan.values()][::16] == ["06:00", "22:00"]


def test_half_hour_openings_and_round_the_clock_places(http: httpx.Client) -> None:
    window = slots(http, "att-window-of-the-world", TOMORROW)
    adult = [s for s in window.values() if s["ticketTypeId"].endswith("adult")]
    assert [s["start"] for s in adult] == [f"{h:02d}:30" for h in range(9, 17)]
    assert adult[-1]["end"] == "17:30" and adult[0]["quota"] == 2344  # ceil(1.25 × 15000 / 8)
    paid = [
        {
            "id": "att-songya-lake-boat",
            "name": "游船",
            "priceFen": 3000,
            "reservationRequired": False,
        }
    ]
    http.put("/__admin/attractions/att-songya-lake", json={"tickets": paid}).raise_for_status()
    all_day = [s["start"] for s in slots(http, "att-songya-lake", TOMORROW).values()]
    assert all_day == [f"{h:02d}:00" for h in range(8, 23)]
    night = [{"days": "Mon-Sun", "open": "20:00", "close": "02:00"}]
    http.put("/__admin/attractions/att-songya-lake", json={"openingHours": night})
    late = [s["start"] for s in slots(http, "att-songya-lake", TOMORROW).values()]
    assert late == ["20:00", "21:00", "22:00"]


def test_the_booking_window_is_today_and_six_days(http: httpx.Client) -> None:
    assert slots(http, ACADEMY, LAST_DAY)
    for day in ("2025-05-13", "2025-05-21", "2026-05-14"):
        response = http.get(f"/v1/attractions/{ACADEMY}/slots", params={"date": day})
        error(response, 422, "DATE_NOT_BOOKABLE")
    for params in ({}, {"date": "2025-5-15"}, {"date": "2025-02-30"}, {"date": "tomorrow"}):
        error(http.get(f"/v1/attractions/{ACADEMY}/slots", params=params), 400, "BAD_REQUEST")
    error(
        http.get("/v1/attractions/att-nowhere/slots", params={"date": TOMORROW}), 404, "NOT_FOUND"
    )


# --- reservations -----------------------------------------------------------------------------


def test_a_free_reservation_is_confirmed_at_once(http: httpx.Client) -> None:
    slot = slot_id(MUSEUM_TICKET, TOMORROW, "10:00")
    response = reserve(http, slot, visitors(1, 2))
    body = created(response)
    assert response.headers["location"] == f"/v1/reservations/{body['id']}"
    assert body["id"].startswith("RSV") and body["status"] == "confirmed"
    assert {key: body[key] for key in ("attractionId", "slotId", "date", "start", "end")} == {
        "attractionId": MUSEUM,
        "slotId": slot,
        "date": TOMORROW,
        "start": "10:00",
        "end": "11:00",
    }
    assert (body["unitPriceFen"], body["amountFen"], body["payBy"]) == (0, 0, None)
    assert body["createdAt"] == "2025-05-14T11:00:00+08:00"
    assert [v["idNumberMasked"] for v in body["visitors"]] == [
        id_number(n)[:6] + "********" + id_number(n)[-4:] for n in (1, 2)
    ]
    assert all(v["ticketId"].startswith("TKT") for v in body["visitors"])
    assert len({v["ticketId"] for v in body["visitors"]}) == 2
    assert [(v["ref"], v["name"]) for v in body["visitors"]] == [("v1", "游客1"), ("v2", "游客2")]
    assert id_number(1) not in response.text
    assert http.get(f"/v1/reservations/{body['id']}").json() == body
    assert http.get("/__admin/reservations").json() == {"items": [body]}
    after = one_slot(http, slot)
    assert (after["remaining"], after["dailyRemaining"]) == (936, 5998)
    error(
        http.post(
            f"/v1/reservations/{body['id']}/payment", json={"transactionId": "T", "amountFen": 0}
        ),
        409,
        "NOT_PAYABLE",
    )


def test_a_paid_reservation_waits_for_payment_then_is_confirmed(
    http: httpx.Client, clock: MutableClock
) -> None:
    body = created(reserve(http, slot_id(ACADEMY_TICKET, TOMORROW, "10:00"), visitors(1, 2)))
    assert (body["status"], body["unitPriceFen"], body["amountFen"]) == (
        "awaiting_payment",
        ACADEMY_PRICE,
        2 * ACADEMY_PRICE,
    )
    assert body["payBy"] == "2025-05-14T11:15:00+08:00"
    pay = f"/v1/reservations/{body['id']}/payment"
    error(http.post(pay, json={"transactionId": "TX1", "amountFen": 4000}), 422, "AMOUNT_MISMATCH")
    error(http.post(pay, json={"transactionId": "TX1"}), 400, "BAD_REQUEST")
    clock.current += timedelta(minutes=5)
    paid = http.post(pay, json={"transactionId": "TX1", "amountFen": 8000})
    assert paid.status_code == 200, paid.text
    confirmed = paid.json()
    assert (confirmed["status"], confirmed["transactionId"]) == ("confirmed", "TX1")
    assert confirmed["paidAt"] == "2025-05-14T11:05:00+08:00"
    clock.current += timedelta(hours=1)  # well past payBy: paid places are never released
    assert http.post(pay, json={"transactionId": "TX1", "amountFen": 8000}).json() == confirmed
    error(http.post(pay, json={"transactionId": "TX2", "amountFen": 8000}), 409, "NOT_PAYABLE")
    assert http.get(f"/v1/reservations/{body['id']}").json() == confirmed


def test_an_unpaid_hold_expires_and_gives_its_places_back(
    http: httpx.Client, clock: MutableClock
) -> None:
    slot = slot_id(ACADEMY_TICKET, TOMORROW, "10:00")
    body = created(reserve(http, slot, visitors(1, 2, 3)))
    assert one_slot(http, slot)["remaining"] == 372
    clock.current = WEDNESDAY_11 + timedelta(seconds=899)
    assert http.get(f"/v1/reservations/{body['id']}").json()["status"] == "awaiting_payment"
    clock.current = WEDNESDAY_11 + timedelta(seconds=900)
    assert (one_slot(http, slot)["remaining"], one_slot(http, slot)["dailyRemaining"]) == (
        375,
        3000,
    )
    assert http.get(f"/v1/reservations/{body['id']}").json()["status"] == "expired"
    pay = {"transactionId": "TX1", "amountFen": 3 * ACADEMY_PRICE}
    error(http.post(f"/v1/reservations/{body['id']}/payment", json=pay), 409, "NOT_PAYABLE")
    error(http.post(f"/v1/reservations/{body['id']}/cancel"), 409, "NOT_CANCELLABLE")
    created(reserve(http, slot, visitors(1), key="again"))  # the visitor holds nothing now


def test_the_hold_time_is_a_setting(http: httpx.Client, clock: MutableClock) -> None:
    settings = http.put("/__admin/reservation-settings", json={"holdSeconds": 60})
    assert settings.json() == {"holdSeconds": 60}
    body = created(reserve(http, slot_id(ACADEMY_TICKET, TOMORROW, "12:00"), visitors(1)))
    assert body["payBy"] == "2025-05-14T11:01:00+08:00"
    clock.current += timedelta(seconds=61)
    assert http.get("/__admin/reservations").json()["items"][0]["status"] == "expired"
    for bad in ({"holdSeconds": -1}, {"holdSeconds": "60"}, {}, {"holdSeconds": 60, "x": 1}):
        error(http.put("/__admin/reservation-settings", json=bad), 400, "BAD_REQUEST")


def test_cancelling_gives_places_back_and_repeats_harmlessly(
    http: httpx.Client, clock: MutableClock
) -> None:
    slot = slot_id(MUSEUM_TICKET, TOMORROW, "10:00")
    body = created(reserve(http, slot, visitors(1, 2)))
    clock.current += timedelta(minutes=1)
    cancel = http.post(f"/v1/reservations/{body['id']}/cancel")
    assert cancel.status_code == 200, cancel.text
    cancelled = cancel.json()
    assert (cancelled["status"], cancelled["cancelledAt"]) == (
        "cancelled",
        "2025-05-14T11:01:00+08:00",
    )
    assert one_slot(http, slot)["remaining"] == 938
    clock.current += timedelta(minutes=1)
    assert http.post(f"/v1/reservations/{body['id']}/cancel").json() == cancelled
    created(reserve(http, slot, visitors(1), key="rebook"))
    for path in ("", "/cancel", "/payment"):
        method = http.get if not path else http.post
        kwargs: dict[str, Any] = {"json": {"transactionId": "T", "amountFen": 1}} if path else {}
        error(method(f"/v1/reservations/RSV-nope{path}", **kwargs), 404, "RESERVATION_NOT_FOUND")


def test_no_cancelling_once_the_slot_has_started(http: httpx.Client, clock: MutableClock) -> None:
    slot = slot_id(ACADEMY_TICKET, TODAY, "14:00")
    body = created(reserve(http, slot, visitors(1)))
    http.post(
        f"/v1/reservations/{body['id']}/payment",
        json={"transactionId": "TX", "amountFen": ACADEMY_PRICE},
    ).raise_for_status()
    clock.current = WEDNESDAY_11.replace(hour=14)
    error(http.post(f"/v1/reservations/{body['id']}/cancel"), 409, "TOO_LATE_TO_CANCEL")
    assert http.get(f"/v1/reservations/{body['id']}").json()["status"] == "confirmed"


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [0, 6])
def test_one_to_five_visitors(http: httpx.Client, count: int) -> None:
    slot = slot_id(MUSEUM_TICKET, TOMORROW, "10:00")
    error(reserve(http, slot, visitors(*range(count)), key="k"), 422, "VISITOR_LIMIT")
    assert len(created(reserve(http, slot, visitors(*range(5)), key="k"))["visitors"]) == 5


def _with_checksum_off(number: str) -> str:
    wrong = "0" if number[-1] != "0" else "1"
    return number[:-1] + wrong


@pytest.mark.parametrize(
    "second",
    [
        {"ref": "b", "name": "李四", "idNumber": _with_checksum_off(id_number(2))},
        {"ref": "b", "name": "李四", "idNumber": id_number(2)[:17]},
        {"ref": "b", "name": "李四", "idNumber": "43010419900101ABCD"},
        {"ref": "b", "name": "李四", "idNumber": id_number(1)},  # the same person twice
        {"ref": "b", "name": "  ", "idNumber": id_number(2)},
        {"ref": "b", "name": "李" * 31, "idNumber": id_number(2)},
    ],
)
def test_invalid_visitors_are_named(http: httpx.Client, second: dict[str, str]) -> None:
    first = {"ref": "a", "name": "张三", "idNumber": id_number(1)}
    response = reserve(http, slot_id(MUSEUM_TICKET, TOMORROW, "10:00"), [first, second])
    detail = error(response, 422, "INVALID_VISITOR")
    duplicate = second["idNumber"] == first["idNumber"]
    assert detail["visitorRefs"] == (["a", "b"] if duplicate else ["b"])
    assert http.get("/__admin/reservations").json()["items"] == []


def test_a_lower_case_check_character_is_the_same_person(http: httpx.Client) -> None:
    number = next(id_number(n) for n in range(100) if id_number(n).endswith("X"))
    slot = slot_id(MUSEUM_TICKET, TOMORROW, "10:00")
    created(reserve(http, slot, [{"ref": "a", "name": "张三", "idNumber": number.lower()}]))
    again = [{"ref": "a", "name": "张三", "idNumber": number}]
    error(
        reserve(http, slot_id(MUSEUM_TICKET, TOMORROW, "11:00"), again),
        409,
        "VISITOR_ALREADY_BOOKED",
    )


def test_one_reservation_per_person_attraction_and_day(http: httpx.Client) -> None:
    created(reserve(http, slot_id(MUSEUM_TICKET, TOMORROW, "10:00"), visitors(1, 2)))
    later = reserve(http, slot_id(MUSEUM_TICKET, TOMORROW, "14:00"), visitors(3, 2, 1))
    assert error(later, 409, "VISITOR_ALREADY_BOOKED")["visitorRefs"] == ["v2", "v1"]
    created(reserve(http, slot_id(MUSEUM_TICKET, LAST_DAY, "14:00"), visitors(1)))
    created(reserve(http, slot_id(ACADEMY_TICKET, TOMORROW, "14:00"), visitors(1)))
    assert one_slot(http, slot_id(MUSEUM_TICKET, TOMORROW, "14:00"))["remaining"] == 938


def test_a_slot_quota_is_all_or_nothing(http: httpx.Client) -> None:
    slot = slot_id(ACADEMY_TICKET, TOMORROW, "10:00")
    fixed = http.put(f"/__admin/slots/{slot}", json={"quota": 3})
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["quota"], fixed.json()["remaining"]) == (3, 3)
    created(reserve(http, slot, visitors(1, 2)))
    assert error(reserve(http, slot, visitors(3, 4)), 409, "QUOTA_EXHAUSTED")["remaining"] == 1
    created(reserve(http, slot, visitors(3)))
    assert error(reserve(http, slot, visitors(4)), 409, "QUOTA_EXHAUSTED")["remaining"] == 0
    lowered = http.put(f"/__admin/slots/{slot}", json={"quota": 1}).json()
    assert (lowered["quota"], lowered["remaining"], lowered["dailyRemaining"]) == (1, 0, 2997)
    assert one_slot(http, slot) == lowered


def test_the_daily_quota_binds_across_slots(http: httpx.Client) -> None:
    put = http.put(f"/__admin/quotas/{ACADEMY_TICKET}/{TOMORROW}", json={"dailyQuota": 4})
    assert put.json() == {
        "ticketTypeId": ACADEMY_TICKET,
        "date": TOMORROW,
        "dailyQuota": 4,
        "dailyRemaining": 4,
    }
    assert {s["quota"] for s in slots(http, ACADEMY, TOMORROW).values()} == {1}  # ceil(5/10)
    first, second = (slot_id(ACADEMY_TICKET, TOMORROW, t) for t in ("10:00", "11:00"))
    for slot in (first, second):
        http.put(f"/__admin/slots/{slot}", json={"quota": 10}).raise_for_status()
    created(reserve(http, first, visitors(1, 2, 3)))
    assert error(reserve(http, second, visitors(4, 5)), 409, "QUOTA_EXHAUSTED")["remaining"] == 1
    created(reserve(http, second, visitors(4)))
    listed = slots(http, ACADEMY, TOMORROW)
    assert {s["dailyRemaining"] for s in listed.values()} == {0}
    assert (listed[first]["remaining"], listed[second]["remaining"]) == (7, 9)
    assert (
        slots(http, ACADEMY, LAST_DAY)[slot_id(ACADEMY_TICKET, LAST_DAY, "10:00")]["dailyQuota"]
        == 3000
    )


@pytest.mark.parametrize(
    ("slot", "status", "code"),
    [
        ("nonsense", 404, "SLOT_NOT_FOUND"),
        ("att-nowhere-adult@2025-05-15T10:00", 404, "SLOT_NOT_FOUND"),
        ("att-aiwan-pavilion-free@2025-05-15T10:00", 404, "SLOT_NOT_FOUND"),  # walk-in
        (f"{ACADEMY_TICKET}@2025-05-15T10:30", 404, "SLOT_NOT_FOUND"),
        (f"{ACADEMY_TICKET}@2025-05-15T18:00", 404, "SLOT_NOT_FOUND"),
        (f"{ACADEMY_TICKET}@2025-02-30T10:00", 400, "BAD_REQUEST"),
        (f"{ACADEMY_TICKET}@2025-05-21T10:00", 422, "DATE_NOT_BOOKABLE"),
        (f"{ACADEMY_TICKET}@2025-05-13T10:00", 422, "DATE_NOT_BOOKABLE"),
        (f"{MUSEUM_TICKET}@{MONDAY}T10:00", 422, "SLOT_CLOSED"),
        (f"{ACADEMY_TICKET}@{TODAY}T10:00", 422, "SLOT_CLOSED"),  # ended at 11:00
    ],
)
def test_slots_not_on_sale_are_refused(
    http: httpx.Client, slot: str, status: int, code: str
) -> None:
    error(reserve(http, slot, visitors(1)), status, code)


def test_a_started_slot_is_still_on_sale(http: httpx.Client, clock: MutableClock) -> None:
    clock.current = WEDNESDAY_11 + timedelta(minutes=30)
    created(reserve(http, slot_id(ACADEMY_TICKET, TODAY, "11:00"), visitors(1)))


@pytest.mark.parametrize(
    "body",
    [
        {"visitors": []},
        {"slotId": "x", "visitors": [{"ref": "a", "name": "n"}]},
        {"slotId": "x", "visitors": [{"ref": "", "name": "n", "idNumber": "1"}]},
        {"slotId": 5, "visitors": []},
        {"slotId": "x", "visitors": [], "extra": 1},
    ],
)
def test_malformed_bodies_are_400(http: httpx.Client, body: dict[str, Any]) -> None:
    response = http.post("/v1/reservations", json=body, headers={"Idempotency-Key": "k"})
    error(response, 400, "BAD_REQUEST")


def test_admin_quota_controls_check_their_targets(http: httpx.Client) -> None:
    error(http.put("/__admin/slots/nonsense", json={"quota": 1}), 404, "SLOT_NOT_FOUND")
    monday = slot_id(MUSEUM_TICKET, MONDAY, "10:00")
    error(http.put(f"/__admin/slots/{monday}", json={"quota": 1}), 404, "SLOT_NOT_FOUND")
    tomorrow = slot_id(ACADEMY_TICKET, TOMORROW, "10:00")
    error(http.put(f"/__admin/slots/{tomorrow}", json={"quota": -1}), 400, "BAD_REQUEST")
    walk_in = "/__admin/quotas/att-aiwan-pavilion-free/2025-05-15"
    error(http.put(walk_in, json={"dailyQuota": 1}), 404, "SLOT_NOT_FOUND")
    bad_day = f"/__admin/quotas/{ACADEMY_TICKET}/15-05-2025"
    error(http.put(bad_day, json={"dailyQuota": 1}), 400, "BAD_REQUEST")


# --- idempotency and races --------------------------------------------------------------------


def test_the_idempotency_key_is_required(http: httpx.Client) -> None:
    slot = slot_id(MUSEUM_TICKET, TOMORROW, "10:00")
    body = {"slotId": slot, "visitors": visitors(1)}
    error(http.post("/v1/reservations", json=body), 400, "IDEMPOTENCY_KEY_REQUIRED")
    for bad in ("", "k" * 129):
        error(reserve(http, slot, visitors(1), key=bad), 400, "IDEMPOTENCY_KEY_REQUIRED")
    created(reserve(http, slot, visitors(1), key="k" * 128))


def test_the_same_key_and_body_answer_the_same_reservation(
    http: httpx.Client, clock: MutableClock
) -> None:
    slot = slot_id(ACADEMY_TICKET, TOMORROW, "10:00")
    first = created(reserve(http, slot, visitors(1, 2), key="order-1"))
    clock.current += timedelta(minutes=1)
    renamed = [{**v, "name": "别名"} for v in visitors(1, 2)]
    again = reserve(http, slot, renamed, key="order-1")
    assert again.status_code == 200 and again.json() == first
    for other_slot, people in (
        (slot_id(ACADEMY_TICKET, TOMORROW, "11:00"), visitors(1, 2)),
        (slot, visitors(1)),
        (slot, visitors(1, 3)),
    ):
        error(reserve(http, other_slot, people, key="order-1"), 422, "IDEMPOTENCY_KEY_REUSED")
    assert one_slot(http, slot)["remaining"] == 373
    assert len(http.get("/__admin/reservations").json()["items"]) == 1


def test_a_refused_request_does_not_use_up_its_key(http: httpx.Client) -> None:
    slot = slot_id(ACADEMY_TICKET, TOMORROW, "10:00")
    http.put(f"/__admin/slots/{slot}", json={"quota": 0}).raise_for_status()
    error(reserve(http, slot, visitors(1), key="retry-me"), 409, "QUOTA_EXHAUSTED")
    http.put(f"/__admin/slots/{slot}", json={"quota": 1}).raise_for_status()
    created(reserve(http, slot, visitors(1), key="retry-me"))


async def _post_all(
    base_url: str, requests: list[tuple[str, dict[str, Any]]]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
    async with httpx.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:
        calls = [
            client.post("/v1/reservations", json=body, headers={"Idempotency-Key": key})
            for key, body in requests
        ]
        return list(await asyncio.gather(*calls))


def test_racers_with_one_key_get_one_reservation(http: httpx.Client, base_url: str) -> None:
    body = {"slotId": slot_id(ACADEMY_TICKET, TOMORROW, "10:00"), "visitors": visitors(1, 2)}
    responses = asyncio.run(_post_all(base_url, [("same-key", body)] * 20))
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 19}
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(http.get("/__admin/reservations").json()["items"]) == 1
    assert one_slot(http, body["slotId"])["remaining"] == 373


def test_300_racers_for_30_places(http: httpx.Client, base_url: str) -> None:
    slot = slot_id(MUSEUM_TICKET, TOMORROW, "10:00")
    http.put(f"/__admin/slots/{slot}", json={"quota": 30}).raise_for_status()
    requests = [(f"racer-{n}", {"slotId": slot, "visitors": visitors(n)}) for n in range(300)]
    responses = asyncio.run(_post_all(base_url, requests))
    outcomes = Counter((r.status_code, r.json().get("error", {}).get("code")) for r in responses)
    assert outcomes == {(201, None): 30, (409, "QUOTA_EXHAUSTED"): 270}
    winners = {r.json()["id"] for r in responses if r.status_code == 201}
    held = http.get("/__admin/reservations").json()["items"]
    assert {r["id"] for r in held} == winners
    after = one_slot(http, slot)
    assert (after["remaining"], after["dailyRemaining"]) == (0, 5970)


# --- reset, document, helpers -----------------------------------------------------------------


def test_reset_forgets_reservations_overrides_and_settings(http: httpx.Client) -> None:
    slot = slot_id(ACADEMY_TICKET, TOMORROW, "10:00")
    http.put(f"/__admin/slots/{slot}", json={"quota": 5}).raise_for_status()
    http.put(f"/__admin/quotas/{ACADEMY_TICKET}/{TOMORROW}", json={"dailyQuota": 9})
    http.put("/__admin/reservation-settings", json={"holdSeconds": 5}).raise_for_status()
    created(reserve(http, slot, visitors(1), key="before-reset"))
    http.post("/__admin/reset").raise_for_status()
    assert http.get("/__admin/reservations").json() == {"items": []}
    fresh = one_slot(http, slot)
    assert (fresh["quota"], fresh["remaining"], fresh["dailyQuota"]) == (375, 375, 3000)
    again = created(reserve(http, slot, visitors(1), key="before-reset"))
    assert again["payBy"] == "2025-05-14T11:15:00+08:00"


def test_the_counters_and_openapi_know_the_new_routes(http: httpx.Client) -> None:
    slots(http, MUSEUM, TOMORROW)
    reserve(http, slot_id(MUSEUM_TICKET, TOMORROW, "10:00"), visitors(1))
    http.get("/v1/reservations/RSV-nope")
    by_route = http.get("/__admin/counters").json()["byRoute"]
    assert by_route == {
        "GET /v1/attractions/{attraction_id}/slots": 1,
        "POST /v1/reservations": 1,
        "GET /v1/reservations/{reservation_id}": 1,
    }
    paths = http.get("/openapi.json").json()["paths"]
    for path, methods in {
        "/v1/attractions/{attraction_id}/slots": {"get"},
        "/v1/reservations": {"post"},
        "/v1/reservations/{reservation_id}": {"get"},
        "/v1/reservations/{reservation_id}/cancel": {"post"},
        "/v1/reservations/{reservation_id}/payment": {"post"},
        "/__admin/slots/{slot_id}": {"put"},
        "/__admin/quotas/{ticket_type_id}/{date}": {"put"},
        "/__admin/reservation-settings": {"put"},
        "/__admin/reservations": {"get"},
    }.items():
        assert methods <= set(paths[path]), path


def test_id_number_helpers() -> None:
    number = id_number(42)
    assert valid_id_number(number)
    assert not valid_id_number(_with_checksum_off(number))
    assert not valid_id_number(number[:17])
    assert mask_id_number("430104201503071234") == "430104********1234"
