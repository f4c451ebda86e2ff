"""Starting and closing a payment for any payable item, the same way for bills and tickets.

Paying opens (or reuses) the item's one open order and asks the gateway for prepay
parameters the app hands its payment SDK; the item turns paid only through the gateway's
signed notification (`resolvers.payment_notifications`). Closing an order at the gateway
before closing it here means old pay parameters can never take money for something gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from mychangsha.integrations.errors import UpstreamNotFound
from mychangsha.integrations.payment import PayChannel, PaymentRejected
from mychangsha.services import Services
from mychangsha.storage.payments import PaymentOrder, PaymentSubject

CALLBACK_PATH = "/callbacks/payment"


@dataclass(frozen=True)
class PaymentsOff:
    """This deployment has no merchant key: payments are not configured."""


@dataclass(frozen=True)
class Charge:
    """What is to be paid, by whom, and until when."""

    citizen_id: str
    subject: PaymentSubject
    amount_fen: int
    description: str
    patient_id: str | None = None
    expires_at: datetime | None = None  # the gateway refuses payment after this


async def start_payment(
    services: Services, charge: Charge, channel: PayChannel
) -> PaymentOrder | PaymentsOff:
    """The item's open order with the SDK parameters, created at the gateway once."""
    if services.payment is None:
        return PaymentsOff()
    order, _ = await services.payments.open_order(
        citizen_id=charge.citizen_id,
        subject=charge.subject,
        amount_fen=charge.amount_fen,
        channel=channel.value,
        patient_id=charge.patient_id,
    )
    if order.prepay_id is not None and order.pay_params is not None:
        return order
    prepay = await services.payment.create_order(
        out_trade_no=order.id,
        amount_fen=order.amount_fen,
        description=charge.description,
        notify_url=services.settings.public_base_url.rstrip("/") + CALLBACK_PATH,
        channel=PayChannel(order.channel),
        expires_at=charge.expires_at,
    )
    return await services.payments.set_prepay(order.id, prepay.prepay_id, prepay.pay_params)


async def close_payment(services: Services, order: PaymentOrder) -> bool:
    """Close an unpaid order at the gateway, then here; False when it was paid meanwhile.

    A paid order stays open here: its notification (on its way) settles it and, the item
    being gone, flags the refund.
    """
    if services.payment is not None:
        try:
            await services.payment.close(order.id)
        except UpstreamNotFound:
            pass  # never placed at the gateway: nothing there can take money
        except PaymentRejected as exc:
            if exc.wechat_code != "ORDERPAID":
                raise
            return False
    return await services.payments.close(order.id)
