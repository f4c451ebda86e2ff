"""Reminder jobs: turn what is due (tomorrow's appointments, unpaid bills, today's tickets)
into inbox notifications.

Each job may run on any replica, twice, or concurrently with itself: every notification is
keyed by the event it tells (`NewNotification.dedup_key`), so a rerun creates nothing new.
Days are Changsha's (Asia/Shanghai) calendar days. Each job answers how many notifications
it created.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, datetime, timedelta

from mychangsha.integrations.hospital.models import Bill, BillStatus
from mychangsha.platform.clock import changsha_day, utc_now
from mychangsha.resolvers.hospital_ids import HospitalRef
from mychangsha.resolvers.hospitals import hospital_client
from mychangsha.resolvers.notifications import notify
from mychangsha.resolvers.pending_bookings import finish_pending_bookings
from mychangsha.services import Services
from mychangsha.storage.bookings import Booking
from mychangsha.storage.notifications import NewNotification, NotificationKind
from mychangsha.storage.tickets import TicketOrder

log = logging.getLogger(__name__)

# Bills of visits booked longer ago than this are not chased any more.
BILL_LOOKBACK = timedelta(days=30)

ReminderJob = Callable[[Services], Awaitable[int]]


def _today(now: datetime | None) -> date:
    return changsha_day(now or utc_now())


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


async def _hospital_names(services: Services, codes: set[str]) -> dict[str, str]:
    found = await services.hospitals.by_codes(sorted(codes))
    return {code: found[code].name if code in found else code for code in codes}


# --- appointments tomorrow --------------------------------------------------------------------


def _appointment_reminder(booking: Booking, hospital_name: str) -> NewNotification:
    ref = HospitalRef(booking.hospital_code, booking.appointment_id or "")
    return NewNotification(
        citizen_id=booking.citizen_id,
        kind=NotificationKind.APPOINTMENT_REMINDER,
        title="就诊提醒",
        body=f"您预约了明天（{booking.day.month}月{booking.day.day}日）{hospital_name}的号，请按时就诊。",
        subject_type="Appointment",
        subject_id=ref.node_id,
        dedup_key=f"appointment-reminder:{ref.node_id}",
    )


async def remind_appointments(services: Services, *, now: datetime | None = None) -> int:
    """The day before an appointment, remind whoever booked it (once per appointment)."""
    tomorrow = _today(now) + timedelta(days=1)
    bookings = [b for b in await services.bookings.booked_on(tomorrow) if b.appointment_id]
    names = await _hospital_names(services, {b.hospital_code for b in bookings})
    created = 0
    for booking in bookings:
        reminder = _appointment_reminder(booking, names[booking.hospital_code])
        created += await notify(services, reminder) is not None
    return created


# --- unpaid bills -----------------------------------------------------------------------------


def _bill_notice(citizen_id: str, bill: Bill, hospital_name: str) -> NewNotification:
    ref = HospitalRef(bill.hospital_code, bill.id)
    return NewNotification(
        citizen_id=citizen_id,
        kind=NotificationKind.BILL_UNPAID,
        title="待缴费用",
        body=f"{hospital_name}有一笔 {_yuan(bill.total_fen)} 元的费用待缴。",
        subject_type="Bill",
        subject_id=ref.node_id,
        dedup_key=f"bill-unpaid:{ref.node_id}",
    )


async def notify_unpaid_bills(services: Services, *, now: datetime | None = None) -> int:
    """Tell citizens who booked recently about each unpaid bill (once per bill).

    One search per hospital for all its recent patients; a hospital that does not answer is
    skipped until the next run.
    """
    since = (now or utc_now()) - BILL_LOOKBACK
    owners: dict[str, dict[str, str]] = {}  # hospital → patient → the citizen who booked
    for booking in await services.bookings.booked_since(since):
        owners.setdefault(booking.hospital_code, {})[booking.patient_id] = booking.citizen_id
    names = await _hospital_names(services, set(owners))

    async def unpaid(code: str) -> list[Bill]:
        client = await hospital_client(services, code)
        return await client.bills(sorted(owners[code]), status=BillStatus.ISSUED)

    codes = sorted(owners)
    answers = await asyncio.gather(*(unpaid(code) for code in codes), return_exceptions=True)
    created = 0
    for code, answer in zip(codes, answers, strict=True):
        if isinstance(answer, BaseException):
            log.warning("unpaid bills of %s not read: %r", code, answer)
            continue
        for bill in answer:
            citizen_id = owners[code].get(bill.patient_id)
            if citizen_id is not None:
                notice = _bill_notice(citizen_id, bill, names[code])
                created += await notify(services, notice) is not None
    return created


# --- tickets today ----------------------------------------------------------------------------


def _ticket_notice(order: TicketOrder, attraction_name: str) -> NewNotification:
    return NewNotification(
        citizen_id=order.citizen_id,
        kind=NotificationKind.TICKET_TODAY,
        title="今日出行",
        body=f"今天 {order.start}–{order.end} 您预约了{attraction_name}（{order.ticket_name}），"
        "入园时请出示票码。",
        subject_type="TicketOrder",
        subject_id=order.id,
        dedup_key=f"ticket-today:{order.id}",
    )


async def notify_ticket_days(services: Services, *, now: datetime | None = None) -> int:
    """On the day of a confirmed ticket order, remind whoever booked it (once per order)."""
    orders = await services.tickets.confirmed_on(_today(now).isoformat())
    found = await services.attractions.by_ids(sorted({o.attraction_id for o in orders}))
    created = 0
    for order in orders:
        attraction = found.get(order.attraction_id)
        name = attraction.name if attraction is not None else order.ticket_name
        created += await notify(services, _ticket_notice(order, name)) is not None
    return created


REMINDER_JOBS: Mapping[str, ReminderJob] = {
    "appointment-reminders": remind_appointments,
    "unpaid-bills": notify_unpaid_bills,
    "ticket-days": notify_ticket_days,
    # Not a reminder, but due work of the same rhythm: bookings a failure left half way.
    "pending-bookings": finish_pending_bookings,
}
