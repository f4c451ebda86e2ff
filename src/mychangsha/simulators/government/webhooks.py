"""Status-change webhooks: signed JSON pushed to the application's callback URL, with retries.

Every status change becomes one event, `{"eventId", "applicationNumber", "status",
"previousStatus", "at", "externalId"}`, built once. Each delivery of it posts those exact bytes
with a fresh `X-Gov-Timestamp` (Unix seconds) and `X-Gov-Signature: sha256=<hex>` — the
HMAC-SHA256, under the shared secret, of `"{timestamp}." + body` — so a receiver verifies the
bytes it got and can refuse stale timestamps. A delivery not answered 2xx is retried on a short
schedule. Test controls: `dropNext` loses the next events silently (what a poller must
recover), and an event can be sent again as a duplicate (same `eventId`) or tampered with after
signing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Final, Literal

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field

from mychangsha.simulators.base import SimulatorClock, aware_now
from mychangsha.simulators.government.applications import Status, iso

__all__ = ["DEV_WEBHOOK_SECRET", "Delivery", "Event", "WebhookPatch", "Webhooks", "signature"]

DEV_WEBHOOK_SECRET: Final = "mychangsha-dev-gov-webhook-secret"  # noqa: S105 - dev default
DeliveryKind = Literal["event", "duplicate", "tampered"]
DeliveryStatus = Literal["pending", "delivered", "failed", "dropped", "no_url"]
_DEFAULT_SCHEDULE: Final = (0.5, 1.0, 2.0, 5.0)


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `"{timestamp}." + body` under the shared secret."""
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookPatch(BaseModel):
    """`PUT /__admin/webhook`: keys present are changed, the others keep their value."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://\S+$")
    drop_next: int | None = Field(default=None, alias="dropNext", ge=0, le=10_000)
    retry_schedule: tuple[Annotated[float, Field(ge=0, le=3600)], ...] | None = Field(
        default=None, alias="retrySchedule", max_length=20
    )
    timeout_ms: int | None = Field(default=None, alias="timeoutMs", ge=1, le=60_000)


@dataclass(frozen=True, slots=True)
class Event:
    """One status change as sent: its id, where it goes, and the exact body bytes."""

    id: str
    application_number: str
    url: str | None
    body: bytes

    def to_json(self) -> dict[str, Any]:
        """The event's JSON."""
        parsed: dict[str, Any] = orjson.loads(self.body)
        return parsed


@dataclass
class Delivery:
    """One sending of an event, with each attempt's outcome."""

    id: str
    event: Event
    kind: DeliveryKind
    status: DeliveryStatus = "pending"
    attempts: list[dict[str, Any]] = field(default_factory=list)
    first_attempt_done: asyncio.Event = field(default_factory=asyncio.Event)

    def to_json(self) -> dict[str, Any]:
        """The admin API's view."""
        return {
            "id": self.id,
            "eventId": self.event.id,
            "applicationNumber": self.event.application_number,
            "kind": self.kind,
            "url": self.event.url,
            "status": self.status,
            "attempts": list(self.attempts),
            "event": self.event.to_json(),
        }


class Webhooks:
    """Builds events, delivers them in background tasks, and remembers every delivery."""

    def __init__(self, clock: SimulatorClock, secret: str) -> None:
        self._clock = clock
        self._secret = secret.encode()
        self.default_url: str | None = None
        self.drop_next = 0
        self.retry_schedule: tuple[float, ...] = _DEFAULT_SCHEDULE
        self.timeout_ms = 5000
        self.events: dict[str, Event] = {}
        self.deliveries: list[Delivery] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._http: httpx.AsyncClient | None = None

    def config_json(self) -> dict[str, Any]:
        """The settings in force (`GET /__admin/webhook`)."""
        return {
            "url": self.default_url,
            "dropNext": self.drop_next,
            "retrySchedule": list(self.retry_schedule),
            "timeoutMs": self.timeout_ms,
        }

    def configure(self, patch: WebhookPatch) -> None:
        """Apply the keys the patch sets (an explicit `"url": null` clears the default URL)."""
        if "url" in patch.model_fields_set:
            self.default_url = patch.url
        if patch.drop_next is not None:
            self.drop_next = patch.drop_next
        if patch.retry_schedule is not None:
            self.retry_schedule = patch.retry_schedule
        if patch.timeout_ms is not None:
            self.timeout_ms = patch.timeout_ms

    def publish(
        self,
        *,
        application_number: str,
        external_id: str,
        status: Status,
        previous: Status | None,
        at: datetime,
        callback_url: str | None,
    ) -> Event:
        """Build the event of one status change and start delivering it (or drop it)."""
        event_id = f"evt_{uuid.uuid4().hex}"
        body = orjson.dumps(
            {
                "eventId": event_id,
                "applicationNumber": application_number,
                "status": status,
                "previousStatus": previous,
                "at": iso(at),
                "externalId": external_id,
            }
        )
        event = Event(event_id, application_number, callback_url or self.default_url, body)
        self.events[event_id] = event
        if self.drop_next > 0:
            self.drop_next -= 1
            self._record(event, "event", "dropped")
        elif event.url is None:
            self._record(event, "event", "no_url")
        else:
            self._start(event, "event")
        return event

    def redeliver(self, event: Event, *, tamper: bool) -> Delivery:
        """Send an event again: a duplicate (retried like any) or a tampered one (sent once)."""
        if event.url is None:
            return self._record(event, "tampered" if tamper else "duplicate", "no_url")
        return self._start(event, "tampered" if tamper else "duplicate")

    def _record(self, event: Event, kind: DeliveryKind, status: DeliveryStatus) -> Delivery:
        delivery = Delivery(uuid.uuid4().hex, event, kind, status)
        delivery.first_attempt_done.set()
        self.deliveries.append(delivery)
        return delivery

    def _start(self, event: Event, kind: DeliveryKind) -> Delivery:
        delivery = Delivery(uuid.uuid4().hex, event, kind)
        self.deliveries.append(delivery)
        schedule = () if kind == "tampered" else self.retry_schedule
        task = asyncio.get_running_loop().create_task(
            self._run(delivery, schedule), name=f"webhook:{event.id}"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _run(self, delivery: Delivery, schedule: tuple[float, ...]) -> None:
        """Attempt, then retry after each wait of the schedule until the receiver says 2xx."""
        try:
            for attempt, wait in enumerate((0.0, *schedule)):
                if attempt:
                    await asyncio.sleep(wait)
                accepted = await self._attempt(delivery)
                delivery.first_attempt_done.set()
                if accepted:
                    delivery.status = "delivered"
                    return
            delivery.status = "failed"
        finally:
            delivery.first_attempt_done.set()

    async def _attempt(self, delivery: Delivery) -> bool:
        """One signed POST; records the answer (or transport error)."""
        event = delivery.event
        assert event.url is not None
        now = aware_now(self._clock)
        timestamp = str(int(now.timestamp()))
        body = event.body
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "ChangshaGovPlatform-Webhook/1.0",
            "X-Gov-Event-Id": event.id,
            "X-Gov-Timestamp": timestamp,
            "X-Gov-Signature": signature(self._secret, timestamp, body),
        }
        if delivery.kind == "tampered":
            body = _tampered(body)
        record: dict[str, Any] = {"at": iso(now), "statusCode": None, "error": None}
        delivery.attempts.append(record)
        try:
            response = await self._client().post(
                event.url, content=body, headers=headers, timeout=self.timeout_ms / 1000
            )
        except httpx.HTTPError as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            return False
        record["statusCode"] = response.status_code
        return 200 <= response.status_code < 300

    def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient()
        return self._http

    def reset(self) -> None:
        """Cancel deliveries under way, forget every event, default settings."""
        for task in self._tasks:
            task.cancel()
        self.events.clear()
        self.deliveries.clear()
        self.default_url = None
        self.drop_next = 0
        self.retry_schedule = _DEFAULT_SCHEDULE
        self.timeout_ms = 5000

    async def aclose(self) -> None:
        """Stop deliveries under way and close the HTTP client: the server is shutting down."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None


def _tampered(body: bytes) -> bytes:
    """The body as an attacker changed it after it was signed: the status says approved."""
    event = orjson.loads(body)
    event["status"] = "rejected" if event["status"] == "approved" else "approved"
    return orjson.dumps(event)
