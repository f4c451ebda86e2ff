"""WeChat Pay's request authentication, `WECHATPAY2-SHA256-RSA2048`, checked when configured.

Every merchant request to WeChat Pay carries
`Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",
timestamp="…",serial_no="…"`, the signature being RSA-SHA256 by the merchant's private key
over `"{METHOD}\\n{path?query}\\n{timestamp}\\n{nonce}\\n{body}\\n"`.

The simulator does not know the graph's merchant key in the dev stack, so by default it does
not check these headers at all. Given the merchant's public key (`create_app(
merchant_public_key_pem=…)`), it checks them like WeChat and answers 401 SIGN_ERROR, which is
how the client's request signing is tested.
"""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from starlette.requests import Request

from mychangsha.simulators.payment.orders import WechatPayError

__all__ = ["SCHEME", "MerchantAuthenticator"]

SCHEME: Final = "WECHATPAY2-SHA256-RSA2048"
_PARAM: Final = re.compile(r'\s*([a-z_]+)="([^"]*)"\s*(?:,|$)')
_REQUIRED: Final = frozenset({"mchid", "nonce_str", "signature", "timestamp", "serial_no"})
# WeChat refuses requests whose timestamp is more than five minutes off.
_MAX_SKEW_SECONDS: Final = 300


def _parameters(header: str) -> dict[str, str] | None:
    """The key="value" pairs after the scheme, or None when the header is not of that form."""
    scheme, _, rest = header.partition(" ")
    if scheme != SCHEME:
        return None
    found = dict(_PARAM.findall(rest))
    return found if found.keys() >= _REQUIRED else None


def _refused(reason: str) -> WechatPayError:
    return WechatPayError(401, "SIGN_ERROR", f"签名错误: {reason}")


class MerchantAuthenticator:
    """Verifies the Authorization header of merchant requests against one public key."""

    def __init__(self, public_key_pem: bytes) -> None:
        key = serialization.load_pem_public_key(public_key_pem)
        if not isinstance(key, rsa.RSAPublicKey):
            raise ValueError("the merchant key must be an RSA public key")
        self._key = key

    def check(self, request: Request, body: bytes, now: datetime) -> None:
        """Raise 401 SIGN_ERROR unless the request is signed by the merchant, recently."""
        params = _parameters(request.headers.get("authorization", ""))
        if params is None:
            raise _refused(f"Authorization must be {SCHEME} with {', '.join(sorted(_REQUIRED))}")
        timestamp = params["timestamp"]
        if not timestamp.isdigit() or abs(now.timestamp() - int(timestamp)) > _MAX_SKEW_SECONDS:
            raise _refused("timestamp is missing or more than five minutes off")
        url = request.scope["raw_path"].decode("latin-1")
        if query := request.scope["query_string"]:
            url += "?" + query.decode("latin-1")
        message = f"{request.method}\n{url}\n{timestamp}\n{params['nonce_str']}\n".encode()
        try:
            signature = base64.b64decode(params["signature"], validate=True)
            self._key.verify(signature, message + body + b"\n", padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error):
            raise _refused("the signature does not verify") from None
