"""Sensitive fields at rest: authenticated encryption and keyed look-up hashes.

Why AES-256-GCM: it is an AEAD, so one primitive gives confidentiality *and* integrity — a
flipped byte in MongoDB fails loudly instead of decrypting to garbage — and it is the AEAD
with hardware support everywhere (AES-NI) and in every audited library. A fresh random
96-bit nonce per encryption keeps equal plaintexts from producing equal ciphertexts; with
random nonces one key stays safe for far more fields than this service will ever write
(the 2^32-messages guidance).

Why a ``purpose``: it is bound as associated data, so a ciphertext copied from one field to
another (a citizen's ``idNumber`` pasted into ``phone``, or into another record type) fails
authentication instead of being shown under the wrong label.

Why HKDF subkeys: one master key is all operations has to provision and rotate, yet
encryption and look-up hashing must never share a key (using one key in two constructions
voids the security argument of both). HKDF-SHA256 with distinct ``info`` labels derives
independent subkeys from the one master key.

Why the look-up hash is keyed: an ID number has little entropy (region, birth date, a
three-digit sequence and a check digit: about 10^11 candidates, far fewer for a known
city and age), so a plain SHA-256 of it is reversed by enumeration in minutes. HMAC-SHA256
with a secret subkey makes the hash useless to whoever steals the database without the key,
while staying deterministic so MongoDB can index it for equality look-ups.

Token format: ``"v1." + base64url(nonce || ciphertext-with-tag)`` (no padding). The
version prefix leaves room for key rotation or another algorithm later: a reader can tell
old tokens from new ones without guessing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["DecryptionFailed", "FieldCipher", "InvalidMasterKey"]

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
FORMAT_VERSION = "v1"
_TOKEN_PREFIX = FORMAT_VERSION + "."
_HKDF_SALT = b"mychangsha/field-cipher"
_ENCRYPTION_INFO = b"mychangsha/field-cipher/v1/aes-256-gcm"
_LOOKUP_INFO = b"mychangsha/field-cipher/v1/lookup-hmac-sha256"
_GENERATE_HINT = (
    'generate one with: python -c "from mychangsha.auth.crypto import FieldCipher; '
    'print(FieldCipher.generate_setting())"'
)


class InvalidMasterKey(ValueError):
    """The master key is missing, malformed or not 32 bytes; the message never holds the key."""


class DecryptionFailed(Exception):
    """A token was tampered with, belongs to another purpose or key, or is not a token at all."""


class FieldCipher:
    """Encrypts and hashes sensitive fields with subkeys derived from one 32-byte master key."""

    __slots__ = ("_aead", "_lookup_key")

    def __init__(self, master_key: bytes) -> None:
        """Derive the subkeys; the master key itself is not kept on the instance."""
        if not isinstance(master_key, bytes | bytearray) or len(master_key) != KEY_BYTES:
            raise InvalidMasterKey(f"the field-encryption master key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(_derive(bytes(master_key), _ENCRYPTION_INFO))
        self._lookup_key = _derive(bytes(master_key), _LOOKUP_INFO)

    def __repr__(self) -> str:
        """Never show key material, not even derived keys."""
        return "FieldCipher(<key hidden>)"

    @classmethod
    def from_setting(cls, value: str) -> FieldCipher:
        """Build from the base64 text a setting holds, so keys can live in env vars and secrets."""
        return cls(_decode_setting(value))

    @staticmethod
    def generate_setting() -> str:
        """A new random master key as url-safe base64 without padding (what from_setting reads)."""
        return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).rstrip(b"=").decode("ascii")

    def encrypt(self, plaintext: str, *, purpose: str) -> str:
        """Encrypt text (UTF-8) for one field; equal inputs give different tokens."""
        return self.encrypt_bytes(plaintext.encode("utf-8"), purpose=purpose)

    def decrypt(self, token: str, *, purpose: str) -> str:
        """Decrypt a token made by encrypt for the same purpose and key."""
        data = self.decrypt_bytes(token, purpose=purpose)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionFailed("the decrypted field is not UTF-8 text") from None

    def encrypt_bytes(self, data: bytes, *, purpose: str) -> str:
        """Encrypt bytes (e.g. a private signing key) bound to a purpose."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, data, _associated_data(purpose))
        return _TOKEN_PREFIX + _b64url_encode(nonce + sealed)

    def decrypt_bytes(self, token: str, *, purpose: str) -> bytes:
        """Authenticate and decrypt; any mismatch is DecryptionFailed, never wrong data."""
        aad = _associated_data(purpose)
        raw = _parse_token(token)
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionFailed(
                "authentication failed: tampered token, other purpose or other key"
            ) from None

    def lookup_hash(self, value: str, *, purpose: str) -> str:
        """Deterministic HMAC-SHA256 (hex) for indexed equality look-ups of an encrypted field.

        Pass the normalised value (e.g. ``parse_id_number(...).value``): the hash is exact.
        Purposes are length-prefixed in the message, so no (purpose, value) pair collides
        with another.
        """
        label = _checked_purpose(purpose).encode("utf-8")
        message = len(label).to_bytes(4, "big") + label + value.encode("utf-8")
        return hmac.new(self._lookup_key, message, hashlib.sha256).hexdigest()


def _derive(master_key: bytes, info: bytes) -> bytes:
    """One independent 32-byte subkey per use, so no key serves two constructions."""
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_HKDF_SALT, info=info)
    return hkdf.derive(master_key)


def _decode_setting(value: str) -> bytes:
    """Base64 (standard or url-safe, padding optional) to 32 bytes; errors never echo the value."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidMasterKey(
            f"the field-encryption master key setting is empty; {_GENERATE_HINT}"
        )
    text = value.strip().replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        key = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise InvalidMasterKey(
            f"the field-encryption master key setting is not valid base64; {_GENERATE_HINT}"
        ) from None
    if len(key) != KEY_BYTES:
        raise InvalidMasterKey(
            f"the field-encryption master key setting decodes to {len(key)} bytes, "
            f"expected exactly {KEY_BYTES}; {_GENERATE_HINT}"
        )
    return key


def _checked_purpose(purpose: str) -> str:
    """A purpose is required: an empty one would silently merge every field into one domain."""
    if not isinstance(purpose, str) or not purpose:
        raise ValueError("purpose must be a non-empty string such as 'citizen.idNumber'")
    return purpose


def _associated_data(purpose: str) -> bytes:
    """Bind the token version and the purpose, so neither can be swapped undetected."""
    return f"mychangsha/{FORMAT_VERSION}/{_checked_purpose(purpose)}".encode()


def _parse_token(token: str) -> bytes:
    """Check the version prefix and decode the body to ``nonce || ciphertext || tag``."""
    if not isinstance(token, str) or not token.startswith(_TOKEN_PREFIX):
        raise DecryptionFailed(f"not a {FORMAT_VERSION} field token")
    try:
        raw = _b64url_decode(token[len(_TOKEN_PREFIX) :])
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise DecryptionFailed("the field token is not valid base64url") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionFailed("the field token is too short")
    return raw


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
