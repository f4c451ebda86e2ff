"""Signed QR payloads verify offline with the JWKS alone; tampering and retyping do not."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from mychangsha.auth.crypto import FieldCipher
from mychangsha.auth.jws import InvalidSignedPayload, sign, verify_offline
from mychangsha.auth.keys import KeyRing
from mychangsha.storage import mongo


@pytest.fixture
async def keys(mongo_url: str) -> AsyncIterator[KeyRing]:
    client = mongo.connect(mongo_url)
    db = client.get_database(f"test_jws_{uuid.uuid4().hex[:8]}")
    ring = KeyRing(db, FieldCipher(bytes(range(32))), verify_window=timedelta(minutes=15))
    await ring.ensure_signing_key()
    yield ring
    await client.drop_database(db.name)
    await client.close()


async def test_a_certificate_payload_verifies_with_the_jwks(keys: KeyRing) -> None:
    token = await sign(keys, {"cert": "营业执照", "no": "91430100MA4L"}, typ="cert+jws")
    claims = verify_offline(token, await keys.jwks(), typ="cert+jws")
    assert claims["cert"] == "营业执照" and claims["no"] == "91430100MA4L"


async def test_tampered_retyped_or_foreign_payloads_do_not(keys: KeyRing) -> None:
    token = await sign(keys, {"no": "A1"}, typ="cert+jws")
    jwks = await keys.jwks()
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-2]}AA.{signature}"
    with pytest.raises(InvalidSignedPayload):
        verify_offline(tampered, jwks, typ="cert+jws")
    with pytest.raises(InvalidSignedPayload):
        verify_offline(token, jwks, typ="ticket+jws")
    with pytest.raises(InvalidSignedPayload):
        verify_offline(token, {"keys": []}, typ="cert+jws")
    with pytest.raises(InvalidSignedPayload):
        verify_offline("garbage", jwks, typ="cert+jws")
