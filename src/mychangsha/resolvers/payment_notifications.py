"""The gateway's payment notification: verified, applied once, then passed to the item's owner.

Duplicate, late or out-of-order notifications find the order paid and only make sure its
owner (the hospital for a bill, the tourism platform for tickets) was told. An owner that
refuses because the item is gone (a cancelled bill, an expired reservation) leaves the order
paid and flagged `refund_due`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

from mychangsha.cache.responses import forget_private_answers
from mychangsha.integrations.payment import InvalidNotification, PaymentResult
from mychangsha.resolvers.billing import fulfil_bill
from mychangsha.resolvers.tickets import fulfil_ticket_order
from mychangsha.services import Services
from mychangsha.storage.payments import PaymentKind, PaymentOrder, PaymentState

log = logging.getLogger(__name__)

# Tells an item's owner that it is paid: True when accepted, False when the item is gone.
Fulfiller = Callable[[Services, PaymentOrder], Awaitable[bool]]

FULFILLERS: Mapping[PaymentKind, Fulfiller] = {
    PaymentKind.HOSPITAL_BILL: fulfil_bill,
    PaymentKind.TICKET_ORDER: fulfil_ticket_order,
}


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
    try:
        await _apply_paid(services, order, result)
    finally:  # the bill or ticket shows paid at once, even when fulfilling failed half way
        await forget_private_answers(services.response_cache, order.citizen_id)


async def _apply_paid(services: Services, order: PaymentOrder, result: PaymentResult) -> None:
    order = await _settle(services, order, result)
    if order.fulfilled or order.refund_due:
        return
    if await FULFILLERS[order.subject.kind](services, order):
        await services.payments.mark_fulfilled(order.id)
    else:
        log.error("payment %s: %s is gone; refund due", order.id, order.subject.key)
        await services.payments.flag_refund(order.id)


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
