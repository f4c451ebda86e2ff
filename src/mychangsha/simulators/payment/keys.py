"""The payment simulator's keys: the platform's RSA signing key and the merchant's APIv3 key.

WeChat Pay signs every notification with its *platform* private key (RSA-2048, SHA256 with
PKCS#1 v1.5) and names the key by its certificate serial in `Wechatpay-Serial`; the merchant
verifies with the matching public key. The resource inside a notification is encrypted with
AES-256-GCM under the merchant's 32-byte *APIv3 key*, set by the merchant in WeChat's console
and therefore known to both sides.

Without a configured key the simulator generates one RSA-2048 pair the first time it is
needed in a process and reuses it for every later app of that process (generating costs tens
of milliseconds); nothing is persisted. The graph never needs this key: it downloads the
public half from `GET /v3/certificates`, exactly as against WeChat.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "API_V3_KEY_BYTES",
    "DEV_API_V3_KEY",
    "PlatformKey",
    "check_api_v3_key",
    "dev_platform_private_key",
    "encrypt_resource",
    "load_private_key",
    "new_platform_private_key",
    "random_nonce",
]

# The dev stack's APIv3 key: a published simulator value, not a secret. WeChat requires
# exactly 32 bytes, used directly as the AES-256 key.
DEV_API_V3_KEY: Final = "mychangsha-dev-apiv3-key-0123456"
API_V3_KEY_BYTES: Final = 32
# WeChat's platform certificates are valid for five years.
KEY_LIFETIME: Final = timedelta(days=5 * 365)
_NONCE_ALPHABET: Final = string.ascii_letters + string.digits


def check_api_v3_key(key: str) -> bytes:
    """The key as AES key bytes; refuses any length but 32, as WeChat's console does."""
    raw = key.encode()
    if len(raw) != API_V3_KEY_BYTES:
        raise ValueError(f"an APIv3 key is {API_V3_KEY_BYTES} bytes, got {len(raw)}")
    return raw


def random_nonce(length: int) -> str:
    """A random alphanumeric string, as WeChat's nonces are (12 for GCM, 32 for signatures)."""
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(length))


def new_platform_private_key() -> rsa.RSAPrivateKey:
    """A fresh RSA-2048 key, the size WeChat's platform certificates use."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def dev_platform_private_key() -> rsa.RSAPrivateKey:
    """The process's one generated platform key: stable across apps, never written anywhere."""
    return new_platform_private_key()


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (PKCS#8 or PKCS#1); anything else is a configuration error."""
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the platform key must be an RSA private key")
    return key


def _serial_of(public_key: rsa.RSAPublicKey) -> str:
    """A certificate-serial-like name: 40 upper-case hex digits, stable for the key."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


@dataclass(frozen=True, slots=True)
class PlatformKey:
    """One platform signing key with the serial and validity its certificate would carry."""

    private_key: rsa.RSAPrivateKey
    serial_no: str
    effective_time: datetime
    expire_time: datetime

    @classmethod
    def of(cls, private_key: rsa.RSAPrivateKey, *, effective: datetime) -> PlatformKey:
        """Wrap a private key, valid from `effective` for WeChat's five years."""
        serial = _serial_of(private_key.public_key())
        return cls(private_key, serial, effective, effective + KEY_LIFETIME)

    def public_key_pem(self) -> str:
        """The public half as SubjectPublicKeyInfo PEM, what `/v3/certificates` hands out."""
        return (
            self.private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, message: bytes) -> str:
        """Base64 of SHA256-with-RSA (PKCS#1 v1.5) over the message, as `Wechatpay-Signature`."""
        signature = self.private_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode()


def encrypt_resource(
    api_v3_key: bytes, plaintext: bytes, *, associated_data: str
) -> tuple[str, str]:
    """AES-256-GCM as WeChat does it: a 12-character nonce; base64 of ciphertext || tag."""
    nonce = random_nonce(12)
    sealed = AESGCM(api_v3_key).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return base64.b64encode(sealed).decode(), nonce
