"""Verifying WeChat Pay v3 notifications: freshness, the platform's signature, decryption.

`notify_url` is public, so anybody can post to it: nothing in a notification is believed
until (1) its `Wechatpay-Timestamp` is within five minutes of our clock, which bounds
replays, (2) `Wechatpay-Signature` verifies over `"{timestamp}\\n{nonce}\\n{body}\\n"` with
the platform key named by `Wechatpay-Serial`, and (3) the resource decrypts under our APIv3
key (AES-256-GCM authenticates it too) to a transaction of our merchant id. Any failure is
`InvalidNotification`: the caller answers non-2xx and WeChat retries a genuine one later.

Replays inside the five minutes and WeChat's own duplicates verify fine; they are harmless
because the caller marks an order paid at most once (`storage.payments.mark_paid`).

Platform keys are fetched once and cached by serial. A notification signed by an unknown
serial (WeChat rotated its key) refetches, but at most once per `refetch_interval`, so a
stream of forged serials cannot turn into a stream of requests to the gateway.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError

from mychangsha.integrations.payment.models import PaymentResult
from mychangsha.integrations.payment.wire import NotificationJson, ResourceJson, TransactionJson

__all__ = [
    "MAX_CLOCK_SKEW_SECONDS",
    "InvalidNotification",
    "NotificationVerifier",
    "PlatformKeyCache",
    "PlatformKeySource",
]

PlatformKeySource = Callable[[], Awaitable[dict[str, RSAPublicKey]]]

# WeChat's own rule for both directions: a signed message more than 5 minutes old is refused.
MAX_CLOCK_SKEW_SECONDS: Final = 300
_HEADERS: Final = ("wechatpay-timestamp", "wechatpay-nonce", "wechatpay-serial")


class InvalidNotification(Exception):
    """A request to notify_url that is not a genuine, fresh notification of ours; `reason` why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PlatformKeyCache:
    """Platform public keys by serial: loaded once, refetched (rarely) for unknown serials."""

    def __init__(
        self,
        source: PlatformKeySource,
        *,
        refetch_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._refetch_interval = refetch_interval
        self._clock = clock
        self._keys: dict[str, RSAPublicKey] | None = None
        self._generation = 0
        self._last_refetch: float | None = None
        self._lock = asyncio.Lock()

    async def get(self, serial: str) -> RSAPublicKey | None:
        """The key for a serial; None when the gateway does not list it (even after a refetch)."""
        if self._keys is None:
            await self._load(self._generation)
        assert self._keys is not None
        key = self._keys.get(serial)
        if key is None and self._may_refetch():
            self._last_refetch = self._clock()
            await self._load(self._generation)
            key = self._keys.get(serial)
        return key

    def _may_refetch(self) -> bool:
        last = self._last_refetch
        return last is None or self._clock() - last >= self._refetch_interval

    async def _load(self, seen_generation: int) -> None:
        """Fetch the keys, once for all waiters: a load finished meanwhile counts as ours."""
        async with self._lock:
            if self._keys is not None and self._generation != seen_generation:
                return
            try:
                keys = await self._source()
            except Exception as exc:  # whatever the source's failure, the notification fails
                raise InvalidNotification(f"platform keys unavailable: {exc}") from exc
            self._keys = dict(keys)
            self._generation += 1


def _signature_message(timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{timestamp}\n{nonce}\n".encode() + body + b"\n"


def _decrypt(api_v3_key: bytes, resource: ResourceJson) -> bytes:
    """AES-256-GCM open: the tag also proves the resource was sealed with our APIv3 key."""
    if resource.algorithm != "AEAD_AES_256_GCM":
        raise InvalidNotification(f"unsupported algorithm {resource.algorithm!r}")
    try:
        sealed = base64.b64decode(resource.ciphertext, validate=True)
        return AESGCM(api_v3_key).decrypt(
            resource.nonce.encode(), sealed, resource.associated_data.encode()
        )
    except (InvalidTag, binascii.Error, ValueError):
        raise InvalidNotification("the resource does not decrypt with our APIv3 key") from None


class NotificationVerifier:
    """Turns a request to notify_url into a `PaymentResult`, or refuses it."""

    def __init__(
        self,
        *,
        api_v3_key: bytes,
        mch_id: str,
        keys: PlatformKeyCache,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._api_v3_key = api_v3_key
        self._mch_id = mch_id
        self._keys = keys
        self._wall = wall_clock

    async def verify(self, headers: Mapping[str, str], body: bytes) -> PaymentResult:
        """The paid transaction the notification reports, after every check passed."""
        lowered = {name.lower(): value for name, value in headers.items()}
        timestamp, nonce, serial = (lowered.get(name, "") for name in _HEADERS)
        signature = lowered.get("wechatpay-signature", "")
        if not (timestamp and nonce and serial and signature):
            raise InvalidNotification("Wechatpay-* signature headers are missing")
        self._check_fresh(timestamp)
        await self._check_signature(serial, signature, _signature_message(timestamp, nonce, body))
        return self._transaction(body)

    def _check_fresh(self, timestamp: str) -> None:
        if not timestamp.isdigit():
            raise InvalidNotification(f"Wechatpay-Timestamp {timestamp!r} is not a number")
        skew = abs(self._wall() - int(timestamp))
        if skew > MAX_CLOCK_SKEW_SECONDS:
            raise InvalidNotification(f"Wechatpay-Timestamp is {skew:.0f}s off: stale or replayed")

    async def _check_signature(self, serial: str, signature: str, message: bytes) -> None:
        key = await self._keys.get(serial)
        if key is None:
            raise InvalidNotification(f"no platform key has serial {serial!r}")
        try:
            raw = base64.b64decode(signature, validate=True)
            key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error):
            raise InvalidNotification("Wechatpay-Signature does not verify") from None

    def _transaction(self, body: bytes) -> PaymentResult:
        try:
            event = NotificationJson.model_validate_json(body)
        except ValidationError:
            raise InvalidNotification("the body is not a WeChat Pay notification") from None
        if event.event_type != "TRANSACTION.SUCCESS":
            raise InvalidNotification(f"not a payment notification: {event.event_type!r}")
        plaintext = _decrypt(self._api_v3_key, event.resource)
        try:
            transaction = TransactionJson.model_validate_json(plaintext)
        except ValidationError:
            raise InvalidNotification("the resource is not a transaction") from None
        if transaction.mchid != self._mch_id:
            raise InvalidNotification(f"the transaction is merchant {transaction.mchid}'s")
        if transaction.trade_state != "SUCCESS":
            raise InvalidNotification(f"the transaction is {transaction.trade_state}, not paid")
        return transaction.to_domain()
