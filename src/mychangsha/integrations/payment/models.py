"""Domain objects of the payment gateway, independent of its wire format and of GraphQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

__all__ = ["PayChannel", "PaymentResult", "PrepayOrder"]


class PayChannel(enum.Enum):
    """How the citizen pays.

    WECHAT is WeChat Pay: a JSAPI order when the payer's openid is known (mini-program), an
    APP order otherwise (the native app). ALIPAY goes through the same WeChat-Pay-shaped
    contract in the dev stack, where one simulator stands in for both wallets; a production
    Alipay needs its own adapter (form-encoded RSA2 requests, form-encoded notifications)
    behind the same `PaymentClient` methods.
    """

    WECHAT = "WECHAT"
    ALIPAY = "ALIPAY"


@dataclass(frozen=True, slots=True)
class PrepayOrder:
    """What the app hands its payment SDK to show the cashier for one order.

    `pay_params` are WeChat's `requestPayment` parameters: appId, timeStamp, nonceStr,
    package (`prepay_id=…`), signType (`RSA`) and paySign, signed by the merchant key.
    """

    prepay_id: str
    pay_params: dict[str, str]


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """Where an order stands at the gateway; money in fen.

    `state` is WeChat's trade_state (NOTPAY, SUCCESS, CLOSED, and REFUND, REVOKED,
    USERPAYING, PAYERROR from the real gateway). `transaction_id` is the gateway's id of the
    payment: empty and `paid_at` None until the order is paid. `amount_fen` is the order
    total, the figure to compare with the bill.
    """

    out_trade_no: str
    transaction_id: str
    state: str
    amount_fen: int
    paid_at: datetime | None

    @property
    def paid(self) -> bool:
        """Whether the money has arrived."""
        return self.state == "SUCCESS"
