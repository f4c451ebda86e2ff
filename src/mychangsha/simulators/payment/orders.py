"""Orders as WeChat Pay keeps them: the request shapes, the state machine, the JSON views.

An order is created by the merchant (`NOTPAY`), paid by the citizen (`SUCCESS`) or closed by
the merchant or by its `time_expire` passing (`CLOSED`). Re-placing an order under the same
`out_trade_no` with the same parameters answers the same `prepay_id` (WeChat keeps a prepay
id valid for two hours; the simulator for as long as it runs); with any other parameter it is
WeChat's "201 商户订单号重复".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

__all__ = [
    "CHINA",
    "OUT_TRADE_NO_PATTERN",
    "CreateOrderJson",
    "Notification",
    "Order",
    "TradeState",
    "TradeType",
    "WechatPayError",
    "wechat_time",
]

# WeChat writes times as RFC 3339 in China Standard Time: 2018-06-08T10:34:56+08:00.
CHINA: Final = timezone(timedelta(hours=8))
# 6 to 32 of digits, letters and _-|*, unique per merchant (WeChat's own rule).
OUT_TRADE_NO_PATTERN: Final = r"^[0-9A-Za-z_\-|*]{6,32}$"
# WeChat demands https and no query string; the simulator also takes http for the dev stack.
_NOTIFY_URL: Final = r"^https?://[^\s?#]+$"

TradeType = Literal["APP", "JSAPI"]
TradeState = Literal["NOTPAY", "SUCCESS", "CLOSED"]

_STATE_DESCRIPTIONS: Final[dict[str, str]] = {
    "NOTPAY": "订单未支付",
    "SUCCESS": "支付成功",
    "CLOSED": "订单已关闭",
}


def wechat_time(moment: datetime) -> str:
    """A time as WeChat writes it: seconds, +08:00."""
    return moment.astimezone(CHINA).replace(microsecond=0).isoformat()


class WechatPayError(Exception):
    """An answer in WeChat Pay's own error shape, `{"code", "message"}`, with its status."""

    def __init__(self, status_code: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status_code = status_code
        self.code = code
        self.message = message


class _Amount(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    total: int = Field(ge=1, le=10_000_000_000)  # fen; WeChat has no smaller unit
    currency: Literal["CNY"] = "CNY"


class _Payer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    openid: str = Field(min_length=1, max_length=128)


class CreateOrderJson(BaseModel):
    """The body of `POST /v3/pay/transactions/{app|jsapi}`; unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore", strict=True, frozen=True)

    appid: str = Field(min_length=1, max_length=32)
    mchid: str = Field(min_length=1, max_length=32)
    description: str = Field(min_length=1, max_length=127)
    out_trade_no: str = Field(pattern=OUT_TRADE_NO_PATTERN)
    notify_url: str = Field(max_length=256, pattern=_NOTIFY_URL)
    amount: _Amount
    time_expire: AwareDatetime | None = None
    attach: str | None = Field(default=None, max_length=128)
    payer: _Payer | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    """The one notification of a paid order: WeChat re-sends these very bytes on retries."""

    id: str
    body: bytes


@dataclass
class Order:
    """One order and where it stands; `prepay_id` is what the citizen's SDK pays."""

    request: CreateOrderJson
    trade_type: TradeType
    prepay_id: str
    created_at: datetime
    state: TradeState = "NOTPAY"
    transaction_id: str | None = None
    success_time: datetime | None = None
    payer_openid: str | None = None
    notification: Notification | None = None

    @classmethod
    def place(cls, request: CreateOrderJson, trade_type: TradeType, now: datetime) -> Order:
        """A new unpaid order with a fresh prepay id shaped like WeChat's."""
        prepay_id = f"wx{now.astimezone(CHINA):%Y%m%d%H%M%S}{secrets.token_hex(10)}"
        openid = request.payer.openid if request.payer is not None else None
        return cls(request, trade_type, prepay_id, now, payer_openid=openid)

    @property
    def out_trade_no(self) -> str:
        """The merchant's order number."""
        return self.request.out_trade_no

    def same_request(self, other: CreateOrderJson, trade_type: TradeType) -> bool:
        """Whether a repeated order is the same order (any difference is a conflict)."""
        return trade_type == self.trade_type and other == self.request

    def state_at(self, now: datetime) -> TradeState:
        """The state, where an unpaid order past its `time_expire` counts as closed."""
        expire = self.request.time_expire
        if self.state == "NOTPAY" and expire is not None and now >= expire:
            return "CLOSED"
        return self.state

    def refuse_unless_payable(self, now: datetime) -> None:
        """Raise WeChat's error for an order that can no longer be paid or re-placed."""
        state = self.state_at(now)
        if state == "CLOSED":
            raise WechatPayError(400, "ORDER_CLOSED", "订单已关闭")
        if state == "SUCCESS":
            raise WechatPayError(400, "ORDERPAID", "该订单已支付")

    def mark_paid(self, now: datetime, openid: str) -> None:
        """NOTPAY → SUCCESS with a transaction id shaped like WeChat's (28 digits)."""
        self.state = "SUCCESS"
        self.success_time = now
        self.payer_openid = self.payer_openid or openid
        self.transaction_id = f"42000{now.astimezone(CHINA):%Y%m%d}" + "".join(
            secrets.choice("0123456789") for _ in range(15)
        )

    def transaction_json(self, now: datetime) -> dict[str, Any]:
        """The order as `GET /v3/pay/transactions/out-trade-no/…` and notifications show it."""
        state = self.state_at(now)
        request = self.request
        body: dict[str, Any] = {
            "appid": request.appid,
            "mchid": request.mchid,
            "out_trade_no": request.out_trade_no,
            "trade_state": state,
            "trade_state_desc": _STATE_DESCRIPTIONS[state],
            "attach": request.attach or "",
            "amount": {"total": request.amount.total, "currency": request.amount.currency},
        }
        if state == "SUCCESS":
            body.update(self._paid_fields())
        return body

    def _paid_fields(self) -> dict[str, Any]:
        assert self.success_time is not None
        total, currency = self.request.amount.total, self.request.amount.currency
        return {
            "transaction_id": self.transaction_id,
            "trade_type": self.trade_type,
            "bank_type": "OTHERS",
            "success_time": wechat_time(self.success_time),
            "payer": {"openid": self.payer_openid},
            "amount": {
                "total": total,
                "payer_total": total,
                "currency": currency,
                "payer_currency": currency,
            },
        }

    def admin_json(self, now: datetime) -> dict[str, Any]:
        """Everything about the order, for the admin API."""
        return {
            **self.transaction_json(now),
            "prepay_id": self.prepay_id,
            "description": self.request.description,
            "notify_url": self.request.notify_url,
            "created_at": wechat_time(self.created_at),
            "time_expire": (
                None if self.request.time_expire is None else wechat_time(self.request.time_expire)
            ),
            "notification_id": None if self.notification is None else self.notification.id,
        }
