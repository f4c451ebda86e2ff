"""What the bill fields mean: listing bills, paying one, and the gateway's notification.

Paying opens (or reuses) the bill's one open order and asks the gateway for prepay
parameters the app hands its payment SDK. The bill becomes paid only through the gateway's
signed notification: verified, applied once (`PaymentRepository.mark_paid`), and then passed
on to the hospital. Duplicate, late or out-of-order notifications find the order paid and
only make sure the hospital was told.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass

from mychangsha.context import Context
from mychangsha.errors import NotFound
from mychangsha.integrations.errors import UpstreamNotFound, UpstreamRejected
from mychangsha.integrations.hospital.models import Bill, BillStatus
from mychangsha.integrations.payment import (
    InvalidNotification,
    PayChannel,
    PaymentRejected,
    PaymentResult,
)
from mychangsha.resolvers.hospital_ids import HospitalRef
from mychangsha.resolvers.hospitals import hospital_client
from mychangsha.resolvers.identity import current_citizen
from mychangsha.resolvers.patients import patients_of
from mychangsha.services import Services
from mychangsha.storage.payments import PaymentOrder, PaymentState

log = logging.getLogger(__name__)

CALLBACK_PATH = "/callbacks/payment"


@dataclass(frozen=True)
class AlreadyPaid:
    """The bill is paid (or being settled); nothing to pay."""


@dataclass(frozen=True)
class NotPayable:
    """The bill was cancelled by the hospital."""


@dataclass(frozen=True)
class PaymentsOff:
    """This deployment has no merchant key: payments are not configured."""


async def my_bills(context: Context, *, status: BillStatus | None) -> list[Bill]:
    """Bills of the caller and their family at every hospital they visited through the graph."""
    patients = await patients_of(context)
    services = context.services
    hospitals = await services.bookings.hospitals_for([p.id for p in patients])

    async def fetch(code: str, patient_ids: set[str]) -> list[Bill]:
        client = await hospital_client(services, code)
        return await client.bills(sorted(patient_ids), status=status)

    found = await asyncio.gather(*(fetch(code, ids) for code, ids in sorted(hospitals.items())))
    return [bill for per_hospital in found for bill in per_hospital]


async def owned_bill(context: Context, target: HospitalRef) -> Bill:
    """A bill of the caller or a family member they may act for; NOT_FOUND otherwise."""
    patients = {p.id for p in await patients_of(context)}
    client = await hospital_client(context.services, target.hospital_code)
    try:
        bill = await client.bill(target.fhir_id)
    except UpstreamNotFound:
        raise NotFound("No such bill.") from None
    if bill.patient_id not in patients:
        raise NotFound("No such bill.")
    return bill


async def pay(
    context: Context, target: HospitalRef, channel: PayChannel
) -> PaymentOrder | AlreadyPaid | NotPayable | PaymentsOff:
    """Open (or reuse) the bill's payment order and return what the app's SDK needs."""
    services = context.services
    if services.payment is None:
        return PaymentsOff()
    bill = await owned_bill(context, target)
    if bill.status is BillStatus.BALANCED:
        return AlreadyPaid()
    if bill.status is BillStatus.CANCELLED:
        return NotPayable()
    if await services.payments.paid_for_bill(target.hospital_code, bill.id) is not None:
        return AlreadyPaid()  # paid, the hospital not told yet: the notification path retries
    citizen = await current_citizen(context)
    order, _ = await services.payments.open_order(
        citizen_id=citizen.id,
        hospital_code=target.hospital_code,
        bill_id=bill.id,
        patient_id=bill.patient_id,
        amount_fen=bill.total_fen,
        channel=channel.value,
    )
    if order.prepay_id is not None and order.pay_params is not None:
        return order
    prepay = await services.payment.create_order(
        out_trade_no=order.id,
        amount_fen=order.amount_fen,
        description=f"{target.hospital_code} 医疗费用 {bill.number or bill.id}",
        notify_url=services.settings.public_base_url.rstrip("/") + CALLBACK_PATH,
        channel=channel,
    )
    return await services.payments.set_prepay(order.id, prepay.prepay_id, prepay.pay_params)


class NotificationRejected(Exception):
    """The notification is not authentic or not ours; the gateway should retry or give up."""


async def apply_notification(services: Services, headers: Mapping[str, str], body: bytes) -> None:
    """Verify a gateway notification and apply it exactly once.

    Raises NotificationRejected for a bad signature, a stale or foreign notification, or an
    amount that does not match the order: nothing changes then.
    """
    if services.payment is None:
        raise NotificationRejected("payments are not configured")
    try:
        result = await services.payment.verify_notification(headers, body)
    except InvalidNotification as exc:
        log.warning("payment notification rejected: %s", exc.reason)
        raise NotificationRejected(exc.reason) from exc
    order = await services.payments.get(result.out_trade_no)
    if order is None:
        log.warning("payment notification for an unknown order %s", result.out_trade_no)
        raise NotificationRejected("unknown order")
    if not result.paid:
        return
    order = await _settle(services, order, result)
    if order.hospital_notified or order.refund_due:
        return
    client = await hospital_client(services, order.hospital_code)
    try:
        await client.mark_bill_paid(order.bill_id, transaction_id=order.transaction_id or "")
    except UpstreamRejected as exc:
        if exc.status != 422:
            raise
        # The hospital cancelled the bill while it was being paid: final, the money goes back.
        log.error("payment %s: bill %s was cancelled; refund due", order.id, order.bill_id)
        await services.payments.flag_refund(order.id)
        return
    await services.payments.mark_hospital_notified(order.id)


async def close_orders_of_cancelled_bills(
    services: Services, hospital_code: str, patient_id: str
) -> None:
    """Close the patient's open orders whose bill the hospital cancelled (a cancelled visit).

    Without this the app's old pay parameters could still take money for nothing.
    """
    if services.payment is None:
        return
    client = await hospital_client(services, hospital_code)
    for order in await services.payments.open_orders_of(hospital_code, patient_id):
        bill = await client.bill(order.bill_id)
        if bill.status is not BillStatus.CANCELLED:
            continue
        try:
            await services.payment.close(order.id)
        except PaymentRejected as exc:
            if exc.wechat_code != "ORDERPAID":
                raise
            continue  # paid meanwhile: its notification flags the refund
        await services.payments.close(order.id)


async def _settle(services: Services, order: PaymentOrder, result: PaymentResult) -> PaymentOrder:
    if order.state is PaymentState.PAID:
        return order
    paid = await services.payments.mark_paid(
        order.id,
        transaction_id=result.transaction_id,
        amount_fen=result.amount_fen,
        paid_at=result.paid_at or order.created_at,
    )
    if paid is not None:
        return paid
    current = await services.payments.get(order.id)
    if current is None or current.state is not PaymentState.PAID:
        log.error("payment %s: notified amount %s does not match", order.id, result.amount_fen)
        raise NotificationRejected("amount mismatch")
    return current
