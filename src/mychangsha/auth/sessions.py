"""Sign-in sessions and their rotating refresh tokens.

A session is one signed-in device. Its refresh token is opaque (256 random bits), stored only
as a SHA-256 hash, and replaced on every use. Presenting a token that was already spent means
two parties hold it — the device and a thief — so the whole session is revoked. Spending is a
single conditional update, so two racing refreshes with one token cannot both succeed.

Revocation is written to MongoDB (the record) and to Redis (what every request checks, with a
TTL as long as an access token can live). When Redis cannot answer, the check falls back to
MongoDB rather than letting a revoked session through. Redis may also forget (restarted
without persistence, flushed, or unreachable when a revocation was mirrored): it is trusted to
say "not revoked" only while it holds a completeness mark, which is set after the revocations
an access token may still outlive have been copied back from MongoDB.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import Redis
from redis.exceptions import RedisError

from mychangsha.platform.clock import utc_now
from mychangsha.storage.mongo import Document

log = logging.getLogger(__name__)

_REVOKED_KEY = "auth:revoked:{}"
# Present while Redis holds every revocation that is younger than the revocation TTL.
_COMPLETE_KEY = "auth:revoked:complete"


class InvalidRefreshToken(Exception):
    """The refresh token cannot be used; `reused` says the session was revoked because of it."""

    def __init__(self, reason: str, *, reused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reused = reused


@dataclass(frozen=True)
class SessionGrant:
    """A session and the refresh token that continues it."""

    session_id: str
    citizen_id: str
    refresh_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionStore:
    """Sessions in MongoDB, revocations mirrored in Redis."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        redis: Redis,
        *,
        refresh_lifetime: timedelta,
        revocation_ttl: timedelta,
    ) -> None:
        self._sessions: AsyncCollection[Document] = db.get_collection("sessions")
        self._refresh: AsyncCollection[Document] = db.get_collection("refresh_tokens")
        self._redis = redis
        self._refresh_lifetime = refresh_lifetime
        self._revocation_ttl = revocation_ttl
        self._restoring = asyncio.Lock()
        self._mirror_missed = False  # a revocation did not reach Redis: its mark is not true

    async def ensure_indexes(self) -> None:
        """Sessions by citizen and by revocation; refresh tokens age out on their own."""
        await self._sessions.create_index([("citizen_id", ASCENDING)])
        await self._sessions.create_index([("revoked_at", ASCENDING)])
        await self._refresh.create_index([("session_id", ASCENDING)])
        await self._refresh.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    async def start(
        self, citizen_id: str, *, client_ip: str | None, user_agent: str | None
    ) -> SessionGrant:
        """A new session for a citizen who just proved who they are."""
        now = utc_now()
        session_id = uuid.uuid4().hex
        await self._sessions.insert_one(
            {
                "_id": session_id,
                "citizen_id": citizen_id,
                "created_at": now,
                "refreshed_at": now,
                "revoked_at": None,
                "client": {"ip": client_ip, "user_agent": (user_agent or "")[:200]},
            }
        )
        token = await self._new_refresh_token(session_id, citizen_id, now)
        return SessionGrant(session_id, citizen_id, token)

    async def rotate(self, refresh_token: str) -> SessionGrant:
        """Spend a refresh token and hand out its successor; reuse revokes the session."""
        now = utc_now()
        token_hash = _hash(refresh_token)
        spent = await self._refresh.find_one_and_update(
            {"_id": token_hash, "spent_at": None},
            {"$set": {"spent_at": now}},
            return_document=ReturnDocument.AFTER,
        )
        if spent is None:
            known = await self._refresh.find_one({"_id": token_hash})
            if known is None:
                raise InvalidRefreshToken("unknown refresh token")
            await self.revoke(str(known["session_id"]), reason="refresh token reused")
            raise InvalidRefreshToken("refresh token reused", reused=True)
        if spent["expires_at"] <= now:
            raise InvalidRefreshToken("refresh token expired")
        session_id, citizen_id = str(spent["session_id"]), str(spent["citizen_id"])
        session = await self._sessions.find_one({"_id": session_id})
        if session is None or session.get("revoked_at") is not None:
            raise InvalidRefreshToken("session revoked")
        await self._sessions.update_one({"_id": session_id}, {"$set": {"refreshed_at": now}})
        token = await self._new_refresh_token(session_id, citizen_id, now)
        return SessionGrant(session_id, citizen_id, token)

    async def revoke(self, session_id: str, *, reason: str) -> None:
        """End a session everywhere at once."""
        await self._sessions.update_one(
            {"_id": session_id, "revoked_at": None},
            {"$set": {"revoked_at": utc_now(), "revoked_reason": reason}},
        )
        try:
            await self._redis.set(_REVOKED_KEY.format(session_id), reason, ex=self._revocation_ttl)
        except RedisError:
            self._mirror_missed = True
            log.warning("revocation of session %s not mirrored to Redis", session_id)

    async def is_revoked(self, session_id: str) -> bool:
        """Redis first (every request asks); MongoDB when Redis cannot say or has forgotten."""
        try:
            if self._mirror_missed:  # Redis is back: every process must restore from MongoDB
                await self._redis.delete(_COMPLETE_KEY)
                self._mirror_missed = False
            key = _REVOKED_KEY.format(session_id)
            marked, complete = await self._redis.mget(key, _COMPLETE_KEY)
            if marked is not None:
                return True
            if complete is not None:
                return False
            await self._restore_revocations()
        except RedisError:
            pass
        session = await self._sessions.find_one({"_id": session_id}, {"revoked_at": 1})
        return session is None or session.get("revoked_at") is not None

    async def _restore_revocations(self) -> None:
        """Copy the revocations an access token may still outlive back into Redis, then mark it.

        Later revocations are mirrored by `revoke` as usual; one that misses Redis clears the
        mark again. One restore at a time per process; a second process repeating it is harmless.
        """
        async with self._restoring:
            if await self._redis.exists(_COMPLETE_KEY):
                return
            now = utc_now()
            revoked = self._sessions.find(
                {"revoked_at": {"$gt": now - self._revocation_ttl}},
                {"revoked_at": 1, "revoked_reason": 1},
            )
            async with self._redis.pipeline(transaction=False) as pipe:
                async for session in revoked:
                    left = session["revoked_at"] + self._revocation_ttl - now
                    pipe.set(
                        _REVOKED_KEY.format(session["_id"]),
                        str(session.get("revoked_reason") or "revoked"),
                        px=max(int(left.total_seconds() * 1000), 1),
                    )
                pipe.set(_COMPLETE_KEY, now.isoformat())
                await pipe.execute()

    async def _new_refresh_token(self, session_id: str, citizen_id: str, now: datetime) -> str:
        token = secrets.token_urlsafe(32)
        await self._refresh.insert_one(
            {
                "_id": _hash(token),
                "session_id": session_id,
                "citizen_id": citizen_id,
                "issued_at": now,
                "expires_at": now + self._refresh_lifetime,
                "spent_at": None,
            }
        )
        return token
