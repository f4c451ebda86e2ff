"""The notifications inbox over real HTTP and websockets: every producer, paging, ownership."""

from __future__ import annotations

import asyncio
import base64
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mychangsha.services import open_services
from mychangsha.storage.notifications import NewNotification, NotificationKind
from mychangsha.storage.tickets import TicketOrder, TicketOrderStatus, new_order_id
from tests.api.booking_calendar import graph_today
from tests.api.conftest import People
from tests.api.hospital_journey import book_tomorrow, decode_id, encode_id, wait_until
from tests.api.identity_client import Device, error_codes
from tests.api.notification_journey import (
    MARK_READ,
    citizen_id,
    create,
    inbox,
    listening,
    next_received,
    nodes,
    of_kind,
    run_job,
    settings_of,
)
from tests.api.test_bill_payment import MY_BILLS
from tests.api.test_government import _bundle, _good_files, _submit
from tests.api.ticket_journey import MUSEUM, attraction_id, reserve, slots
from tests.conftest import SimulatorAdmin
from tests.support.graphs import extra_graph

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar


def _notice(citizen: str, n: int) -> NewNotification:
    key = uuid.uuid4().hex
    return NewNotification(
        citizen_id=citizen,
        kind=NotificationKind.BILL_UNPAID,
        title=f"通知 {n}",
        body=f"第 {n} 条",
        subject_type="Bill",
        subject_id=f"xiangya/{key}",
        dedup_key=f"test:{key}",
    )


# --- producers --------------------------------------------------------------------------------


def test_an_application_status_change_lands_in_the_inbox_and_on_the_socket(
    people: People, graph_url: str, government_simulator: SimulatorAdmin
) -> None:
    device, _ = people()
    bundle = _bundle(device)
    assert device.access_token is not None
    with listening(graph_url, device.access_token) as ws:
        response = _submit(device, bundle, _good_files(bundle))
        application = response.json()["data"]["applicationSubmit"]
        assert application["__typename"] == "Application", application
        government_simulator.http.post(
            f"/__admin/applications/{application['number']}/advance", json={"to": "accepted"}
        ).raise_for_status()
        pushed = next_received(ws)
    assert pushed["kind"] == "APPLICATION_STATUS"
    assert pushed["subjectId"] == application["id"]
    assert application["number"] in pushed["body"] and "已受理" in pushed["title"]
    assert pushed["read"] is False and pushed["readAt"] is None

    page = inbox(device)
    assert nodes(page) == [pushed]
    assert page["unreadCount"] == 1


def test_tomorrows_appointment_and_its_unpaid_bill(
    people: People, graph_env: dict[str, str]
) -> None:
    device, _ = people()
    appointment = book_tomorrow(device, days=0)
    bills = device.post(MY_BILLS, {"status": "UNPAID"})["data"]["myBills"]
    assert len(bills) == 1, bills

    # The graph's own scheduler may have run the jobs already: the inbox says what exists.
    run_job(graph_env, "appointment-reminders")
    run_job(graph_env, "unpaid-bills")
    reminders = of_kind(device, "APPOINTMENT_REMINDER")
    assert [r["subjectId"] for r in reminders] == [appointment["id"]]
    assert "明天" in reminders[0]["body"]
    unpaid = of_kind(device, "BILL_UNPAID")
    assert [u["subjectId"] for u in unpaid] == [bills[0]["id"]]
    yuan = f"{bills[0]['totalFen'] // 100}.{bills[0]['totalFen'] % 100:02d}"
    assert yuan in unpaid[0]["body"]

    assert run_job(graph_env, "appointment-reminders") == 0
    assert run_job(graph_env, "unpaid-bills") == 0
    assert inbox(device)["unreadCount"] == 2


def _record_confirmed_today(graph_env: dict[str, str], owner: str, today: date) -> str:
    """A confirmed free order for today, stored as the ticket flow stores one: the fallback
    for hours when no museum slot of today is left (evenings, Mondays)."""
    now = datetime.now(UTC)
    order = TicketOrder(
        id=new_order_id(),
        citizen_id=owner,
        idempotency_key=uuid.uuid4().hex,
        request_hash="test",
        reservation_id=f"RSV-TEST-{uuid.uuid4().hex}",
        attraction_id=MUSEUM,
        slot_id=f"{MUSEUM}-free@{today.isoformat()}T23:00",
        ticket_type_id=f"{MUSEUM}-free",
        ticket_name="免费预约参观",
        day=today.isoformat(),
        start="23:00",
        end="23:59",
        starts_at=now,
        ends_at=now + timedelta(hours=1),
        holders=(),
        unit_price_fen=0,
        amount_fen=0,
        status=TicketOrderStatus.CONFIRMED,
        pay_by=None,
        paid_at=now,
        created_at=now,
    )

    async def record() -> None:
        async with open_services(settings_of(graph_env)) as services:
            await services.tickets.record(order)

    asyncio.run(record())
    return encode_id("TicketOrder", order.id)


def _order_for_today(device: Device, me: dict[str, Any], graph_env: dict[str, str]) -> str:
    """A confirmed ticket order for today: reserved at the museum while it has a slot left."""
    today = graph_today(device, attraction_id(MUSEUM))
    for slot in slots(device, MUSEUM, today):
        if slot["available"] and slot["remaining"] > 0 and slot["priceFen"] == 0:
            order = reserve(device, MUSEUM, slot, [me["id"]], uuid.uuid4().hex)
            if order["__typename"] == "TicketOrder":
                assert order["status"] == "CONFIRMED", order
                return str(order["id"])
    return _record_confirmed_today(graph_env, citizen_id(me), today)


def test_a_ticket_for_today(people: People, graph_env: dict[str, str]) -> None:
    device, me = people()
    order_id = _order_for_today(device, me, graph_env)
    run_job(graph_env, "ticket-days")
    today = of_kind(device, "TICKET_TODAY")
    assert [t["subjectId"] for t in today] == [order_id]
    assert "今天" in today[0]["body"]
    assert run_job(graph_env, "ticket-days") == 0
    assert len(of_kind(device, "TICKET_TODAY")) == 1


def test_the_graphs_own_scheduler_sends_reminders(
    people: People, graph_env: dict[str, str]
) -> None:
    """Without anyone running a job by hand, a replica's short period brings the reminder.

    The session's graph waits an hour between runs (so no test counting upstream requests
    sees the jobs' traffic); a replica with a one-second period does the work here.
    """
    device, me = people()
    order_id = _order_for_today(device, me, graph_env)

    def arrived() -> list[dict[str, Any]] | None:
        found = of_kind(device, "TICKET_TODAY")
        return found or None

    with extra_graph(graph_env, REMINDER_POLL_SECONDS="1"):
        found = wait_until(arrived, timeout=15, interval=0.5)
    assert [t["subjectId"] for t in found] == [order_id]


# --- reading and marking ----------------------------------------------------------------------


def test_paging_unread_only_and_marking_only_my_own(
    people: People, graph_env: dict[str, str]
) -> None:
    device, me = people()
    other, someone = people()
    mine = create(graph_env, *(_notice(citizen_id(me), n) for n in range(5)))
    [theirs] = create(graph_env, _notice(citizen_id(someone), 9))
    assert len(mine) == 5

    seen: list[dict[str, Any]] = []
    after = None
    while True:
        page = inbox(device, first=2, after=after)
        assert page["unreadCount"] == 5
        seen.extend(nodes(page))
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [n["title"] for n in seen] == [f"通知 {n}" for n in (4, 3, 2, 1, 0)]
    ids = [n["id"] for n in seen]
    assert [decode_id(i)[1] for i in ids] == mine[::-1]

    their_id = encode_id("Notification", theirs)
    body = device.post(MARK_READ, {"ids": [ids[0], ids[1], their_id]})
    assert "errors" not in body, body
    marked = body["data"]["notificationMarkRead"]
    assert [n["id"] for n in marked["notifications"]] == ids[:2]
    assert all(n["read"] and n["readAt"] for n in marked["notifications"])
    assert marked["unreadCount"] == 3

    unread = inbox(device, unreadOnly=True)
    assert [n["id"] for n in nodes(unread)] == ids[2:]
    assert inbox(other)["unreadCount"] == 1, "marking someone else's id changed nothing"
    assert nodes(inbox(other))[0]["read"] is False


def test_nobody_else_reads_my_notifications(
    people: People, graph_env: dict[str, str], graph_url: str, sms_simulator: SimulatorAdmin
) -> None:
    device, me = people()
    other, _ = people()
    [created] = create(graph_env, _notice(citizen_id(me), 1))
    node_id = encode_id("Notification", created)
    query = "query($id: ID!) { node(id: $id) { id ... on Notification { title kind } } }"

    assert device.post(query, {"id": node_id})["data"]["node"]["title"] == "通知 1"
    assert error_codes(other.post(query, {"id": node_id})) == ["NOT_FOUND"]
    assert nodes(inbox(other)) == []

    anonymous = Device(graph_url, sms_simulator.base_url)
    try:
        assert error_codes(anonymous.post("{ notifications { unreadCount } }")) == [
            "UNAUTHENTICATED"
        ]
    finally:
        anonymous.close()


def test_only_notification_ids_are_accepted(people: People) -> None:
    device, _ = people()
    hospital = base64.b64encode(b"Hospital:xiangya").decode()
    body = device.post(MARK_READ, {"ids": [hospital]})
    assert error_codes(body) == ["BAD_USER_INPUT"], body
