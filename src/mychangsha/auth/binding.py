"""Binding tokens: a WeChat identity waiting for the phone that will own it.

A mini-program user whose openid is not yet linked gets a short-lived opaque token instead of
a session; signing in with a phone code and that token links the openid to the
phone-verified citizen. The token is single-use (GETDEL) and kept only as a hash.
"""

from __future__ import annotations

import hashlib
import secrets

from redis.asyncio import Redis

BINDING_TTL_SECONDS = 600


def _key(token: str) -> str:
    return "auth:binding:" + hashlib.sha256(token.encode()).hexdigest()


class WechatBindings:
    """Pending links from a WeChat openid to a citizen."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def create(self, openid: str) -> str:
        """A new binding token for this openid."""
        token = secrets.token_urlsafe(32)
        await self._redis.set(_key(token), openid, ex=BINDING_TTL_SECONDS)
        return token

    async def peek(self, token: str) -> str | None:
        """The openid a token would bind, without spending it."""
        value = await self._redis.get(_key(token))
        return None if value is None else (value.decode() if isinstance(value, bytes) else value)

    async def consume(self, token: str) -> str | None:
        """The openid, once; None for an unknown, expired or spent token."""
        value = await self._redis.getdel(_key(token))
        return None if value is None else (value.decode() if isinstance(value, bytes) else value)
