"""Access tokens: short-lived ES256 JWTs, verified strictly.

Verification pins the algorithm (never trusting the token's own `alg`, which is how `none` and
HS256-with-the-public-key forgeries work), requires every claim the graph relies on, checks
issuer, audience and times with a small leeway, and finally asks the session store whether
the session was revoked: logout and refresh-token reuse take effect at once, not at expiry.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import jwt

from mychangsha.auth.keys import ALGORITHM, KeyRing

REQUIRED_CLAIMS = ("iss", "aud", "sub", "iat", "exp", "jti", "sid", "lvl")


class InvalidToken(Exception):
    """The token must not be honoured; `reason` is for logs, never shown in detail."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class AccessClaims:
    """What a verified access token says about its bearer."""

    citizen_id: str
    session_id: str
    level: int
    token_id: str
    expires_at: int


@dataclass(frozen=True)
class IssuedToken:
    """A freshly signed access token and its lifetime in seconds."""

    token: str
    expires_in: int


class AccessTokens:
    """Signs and verifies the graph's access tokens."""

    def __init__(
        self,
        keys: KeyRing,
        *,
        issuer: str,
        audience: str,
        lifetime_seconds: int,
        leeway_seconds: int,
        is_revoked: Callable[[str], Awaitable[bool]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._lifetime = lifetime_seconds
        self._leeway = leeway_seconds
        self._is_revoked = is_revoked
        self._clock = clock

    async def issue(self, *, citizen_id: str, session_id: str, level: int) -> IssuedToken:
        """A new access token for a session, signed with the active key."""
        key = await self._keys.signing_key()
        now = int(self._clock())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": citizen_id,
            "iat": now,
            "exp": now + self._lifetime,
            "jti": secrets.token_urlsafe(16),
            "sid": session_id,
            "lvl": level,
        }
        token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
        return IssuedToken(token=token, expires_in=self._lifetime)

    async def verify(self, token: str) -> AccessClaims:
        """The token's claims, or InvalidToken for anything short of perfect."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("no kid")
        key = await self._keys.verification_key(kid)
        if key is None:
            raise InvalidToken("unknown or expired key")
        try:
            claims = jwt.decode(
                token,
                key.public_key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS), "verify_iat": True},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(type(exc).__name__) from exc
        access = _claims(claims)
        if await self._is_revoked(access.session_id):
            raise InvalidToken("session revoked")
        return access


def _claims(claims: dict[str, object]) -> AccessClaims:
    sub, sid, jti, lvl, exp = (claims[k] for k in ("sub", "sid", "jti", "lvl", "exp"))
    if not (isinstance(sub, str) and isinstance(sid, str) and isinstance(jti, str)):
        raise InvalidToken("claims of the wrong type")
    if not isinstance(lvl, int) or not isinstance(exp, int):
        raise InvalidToken("claims of the wrong type")
    return AccessClaims(citizen_id=sub, session_id=sid, level=lvl, token_id=jti, expires_at=exp)
