"""Bookings, the same-day guard, payment orders and the exactly-once paid transition, racing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.storage import mongo
from mychangsha.storage.audit import AuditLog
from mychangsha.storage.bookings import (
    BookingRepository,
    BookingState,
    KeyReused,
    SameDayConflict,
)
from mychangsha.storage.mongo import Document
from mychangsha.storage.payments import (
    PaymentKind,
    PaymentRepository,
    PaymentState,
    PaymentSubject,
)

DAY = date(2026, 12, 1)


@pytest.fixture
async def db(mongo_url: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client = mongo.connect(mongo_url)
    database = client.get_database(f"test_bookings_{uuid.uuid4().hex[:8]}")
    yield database
    await client.drop_database(database.name)
    await client.close()


def _claim(repo: BookingRepository, key: str, *, patient: str = "p1", slot: str = "s1") -> object:
    return repo.claim(
        citizen_id="c1",
        idempotency_key=key,
        hospital_code="xiangya",
        doctor_id="d1",
        slot_id=slot,
        patient_id=patient,
        day=DAY,
    )


async def test_one_booking_per_patient_doctor_and_day_even_racing(
    db: AsyncDatabase[Document],
) -> None:
    repo = BookingRepository(db)
    await repo.ensure_indexes()
    results = await asyncio.gather(
        *(_claim(repo, f"key-{n}") for n in range(20)),  # type: ignore[misc]
        return_exceptions=True,
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, SameDayConflict) for r in results if isinstance(r, BaseException))


async def test_the_same_key_returns_the_same_booking(db: AsyncDatabase[Document]) -> None:
    repo = BookingRepository(db)
    results = await asyncio.gather(*(_claim(repo, "same") for _ in range(10)))  # type: ignore[misc]
    assert len({r.id for r in results}) == 1  # type: ignore[attr-defined]
    with pytest.raises(KeyReused):
        await _claim(repo, "same", slot="another-slot")  # type: ignore[misc]


async def test_a_failed_booking_frees_the_day(db: AsyncDatabase[Document]) -> None:
    repo = BookingRepository(db)
    first = await _claim(repo, "first")  # type: ignore[misc]
    with pytest.raises(SameDayConflict):
        await _claim(repo, "second")  # type: ignore[misc]
    await repo.settle(first.id, BookingState.FAILED)
    second = await _claim(repo, "second")  # type: ignore[misc]
    booked = await repo.settle(second.id, BookingState.BOOKED, "appt-1")
    assert booked.appointment_id == "appt-1"
    assert await repo.hospitals_for(["p1"]) == {"xiangya": {"p1"}}
    assert (await repo.by_appointment("xiangya", "appt-1")) == booked


BILL = PaymentSubject(PaymentKind.HOSPITAL_BILL, "xiangya", "inv-1")
TICKETS = PaymentSubject(PaymentKind.TICKET_ORDER, "xiangya", "inv-1")


async def test_paying_a_bill_opens_one_order_and_is_paid_once(
    db: AsyncDatabase[Document],
) -> None:
    repo = PaymentRepository(db)
    await repo.ensure_indexes()
    opened = await asyncio.gather(
        *(
            repo.open_order(
                citizen_id="c1",
                subject=BILL,
                patient_id="p1",
                amount_fen=5000,
                channel="WECHAT",
            )
            for _ in range(10)
        )
    )
    assert len({order.id for order, _ in opened}) == 1
    assert sum(created for _, created in opened) == 1
    order_id = opened[0][0].id
    now = datetime.now(UTC)
    wrong = await repo.mark_paid(order_id, transaction_id="t", amount_fen=1, paid_at=now)
    assert wrong is None
    paid = await asyncio.gather(
        *(
            repo.mark_paid(order_id, transaction_id="t1", amount_fen=5000, paid_at=now)
            for _ in range(10)
        )
    )
    assert sum(p is not None for p in paid) == 1
    stored = await repo.get(order_id)
    assert stored is not None and stored.state is PaymentState.PAID
    assert (await repo.paid_for(BILL)) is not None
    assert (await repo.paid_for(TICKETS)) is None  # another kind, same provider-and-id shape
    # A paid bill's open slot is free: a new order could be opened (the graph refuses first).
    again, created = await repo.open_order(
        citizen_id="c1",
        subject=BILL,
        patient_id="p1",
        amount_fen=5000,
        channel="WECHAT",
    )
    assert created and again.id != order_id


async def test_audit_log_lists_newest_first(db: AsyncDatabase[Document]) -> None:
    log = AuditLog(db)
    await log.ensure_indexes()
    for n in range(3):
        await log.append(
            actor_citizen_id="guardian",
            subjects=[("FamilyMember", "child", "guardian")],
            resource="DiagnosticReport",
            resource_id=f"xiangya/r{n}",
            action="read",
            request_id=f"req-{n}",
        )
    entries = await log.for_owner("guardian", offset=0, limit=10)
    assert [e.resource_id for e in entries] == ["xiangya/r2", "xiangya/r1", "xiangya/r0"]
    assert (await log.for_owner("guardian", offset=1, limit=1))[0].request_id == "req-1"
