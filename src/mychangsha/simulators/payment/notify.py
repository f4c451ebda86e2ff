"""Payment notifications exactly as WeChat Pay v3 sends them, delivered asynchronously.

A notification is built once, when the order is paid: a JSON event whose `resource` is the
transaction encrypted with AES-256-GCM under the merchant's APIv3 key. Every delivery of it —
the first, each retry, a duplicate sent from the admin API — posts those same bytes with fresh
`Wechatpay-Timestamp` / `Wechatpay-Nonce` headers and a fresh `Wechatpay-Signature` over
`"{timestamp}\\n{nonce}\\n{body}\\n"` by the platform key named in `Wechatpay-Serial`.

Delivery runs in a background task, never inside the request that paid, so it can reach the
merchant before the citizen's app hears back: the merchant must not assume any ordering.
WeChat retries a delivery the merchant did not answer with 2xx (15s, 15s, 30s, 3m, 10m, …);
the simulator follows a short, configurable schedule instead so tests stay fast.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Final, Literal

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field

from mychangsha.simulators.base import SimulatorClock, aware_now
from mychangsha.simulators.payment.keys import PlatformKey, encrypt_resource, random_nonce
from mychangsha.simulators.payment.orders import Notification, Order, wechat_time

__all__ = ["DeliveryConfig", "Notifier", "build_notification", "signed_headers"]

DeliveryKind = Literal["payment", "duplicate", "tampered"]
DeliveryStatus = Literal["pending", "delivered", "failed"]
SIGNATURE_TYPE: Final = "WECHATPAY2-SHA256-RSA2048"
_TAMPERED_SUMMARY: Final = "支付成功（已篡改）"


class DeliveryConfig(BaseModel):
    """How notifications are delivered; replaced as a whole by `PUT /__admin/delivery`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    delay_ms: int = Field(default=0, alias="delayMs", ge=0, le=600_000)
    # Seconds to wait before each retry: attempts = 1 + len(retrySchedule).
    retry_schedule: tuple[Annotated[float, Field(ge=0, le=3600)], ...] = Field(
        default=(0.2, 0.5, 1.0, 2.0), alias="retrySchedule", max_length=20
    )
    # When set, `POST /pay/…` answers only after the first attempt: the merchant has then
    # surely seen the notification before the citizen's app hears of the payment.
    await_first_attempt: bool = Field(default=False, alias="awaitFirstAttempt")
    timeout_ms: int = Field(default=5000, alias="timeoutMs", ge=1, le=60_000)

    def to_json(self) -> dict[str, Any]:
        """The admin API's camelCase shape."""
        return self.model_dump(by_alias=True, mode="json")


def build_notification(order: Order, api_v3_key: bytes, now: datetime) -> Notification:
    """The TRANSACTION.SUCCESS event of a paid order, its resource sealed with the APIv3 key."""
    transaction = orjson.dumps(order.transaction_json(now))
    ciphertext, nonce = encrypt_resource(api_v3_key, transaction, associated_data="transaction")
    event_id = str(uuid.uuid4())
    event = {
        "id": event_id,
        "create_time": wechat_time(now),
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": "transaction",
            "nonce": nonce,
        },
    }
    return Notification(event_id, orjson.dumps(event))


def signed_headers(key: PlatformKey, body: bytes, now: datetime) -> dict[str, str]:
    """WeChat's signature headers for one delivery of `body`."""
    timestamp, nonce = str(int(now.timestamp())), random_nonce(32)
    message = f"{timestamp}\n{nonce}\n".encode() + body + b"\n"
    return {
        "Content-Type": "application/json",
        "Wechatpay-Timestamp": timestamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Serial": key.serial_no,
        "Wechatpay-Signature": key.sign(message),
        "Wechatpay-Signature-Type": SIGNATURE_TYPE,
    }


def _tampered(body: bytes) -> bytes:
    """The body as an attacker changed it after it was signed."""
    event = orjson.loads(body)
    event["summary"] = _TAMPERED_SUMMARY
    return orjson.dumps(event)


@dataclass
class Delivery:
    """One notification sent to one merchant URL, with every attempt's outcome."""

    id: str
    out_trade_no: str
    notification_id: str
    kind: DeliveryKind
    url: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    status: DeliveryStatus = "pending"
    first_attempt_done: asyncio.Event = field(default_factory=asyncio.Event)

    def to_json(self) -> dict[str, Any]:
        """The admin API's view."""
        return {
            "id": self.id,
            "outTradeNo": self.out_trade_no,
            "notificationId": self.notification_id,
            "kind": self.kind,
            "url": self.url,
            "status": self.status,
            "attempts": list(self.attempts),
        }


class Notifier:
    """Schedules and runs deliveries in the server's event loop and remembers them all."""

    def __init__(self, clock: SimulatorClock, signing_key: Callable[[], PlatformKey]) -> None:
        self._clock = clock
        self._signing_key = signing_key
        self.config = DeliveryConfig()
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None

    def send(self, order: Order, kind: DeliveryKind) -> Delivery:
        """Start delivering the order's notification in the background; tampered ones once."""
        assert order.notification is not None, "only paid orders have a notification"
        delivery = Delivery(
            id=uuid.uuid4().hex,
            out_trade_no=order.out_trade_no,
            notification_id=order.notification.id,
            kind=kind,
            url=order.request.notify_url,
        )
        self.deliveries.append(delivery)
        body = order.notification.body
        schedule = () if kind == "tampered" else self.config.retry_schedule
        delay = self.config.delay_ms / 1000 if kind == "payment" else 0.0
        task = asyncio.get_running_loop().create_task(
            self._run(delivery, body, delay=delay, schedule=schedule),
            name=f"notify:{order.out_trade_no}",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _run(
        self, delivery: Delivery, body: bytes, *, delay: float, schedule: tuple[float, ...]
    ) -> None:
        """Attempt, then retry after each wait of the schedule until the merchant says 2xx."""
        try:
            await asyncio.sleep(delay)
            for attempt, wait in enumerate((0.0, *schedule)):
                if attempt:
                    await asyncio.sleep(wait)
                accepted = await self._attempt(delivery, body)
                delivery.first_attempt_done.set()
                if accepted:
                    delivery.status = "delivered"
                    return
            delivery.status = "failed"
        finally:
            delivery.first_attempt_done.set()

    async def _attempt(self, delivery: Delivery, body: bytes) -> bool:
        """One POST; records the status (or transport error) and whether it counts as accepted."""
        now = aware_now(self._clock)
        headers = signed_headers(self._signing_key(), body, now)
        if delivery.kind == "tampered":
            body = _tampered(body)
        record: dict[str, Any] = {"at": wechat_time(now), "statusCode": None, "error": None}
        delivery.attempts.append(record)
        try:
            response = await self._client().post(
                delivery.url, content=body, headers=headers, timeout=self.config.timeout_ms / 1000
            )
        except httpx.HTTPError as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            return False
        record["statusCode"] = response.status_code
        # WeChat v3: 200 or 204 means received; the body (`{"code": "SUCCESS"}`) is optional.
        return 200 <= response.status_code < 300

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(headers={"user-agent": "Mozilla/4.0"})
        return self._http

    def reset(self) -> None:
        """Cancel deliveries under way, forget them all, default configuration."""
        for task in self._tasks:
            task.cancel()
        self.deliveries.clear()
        self.config = DeliveryConfig()

    async def aclose(self) -> None:
        """Stop deliveries under way and close the HTTP client: the server is shutting down."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None
