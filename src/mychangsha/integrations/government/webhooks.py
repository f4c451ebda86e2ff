"""Verifying the platform's status webhooks: signature over the raw bytes, then freshness.

The callback URL is public, so nothing in a webhook is believed until `X-Gov-Signature`
(`sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`) verifies over the bytes exactly as
received, compared in constant time, and `X-Gov-Timestamp` is within `tolerance` seconds of our
clock, which bounds replays. The platform retries and duplicates deliveries with the same
`eventId`, so a verified change is "something changed" to be deduplicated
(`first_delivery`), never a trusted order of events: read the application to learn its state.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from mychangsha.integrations.government.models import StatusChange
from mychangsha.integrations.government.wire import StatusEventJson

__all__ = ["DEDUP_SECONDS", "InvalidWebhook", "first_delivery", "verify_webhook"]

# Longer than the platform's whole retry schedule (about 9 s) by far: a duplicate never slips.
DEDUP_SECONDS: Final = 24 * 3600
_SCHEME: Final = "sha256="


class InvalidWebhook(Exception):
    """A request to our callback that is not a genuine, fresh webhook; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def verify_webhook(
    secret: bytes,
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float,
    tolerance: float = 300,
) -> StatusChange:
    """The status change a webhook reports, after its signature and timestamp checked out.

    Pass the raw body bytes as received (the signature covers them) and the wall clock in
    Unix seconds. Raises `InvalidWebhook` for missing headers, a bad or forged signature, a
    timestamp further than `tolerance` seconds from `now`, or a body that is not an event.
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    timestamp = lowered.get("x-gov-timestamp", "")
    signature = lowered.get("x-gov-signature", "")
    if not timestamp or not signature:
        raise InvalidWebhook("X-Gov-Timestamp or X-Gov-Signature is missing")
    if not timestamp.isascii() or not timestamp.isdigit():
        raise InvalidWebhook(f"X-Gov-Timestamp {timestamp!r} is not Unix seconds")
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.encode(), (_SCHEME + digest).encode()):
        raise InvalidWebhook("X-Gov-Signature does not verify")
    skew = abs(now - int(timestamp))
    if skew > tolerance:
        raise InvalidWebhook(f"X-Gov-Timestamp is {skew:.0f}s off: stale or replayed")
    try:
        event = StatusEventJson.model_validate_json(body)
    except ValidationError:
        raise InvalidWebhook("the body is not a status event") from None
    header_id = lowered.get("x-gov-event-id")
    if header_id is not None and header_id != event.event_id:
        raise InvalidWebhook("X-Gov-Event-Id does not match the body's eventId")
    return event.to_domain()


async def first_delivery(redis: Redis, event_id: str, *, seconds: int = DEDUP_SECONDS) -> bool:
    """True once per event id across every replica (Redis `SET NX`); False for duplicates."""
    key = f"mychangsha:gov:webhook:{event_id}"
    return bool(await redis.set(key, b"1", nx=True, ex=seconds))
