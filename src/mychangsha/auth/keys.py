"""Signing keys for access tokens: stored encrypted in MongoDB, rotated without logging anyone out.

Every process signs with the newest active key and verifies with any key still published.
A rotation inserts a new key that becomes active after a lead time, and retires the current
one at that moment. During the lead the new key is already in the JWKS, so verifiers that
cache the key set (gates, other services) know it before the first token it signs. A retired
key stays published and keeps verifying until the last token it can have signed has expired:
its retirement plus the access-token lifetime, the leeway, and the time other processes may
still sign with it before their key cache refreshes. Private keys are encrypted with the
master key, so a database dump alone cannot mint tokens.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from mychangsha.auth.crypto import FieldCipher
from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document

ALGORITHM = "ES256"
KEY_PURPOSE = "auth.signing-key"
# How long a process trusts its cached key list by default; rotation reaches every process
# within this.
CACHE_SECONDS = 30.0
# Default lead of a rotation: the JWKS max-age plus a process's key cache, so every verifier
# has the new key before anything is signed with it.
ROTATION_LEAD = timedelta(seconds=300 + CACHE_SECONDS)
# An unknown `kid` triggers a reload at most this often, so forged kids cannot hammer MongoDB.
MISS_RELOAD_SECONDS = 1.0


@dataclass(frozen=True)
class SigningKey:
    """One key pair; the private half is present only after decryption in this process."""

    kid: str
    private_key: ec.EllipticCurvePrivateKey
    public_key: ec.EllipticCurvePublicKey
    created_at: datetime
    activates_at: datetime
    retired_at: datetime | None

    def signs_at(self, moment: datetime) -> bool:
        """Whether this key is the one to sign with at a moment (if it is also the newest)."""
        return self.activates_at <= moment and (self.retired_at is None or moment < self.retired_at)

    def public_jwk(self) -> dict[str, Any]:
        """The public key as a JWK with its kid, algorithm and use."""
        jwk = ECAlgorithm.to_jwk(self.public_key, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": ALGORITHM, "use": "sig"}


class KeyRing:
    """The signing keys of the deployment, cached per process."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        cipher: FieldCipher,
        *,
        verify_window: timedelta,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._collection: AsyncCollection[Document] = db.get_collection("signing_keys")
        self._cipher = cipher
        self._verify_window = verify_window + timedelta(seconds=cache_seconds)
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._keys: dict[str, SigningKey] = {}
        self._loaded_at = -float("inf")
        self._lock = asyncio.Lock()

    async def ensure_indexes(self) -> None:
        """Newest first is how keys are read."""
        await self._collection.create_index([("created_at", DESCENDING)])

    async def ensure_signing_key(self) -> SigningKey:
        """The active key, created if the deployment has none yet (first start)."""
        await self._reload()
        active = self._active()
        if active is None:
            active = await self._insert_new_key(utc_now())
            await self._reload()
        return active

    async def rotate(self, lead: timedelta = ROTATION_LEAD) -> SigningKey:
        """Publish a new key now, sign with it after `lead`; older keys retire then."""
        activates_at = utc_now() + lead
        new_key = await self._insert_new_key(activates_at)
        await self._collection.update_many(
            {"_id": {"$ne": new_key.kid}, "retired_at": None},
            {"$set": {"retired_at": activates_at}},
        )
        await self._reload()
        return new_key

    async def prune(self) -> int:
        """Delete keys that can no longer verify any live token; how many went."""
        cutoff = utc_now() - self._verify_window - timedelta(days=1)
        result = await self._collection.delete_many({"retired_at": {"$lt": cutoff}})
        return result.deleted_count

    async def signing_key(self) -> SigningKey:
        """The newest active key; refreshed from MongoDB every CACHE_SECONDS."""
        if self._clock() - self._loaded_at > self._cache_seconds:
            await self._reload()
        active = self._active()
        if active is None:
            return await self.ensure_signing_key()
        return active

    async def verification_key(self, kid: str) -> SigningKey | None:
        """The key a token names, if it may still verify; reloads once on a miss."""
        if self._clock() - self._loaded_at > self._cache_seconds or (
            kid not in self._keys and self._clock() - self._loaded_at > MISS_RELOAD_SECONDS
        ):
            await self._reload()
        key = self._keys.get(kid)
        return key if key is not None and self._may_verify(key) else None

    async def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set: every key that may still verify a live token."""
        if self._clock() - self._loaded_at > self._cache_seconds:
            await self._reload()
        keys = sorted(self._keys.values(), key=lambda k: k.activates_at, reverse=True)
        return {"keys": [k.public_jwk() for k in keys if self._may_verify(k)]}

    async def list_keys(self) -> list[SigningKey]:
        """All stored keys, newest first (for the `keys` command)."""
        await self._reload()
        return sorted(self._keys.values(), key=lambda k: k.created_at, reverse=True)

    def _active(self) -> SigningKey | None:
        now = utc_now()
        active = [k for k in self._keys.values() if k.signs_at(now)]
        return max(active, key=lambda k: k.activates_at, default=None)

    def _may_verify(self, key: SigningKey) -> bool:
        if key.retired_at is None:
            return True
        return utc_now() < key.retired_at + self._verify_window

    async def _reload(self) -> None:
        async with self._lock:
            keys: dict[str, SigningKey] = {}
            async for doc in self._collection.find({}):
                cached = self._keys.get(str(doc["_id"]))
                if cached is not None:  # decrypting is the expensive part; retirement may change
                    keys[cached.kid] = SigningKey(
                        cached.kid,
                        cached.private_key,
                        cached.public_key,
                        cached.created_at,
                        cached.activates_at,
                        doc.get("retired_at"),
                    )
                else:
                    keys[str(doc["_id"])] = self._decode(doc)
            self._keys = keys
            self._loaded_at = self._clock()

    def _decode(self, doc: Document) -> SigningKey:
        pem = self._cipher.decrypt_bytes(doc["private_key"], purpose=KEY_PURPOSE)
        private_key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"signing key {doc['_id']} is not an EC key")
        created_at: datetime = doc["created_at"]
        activates_at: datetime = doc.get("activates_at") or created_at
        return SigningKey(
            kid=str(doc["_id"]),
            private_key=private_key,
            public_key=private_key.public_key(),
            created_at=created_at,
            activates_at=activates_at,
            retired_at=doc.get("retired_at"),
        )

    async def _insert_new_key(self, activates_at: datetime) -> SigningKey:
        private_key = ec.generate_private_key(ec.SECP256R1())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        created_at = utc_now()
        kid = f"{created_at:%Y%m%d}-{secrets.token_hex(4)}"
        await self._collection.insert_one(
            {
                "_id": kid,
                "alg": ALGORITHM,
                "private_key": self._cipher.encrypt_bytes(pem, purpose=KEY_PURPOSE),
                "created_at": created_at,
                "activates_at": activates_at,
                "retired_at": None,
            }
        )
        return SigningKey(
            kid, private_key, private_key.public_key(), created_at, activates_at, None
        )
