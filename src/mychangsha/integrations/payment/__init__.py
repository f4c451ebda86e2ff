"""The payment gateway (WeChat Pay API v3): orders for bills and tickets, signed notifications."""

from mychangsha.integrations.payment.client import (
    PaymentClient,
    PaymentRejected,
    generate_merchant_key_pem,
)
from mychangsha.integrations.payment.models import PayChannel, PaymentResult, PrepayOrder
from mychangsha.integrations.payment.notifications import InvalidNotification

__all__ = [
    "InvalidNotification",
    "PayChannel",
    "PaymentClient",
    "PaymentRejected",
    "PaymentResult",
    "PrepayOrder",
    "generate_merchant_key_pem",
]
