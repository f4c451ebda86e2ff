"""Everything identity needs, assembled once per process from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis

from mychangsha.auth.binding import WechatBindings
from mychangsha.auth.crypto import FieldCipher
from mychangsha.auth.keys import KeyRing
from mychangsha.auth.otp import OneTimeCodes
from mychangsha.auth.ratelimit import RateLimiter
from mychangsha.auth.sessions import SessionStore
from mychangsha.auth.tokens import AccessTokens
from mychangsha.integrations.realname.client import RealNameClient
from mychangsha.integrations.sms.client import SmsClient
from mychangsha.integrations.wechat.client import WechatClient
from mychangsha.settings import Settings
from mychangsha.storage.citizens import CitizenRepository
from mychangsha.storage.mongo import Document


@dataclass(frozen=True)
class Identity:
    """Keys, tokens, sessions, codes, limits, citizens and the identity upstreams."""

    cipher: FieldCipher
    keys: KeyRing
    tokens: AccessTokens
    sessions: SessionStore
    codes: OneTimeCodes
    limiter: RateLimiter
    citizens: CitizenRepository
    bindings: WechatBindings
    wechat: WechatClient
    realname: RealNameClient

    async def ensure_ready(self) -> None:
        """Indexes, and a signing key on a deployment's very first start."""
        await self.citizens.ensure_indexes()
        await self.sessions.ensure_indexes()
        await self.keys.ensure_indexes()
        await self.keys.ensure_signing_key()


def build_identity(
    settings: Settings,
    *,
    cipher: FieldCipher,
    db: AsyncDatabase[Document],
    redis: Redis,
    sms: SmsClient,
    wechat: WechatClient,
    realname: RealNameClient,
) -> Identity:
    """Wire the identity pieces together; no I/O happens here."""
    access_lifetime = timedelta(seconds=settings.access_token_seconds)
    leeway = timedelta(seconds=settings.jwt_leeway_seconds)
    keys = KeyRing(
        db,
        cipher,
        verify_window=access_lifetime + leeway,
        cache_seconds=settings.signing_key_cache_seconds,
    )
    sessions = SessionStore(
        db,
        redis,
        refresh_lifetime=timedelta(days=settings.refresh_token_days),
        revocation_ttl=access_lifetime + leeway + timedelta(minutes=1),
    )
    limiter = RateLimiter(redis)
    return Identity(
        cipher=cipher,
        keys=keys,
        tokens=AccessTokens(
            keys,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            lifetime_seconds=settings.access_token_seconds,
            leeway_seconds=settings.jwt_leeway_seconds,
            is_revoked=sessions.is_revoked,
        ),
        sessions=sessions,
        codes=OneTimeCodes(redis, limiter, cipher, sms),
        limiter=limiter,
        citizens=CitizenRepository(db, cipher),
        bindings=WechatBindings(redis),
        wechat=wechat,
        realname=realname,
    )
