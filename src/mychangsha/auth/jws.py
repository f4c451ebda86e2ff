"""Compact JWS for things a third party verifies offline: certificate and ticket QR codes.

Signed with the same keys as access tokens, so a verifier needs only `/.well-known/jwks.json`
(cached for as long as it likes: keys are published before they sign). The `typ` header says
what a payload is, so a certificate QR can never be replayed as an access token or a ticket.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm

from mychangsha.auth.keys import ALGORITHM, KeyRing


class InvalidSignedPayload(Exception):
    """The compact JWS does not verify against the published keys, or is of another type."""


async def sign(keys: KeyRing, payload: Mapping[str, Any], *, typ: str) -> str:
    """A compact JWS of the payload, with `kid` and `typ` headers and an `iat` claim."""
    key = await keys.signing_key()
    body = {**payload, "iat": int(time.time())}
    return jwt.encode(
        body, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": typ}
    )


def verify_offline(token: str, jwks: Mapping[str, Any], *, typ: str) -> dict[str, Any]:
    """The payload, verified with a JWKS document alone (what a gate or a clerk's app does)."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidSignedPayload("malformed") from exc
    if header.get("alg") != ALGORITHM or header.get("typ") != typ:
        raise InvalidSignedPayload("wrong algorithm or type")
    jwk = next((k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid")), None)
    if jwk is None:
        raise InvalidSignedPayload("unknown key")
    public_key = ECAlgorithm.from_jwk(json.dumps(jwk))
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public_key,  # type: ignore[arg-type]
            algorithms=[ALGORITHM],
            options={"require": ["iat"], "verify_aud": False},
        )
    except jwt.PyJWTError as exc:
        raise InvalidSignedPayload(type(exc).__name__) from exc
    return claims
