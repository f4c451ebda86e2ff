"""Calls to the payment gateway (WeChat Pay API v3), through the shared upstream client.

Creating an order is idempotent by `out_trade_no`: WeChat answers the same prepay id for the
same order placed again, so the call is sent with `idempotent=True` and retried after a
timeout or a 502/503/504 without risk of a second order. Queries are live (never cached):
payment state is exactly what must not be stale.

Every request is signed like WeChat demands (`Authorization: WECHATPAY2-SHA256-RSA2048 …`,
RSA-SHA256 by the merchant key over method, URL, timestamp, nonce and body), so the same
client works against the real gateway; the simulator checks it only when given the merchant
public key. Answers are not signature-checked (WeChat signs them too): TLS to WeChat's host
is the trust anchor for answers, and the notification — the message that marks bills paid —
is verified in full by `notifications.py`.

Refusals keep WeChat's code in `PaymentRejected`: INVALID_REQUEST (the out_trade_no was used
for a different order), ORDERPAID, ORDER_CLOSED, PARAM_ERROR, SIGN_ERROR (our keys are
misconfigured). An unknown order on query is `UpstreamNotFound`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import string
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, TypeVar
from urllib.parse import quote

import orjson
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from pydantic import BaseModel, ValidationError

from mychangsha.integrations.errors import UpstreamRejected, UpstreamUnavailable
from mychangsha.integrations.http import UpstreamClient
from mychangsha.integrations.payment.models import PayChannel, PaymentResult, PrepayOrder
from mychangsha.integrations.payment.notifications import (
    NotificationVerifier,
    PlatformKeyCache,
    PlatformKeySource,
)
from mychangsha.integrations.payment.wire import (
    CertificatesJson,
    PrepayJson,
    TransactionJson,
    WechatErrorJson,
)
from mychangsha.platform.clock import epoch_seconds, utc_now

__all__ = [
    "PaymentClient",
    "PaymentRejected",
    "generate_merchant_key_pem",
    "merchant_serial_no",
]

log = logging.getLogger(__name__)

AUTH_SCHEME: Final = "WECHATPAY2-SHA256-RSA2048"
API_V3_KEY_BYTES: Final = 32
_ORDERS: Final = "/v3/pay/transactions"
_NONCE_ALPHABET: Final = string.ascii_letters + string.digits
_Model = TypeVar("_Model", bound=BaseModel)


def generate_merchant_key_pem() -> bytes:
    """A fresh RSA-2048 merchant key as PKCS#8 PEM, for the dev stack and tests.

    In production the key comes from WeChat's merchant console (`apiclient_key.pem`).
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def merchant_serial_no(public_key: rsa.RSAPublicKey) -> str:
    """A stand-in certificate serial for a merchant key without a certificate (dev only)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


def _nonce() -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(32))


def _load_merchant_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the merchant key must be an RSA private key")
    return key


class PaymentRejected(UpstreamRejected):
    """The gateway refused the request; `wechat_code` and `wechat_message` say why."""

    def __init__(
        self, upstream: str, *, status: int, body: Any, wechat_code: str, wechat_message: str
    ) -> None:
        super().__init__(
            upstream,
            f"{upstream} refused: {wechat_code} {wechat_message}",
            status=status,
            body=body,
        )
        self.wechat_code = wechat_code
        self.wechat_message = wechat_message


class PaymentClient:
    """WeChat Pay v3 as domain calls: orders, queries and notification verification."""

    def __init__(
        self,
        upstream: UpstreamClient,
        *,
        app_id: str,
        mch_id: str,
        api_v3_key: str,
        merchant_private_key_pem: bytes,
        platform_public_keys: PlatformKeySource | None = None,
        merchant_serial: str | None = None,
    ) -> None:
        if not app_id or not mch_id:
            raise ValueError("payments need the app id and the merchant id")
        raw_key = api_v3_key.encode()
        if len(raw_key) != API_V3_KEY_BYTES:
            raise ValueError(f"the APIv3 key is {API_V3_KEY_BYTES} bytes, got {len(raw_key)}")
        self._upstream = upstream
        self._app_id = app_id
        self._mch_id = mch_id
        self._merchant_key = _load_merchant_key(merchant_private_key_pem)
        self._merchant_serial = merchant_serial or merchant_serial_no(
            self._merchant_key.public_key()
        )
        keys = PlatformKeyCache(platform_public_keys or self._fetch_platform_keys)
        self._verifier = NotificationVerifier(api_v3_key=raw_key, mch_id=mch_id, keys=keys)

    # --- orders -----------------------------------------------------------------------------

    async def create_order(
        self,
        *,
        out_trade_no: str,
        amount_fen: int,
        description: str,
        notify_url: str,
        channel: PayChannel,
        payer_openid: str | None = None,
        expires_at: datetime | None = None,
    ) -> PrepayOrder:
        """Place the order (or find it again: same number and fields, same prepay id).

        A payer openid makes it a JSAPI order (mini-program), none an APP order. `expires_at`
        becomes `time_expire`; it is part of the order, so pass the same value on a repeat.
        Raises `PaymentRejected` (INVALID_REQUEST when the number was used for a different
        order, ORDERPAID, ORDER_CLOSED) and the transport errors of `UpstreamClient`.
        """
        if amount_fen <= 0:
            raise ValueError(f"an order must be for a positive number of fen, got {amount_fen}")
        if expires_at is not None and expires_at.utcoffset() is None:
            raise ValueError("expires_at must be timezone-aware")
        if channel is PayChannel.ALIPAY and payer_openid is not None:
            raise ValueError("an Alipay payment has no WeChat openid")
        trade_type = "jsapi" if payer_openid is not None else "app"
        payload: dict[str, Any] = {
            "appid": self._app_id,
            "mchid": self._mch_id,
            "description": description,
            "out_trade_no": out_trade_no,
            "notify_url": notify_url,
            "amount": {"total": amount_fen, "currency": "CNY"},
        }
        if expires_at is not None:
            payload["time_expire"] = expires_at.isoformat(timespec="seconds")
        if payer_openid is not None:
            payload["payer"] = {"openid": payer_openid}
        body = await self._call("POST", f"{_ORDERS}/{trade_type}", payload, idempotent=True)
        prepay_id = self._parse(PrepayJson, body).prepay_id
        return PrepayOrder(prepay_id=prepay_id, pay_params=self.pay_params(prepay_id))

    def pay_params(self, prepay_id: str) -> dict[str, str]:
        """WeChat's `requestPayment` parameters, paySign over appId, timeStamp, nonceStr, package.

        Each call signs afresh (new timestamp and nonce); any of them pays the same order.
        """
        params = {
            "appId": self._app_id,
            "timeStamp": str(int(epoch_seconds())),
            "nonceStr": _nonce(),
            "package": f"prepay_id={prepay_id}",
            "signType": "RSA",
        }
        lines = (params["appId"], params["timeStamp"], params["nonceStr"], params["package"])
        params["paySign"] = self._sign("".join(f"{line}\n" for line in lines).encode())
        return params

    async def query(self, out_trade_no: str) -> PaymentResult:
        """The order's state at the gateway, never cached; `UpstreamNotFound` when unknown."""
        path = f"{_ORDERS}/out-trade-no/{quote(out_trade_no, safe='')}"
        body = await self._call("GET", f"{path}?mchid={quote(self._mch_id, safe='')}")
        return self._parse(TransactionJson, body).to_domain()

    async def close(self, out_trade_no: str) -> None:
        """Close an unpaid order, so a late payment cannot arrive; ORDERPAID when it has."""
        path = f"{_ORDERS}/out-trade-no/{quote(out_trade_no, safe='')}/close"
        await self._call("POST", path, {"mchid": self._mch_id}, idempotent=True)

    # --- notifications ----------------------------------------------------------------------

    async def verify_notification(self, headers: Mapping[str, str], body: bytes) -> PaymentResult:
        """The payment a request to notify_url reports, or `InvalidNotification`.

        Pass the raw body bytes as received: the signature covers them exactly.
        """
        return await self._verifier.verify(headers, body)

    async def _fetch_platform_keys(self) -> dict[str, rsa.RSAPublicKey]:
        """`GET /v3/certificates`: the keys by serial that may sign notifications now."""
        listing = self._parse(CertificatesJson, await self._call("GET", "/v3/certificates"))
        now = utc_now()
        keys: dict[str, rsa.RSAPublicKey] = {}
        for entry in listing.data:
            key = serialization.load_pem_public_key(entry.public_key_pem.encode())
            if isinstance(key, rsa.RSAPublicKey) and entry.valid_at(now):
                keys[entry.serial_no] = key
        return keys

    # --- transport --------------------------------------------------------------------------

    async def _call(
        self, method: str, url: str, payload: Any = None, *, idempotent: bool = True
    ) -> Any:
        """A signed request; WeChat's refusals become `PaymentRejected`."""
        content = b"" if payload is None else orjson.dumps(payload)
        headers = {"authorization": self._authorization(method, url, content)}
        try:
            _, body = await self._upstream.send_json(
                method, url, json=payload, headers=headers, idempotent=idempotent
            )
        except UpstreamRejected as exc:
            raise self._rejected(exc) from None
        return body

    def _authorization(self, method: str, url: str, content: bytes) -> str:
        """WeChat's request signature over method, path and query, timestamp, nonce, body."""
        timestamp, nonce = str(int(epoch_seconds())), _nonce()
        message = f"{method}\n{url}\n{timestamp}\n{nonce}\n".encode() + content + b"\n"
        return (
            f'{AUTH_SCHEME} mchid="{self._mch_id}",nonce_str="{nonce}",'
            f'signature="{self._sign(message)}",timestamp="{timestamp}",'
            f'serial_no="{self._merchant_serial}"'
        )

    def _sign(self, message: bytes) -> str:
        signature = self._merchant_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()

    def _rejected(self, exc: UpstreamRejected) -> PaymentRejected:
        try:
            error = WechatErrorJson.model_validate(exc.body)
        except ValidationError:
            error = WechatErrorJson(code="UNKNOWN", message=str(exc.body))
        if error.code == "SIGN_ERROR":
            log.error("the payment gateway refuses our signature: check the merchant key")
        return PaymentRejected(
            exc.upstream,
            status=exc.status,
            body=exc.body,
            wechat_code=error.code,
            wechat_message=error.message,
        )

    def _parse(self, model: type[_Model], body: Any) -> _Model:
        try:
            return model.model_validate(body)
        except ValidationError:
            name = self._upstream.config.name
            raise UpstreamUnavailable(name, f"{name}: unexpected answer shape") from None
