"""WeChat Pay v3's JSON, validated with pydantic and mapped to domain objects.

Unknown fields are ignored: WeChat adds fields to its answers without notice, and a client
that broke on them would break in production on a Tuesday.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from mychangsha.integrations.payment.models import PaymentResult

__all__ = [
    "CertificatesJson",
    "NotificationJson",
    "PlatformKeyJson",
    "PrepayJson",
    "ResourceJson",
    "TransactionJson",
    "WechatErrorJson",
]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PrepayJson(_Wire):
    """The answer to an APP or JSAPI order."""

    prepay_id: str = Field(min_length=1)


class WechatErrorJson(_Wire):
    """WeChat Pay's error body."""

    code: str
    message: str = ""


class AmountJson(_Wire):
    """Money of a transaction, in fen."""

    total: int = Field(ge=0)
    payer_total: int | None = None
    currency: str = "CNY"


class TransactionJson(_Wire):
    """An order as the query answers it and as a notification's resource decrypts to."""

    mchid: str
    out_trade_no: str
    trade_state: str
    amount: AmountJson
    transaction_id: str | None = None
    success_time: AwareDatetime | None = None

    def to_domain(self) -> PaymentResult:
        """The order's state as the graph uses it; times in UTC."""
        paid_at = None if self.success_time is None else self.success_time.astimezone(UTC)
        return PaymentResult(
            out_trade_no=self.out_trade_no,
            transaction_id=self.transaction_id or "",
            state=self.trade_state,
            amount_fen=self.amount.total,
            paid_at=paid_at,
        )


class ResourceJson(_Wire):
    """The encrypted part of a notification."""

    original_type: str
    algorithm: str
    ciphertext: str
    nonce: str
    associated_data: str = ""


class NotificationJson(_Wire):
    """A notification's envelope: what it is about, and the sealed resource."""

    id: str
    create_time: str
    resource_type: str
    event_type: str
    summary: str = ""
    resource: ResourceJson


class PlatformKeyJson(_Wire):
    """One platform key (the simulator's simplified certificate entry)."""

    serial_no: str = Field(min_length=1)
    effective_time: AwareDatetime
    expire_time: AwareDatetime
    public_key_pem: str

    def valid_at(self, now: datetime) -> bool:
        """Whether the key may sign notifications now."""
        return now < self.expire_time


class CertificatesJson(_Wire):
    """`GET /v3/certificates`."""

    data: list[PlatformKeyJson]
