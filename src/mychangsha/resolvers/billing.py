"""What the bill fields mean: listing bills, paying one, telling the hospital it is paid.

Paying goes through the shared payment flow (`resolvers.payment_orders`); the bill becomes
paid only through the gateway's signed notification (`resolvers.payment_notifications`),
which then calls `fulfil_bill`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from mychangsha.context import Context
from mychangsha.errors import NotFound
from mychangsha.integrations.errors import UpstreamNotFound, UpstreamRejected
from mychangsha.integrations.hospital.models import Bill, BillStatus
from mychangsha.integrations.payment import PayChannel
from mychangsha.resolvers.hospital_ids import HospitalRef
from mychangsha.resolvers.hospitals import hospital_client
from mychangsha.resolvers.identity import current_citizen
from mychangsha.resolvers.patients import patients_of
from mychangsha.resolvers.payment_orders import Charge, PaymentsOff, close_payment, start_payment
from mychangsha.services import Services
from mychangsha.storage.payments import PaymentKind, PaymentOrder, PaymentSubject


@dataclass(frozen=True)
class AlreadyPaid:
    """The bill is paid (or being settled); nothing to pay."""


@dataclass(frozen=True)
class NotPayable:
    """The bill was cancelled by the hospital."""


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
    subject = bill_subject(target.hospital_code, bill.id)
    if await services.payments.paid_for(subject) is not None:
        return AlreadyPaid()  # paid, the hospital not told yet: the notification path retries
    citizen = await current_citizen(context)
    charge = Charge(
        citizen_id=citizen.id,
        subject=subject,
        amount_fen=bill.total_fen,
        description=f"{target.hospital_code} 医疗费用 {bill.number or bill.id}",
        patient_id=bill.patient_id,
    )
    return await start_payment(services, charge, channel)


def bill_subject(hospital_code: str, bill_id: str) -> PaymentSubject:
    """A hospital bill as a payable item."""
    return PaymentSubject(PaymentKind.HOSPITAL_BILL, hospital_code, bill_id)


async def fulfil_bill(services: Services, order: PaymentOrder) -> bool:
    """Tell the hospital its bill is paid; False when it cancelled the bill meanwhile."""
    client = await hospital_client(services, order.subject.provider)
    try:
        await client.mark_bill_paid(
            order.subject.item_id, transaction_id=order.transaction_id or ""
        )
    except UpstreamRejected as exc:
        if exc.status != 422:
            raise
        return False
    return True


async def close_orders_of_cancelled_bills(
    services: Services, hospital_code: str, patient_id: str
) -> None:
    """Close the patient's open orders whose bill the hospital cancelled (a cancelled visit).

    Without this the app's old pay parameters could still take money for nothing.
    """
    client = await hospital_client(services, hospital_code)
    orders = await services.payments.open_orders(
        PaymentKind.HOSPITAL_BILL, hospital_code, patient_id=patient_id
    )
    for order in orders:
        bill = await client.bill(order.subject.item_id)
        if bill.status is BillStatus.CANCELLED:
            await close_payment(services, order)
