"""One-time sign-in codes sent by SMS.

Six digits, valid five minutes, five tries per code, a minute between sends, ten sends per
phone per day and a per-IP budget for both sending and trying. Codes live in Redis only as a
keyed hash. Every try first spends one of the code's tries in an atomic script and only then
compares (in constant time), so parallel guesses cannot get more than five attempts; the
successful comparison deletes the code in a second script that only deletes the very code
that was compared, so a code signs in once.

Redis failures refuse: a limiter that cannot count must not let a brute force through.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from redis.asyncio import Redis

from mychangsha.auth.crypto import FieldCipher
from mychangsha.auth.ratelimit import Limit, RateLimiter
from mychangsha.integrations.sms.client import SmsClient

CODE_TTL_SECONDS = 300
MAX_TRIES = 5
RESEND_SECONDS = 60
SEND_PER_PHONE = Limit("otp.send.phone", max_hits=10, window_seconds=86_400)
SEND_PER_IP = Limit("otp.send.ip", max_hits=30, window_seconds=3_600)
TRY_PER_IP = Limit("otp.try.ip", max_hits=60, window_seconds=3_600)
_PURPOSE = "auth.otp"

# Spend one try; returns {stored hash, tries left after this one} or nil when no live code.
_SPEND_TRY = """
local h = redis.call('HGET', KEYS[1], 'h')
if not h then return nil end
local left = redis.call('HINCRBY', KEYS[1], 'left', -1)
if left < 0 then redis.call('DEL', KEYS[1]) return nil end
return {h, left}
"""
# Consume the code only if it is still the one that was compared.
_CONSUME = """
if redis.call('HGET', KEYS[1], 'h') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class CodeSent:
    """The code went out; how long it lives and when another may be asked for."""

    expires_in: int
    retry_after: int


@dataclass(frozen=True)
class Limited:
    """Too many requests (or the limits cannot be checked now); when to try again."""

    retry_after: int
    unavailable: bool = False


@dataclass(frozen=True)
class CodeRejected:
    """Wrong, expired or used-up code; how many tries the current code has left."""

    attempts_left: int


CodeChecked = Literal[True] | CodeRejected | Limited


def _code_key(phone: str) -> str:
    return f"otp:code:{phone}"


def _cooldown_key(phone: str) -> str:
    return f"otp:cooldown:{phone}"


class OneTimeCodes:
    """Sends and checks sign-in codes."""

    def __init__(
        self, redis: Redis, limiter: RateLimiter, cipher: FieldCipher, sms: SmsClient
    ) -> None:
        self._redis = redis
        self._limiter = limiter
        self._cipher = cipher
        self._sms = sms
        self._spend_try = redis.register_script(_SPEND_TRY)
        self._consume = redis.register_script(_CONSUME)

    def _hash(self, phone: str, code: str) -> str:
        return self._cipher.lookup_hash(f"{phone}:{code}", purpose=_PURPOSE)

    async def send(self, phone: str, *, client_ip: str) -> CodeSent | Limited:
        """Send a fresh code unless a limit says no; a new code replaces the previous one."""
        by_ip = await self._limiter.hit(SEND_PER_IP, client_ip)
        if not by_ip.allowed:
            return Limited(_seconds(by_ip.retry_after), by_ip.unavailable)
        # The cooldown is taken first and atomically: concurrent sends for a phone send once.
        if not await self._redis.set(_cooldown_key(phone), "1", ex=RESEND_SECONDS, nx=True):
            ttl = await self._redis.ttl(_cooldown_key(phone))
            return Limited(max(int(ttl), 1))
        by_phone = await self._limiter.hit(SEND_PER_PHONE, phone)
        if not by_phone.allowed:
            await self._redis.expire(_cooldown_key(phone), _seconds(by_phone.retry_after))
            return Limited(_seconds(by_phone.retry_after), by_phone.unavailable)
        code = f"{secrets.randbelow(1_000_000):06d}"
        key = _code_key(phone)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"h": self._hash(phone, code), "left": MAX_TRIES})
            pipe.expire(key, CODE_TTL_SECONDS)
            await pipe.execute()
        try:
            await self._sms.send_login_code(
                phone,
                code,
                valid_minutes=CODE_TTL_SECONDS // 60,
                idempotency_key=secrets.token_urlsafe(16),
            )
        except Exception:
            # Nothing was sent: the citizen may ask again at once.
            await self._redis.delete(key, _cooldown_key(phone))
            raise
        return CodeSent(expires_in=CODE_TTL_SECONDS, retry_after=RESEND_SECONDS)

    async def check(self, phone: str, code: str, *, client_ip: str) -> CodeChecked:
        """True exactly once for the right code; otherwise why not."""
        by_ip = await self._limiter.hit(TRY_PER_IP, client_ip)
        if not by_ip.allowed:
            return Limited(_seconds(by_ip.retry_after), by_ip.unavailable)
        key = _code_key(phone)
        spent = await self._spend_try(keys=[key])
        if spent is None:
            return CodeRejected(attempts_left=0)
        stored, left = spent[0], int(spent[1])
        stored_hash = stored.decode() if isinstance(stored, bytes) else str(stored)
        if not (code.isdigit() and len(code) == 6):
            return CodeRejected(attempts_left=left)
        if hmac.compare_digest(stored_hash, self._hash(phone, code)):
            if await self._consume(keys=[key], args=[stored_hash]):
                return True
            return CodeRejected(attempts_left=0)
        if left == 0:
            await self._redis.delete(key)
        return CodeRejected(attempts_left=left)


def _seconds(value: float) -> int:
    return max(int(value + 0.999), 1)
