"""Compact JWS for things a third party verifies offline: certificate and ticket QR codes.

Signed with the same keys as access tokens, so a verifier needs only `/.well-known/jwks.json`
(cached for as long as it likes: keys are published before they sign). The `typ` header says
what a payload is, so a certificate QR can never be replayed as an access token or a ticket.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import jwt
from jwt.algorithms import ECAlgorithm

from mychangsha.auth.keys import ALGORITHM, KeyRing
from mychangsha.platform.clock import epoch_seconds

CLOCK_LEEWAY_SECONDS = 60


class InvalidSignedPayload(Exception):
    """The compact JWS does not verify against the published keys, or is of another type."""


async def sign(keys: KeyRing, payload: Mapping[str, Any], *, typ: str) -> str:
    """A compact JWS of the payload, with `kid` and `typ` headers and an `iat` claim."""
    key = await keys.signing_key()
    body = {**payload, "iat": int(epoch_seconds())}
    return jwt.encode(
        body, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": typ}
    )


def verify_offline(
    token: str,
    jwks: Mapping[str, Any],
    *,
    typ: str,
    now: float | None = None,
    leeway: float = CLOCK_LEEWAY_SECONDS,
) -> dict[str, Any]:
    """The payload, verified with a JWKS document alone (what a gate or a clerk's app does).

    `exp` and `nbf`, when present, are checked against `now` (default: the clock) with
    `leeway` seconds either way, since a gate's clock is rarely exact.
    """
    claims = verify_signature(token, jwks, typ=typ)
    check_window(claims, epoch_seconds() if now is None else now, leeway=leeway)
    return claims


def verify_signature(token: str, jwks: Mapping[str, Any], *, typ: str) -> dict[str, Any]:
    """The payload if a published key signed it and it is of type `typ`; no time checks."""
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
            options={
                "require": ["iat"],
                "verify_aud": False,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise InvalidSignedPayload(type(exc).__name__) from exc
    return claims


class OutsideValidity(InvalidSignedPayload):
    """Genuine, but not valid at this moment: `too_early` before `nbf`, else after `exp`."""

    def __init__(self, reason: str, *, too_early: bool) -> None:
        super().__init__(reason)
        self.too_early = too_early


def check_window(
    claims: Mapping[str, Any], now: float, *, leeway: float = CLOCK_LEEWAY_SECONDS
) -> None:
    """Refuse a payload outside its validity window (numeric `nbf`/`exp`, in seconds)."""
    for name in ("nbf", "exp"):
        if name in claims and not isinstance(claims[name], int | float):
            raise InvalidSignedPayload(f"{name} is not a number")
    if "exp" in claims and now > claims["exp"] + leeway:
        raise OutsideValidity("expired", too_early=False)
    if "nbf" in claims and now < claims["nbf"] - leeway:
        raise OutsideValidity("not valid yet", too_early=True)
