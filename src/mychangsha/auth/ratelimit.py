"""Rate limits kept in Redis, so every process and replica counts against the same budget.

Algorithm: a sliding log. Each recorded hit is one member of a sorted set scored by its time
in microseconds; a hit is allowed when the members younger than the window, plus its cost,
fit in ``max_hits``. Unlike a fixed window it has no boundary burst (no 2x the limit across
a window edge), and it is exact, which matters for SMS budgets that cost money. Memory is
one member per *allowed* hit, bounded by ``max_hits`` per key, which is fine for the small
limits used here (OTP sends, logins, per-citizen API budgets).

Atomicity: prune, count, decide and record run in one Lua script, which Redis executes
without interleaving, so 200 concurrent hits from any number of processes against a limit of
50 allow exactly 50. Time comes from the Redis server (``redis.call('TIME')``) by default,
so hosts with skewed clocks still share one timeline; a ``clock`` can be injected for
deterministic tests.

Refused hits are *not* recorded. A client hammering while limited therefore regains access
as soon as its oldest allowed hits age out, exactly when ``retry_after`` said; recording
refusals would let a misbehaving (or merely impatient) client extend its own lockout forever,
and would let an attacker who knows a victim's phone number keep the victim locked out.
Brute force is still bounded: at most ``max_hits`` attempts per window ever get through.

Keys: ``{prefix}:{limit.name}:{key}``. Keys longer than 64 bytes are replaced by
``h:`` + their SHA-256, which bounds memory and cannot collide with a raw key (a raw key of
64 bytes or less never equals a 66-character hashed one). Keys are never logged, since
they are often phone numbers or IP addresses.
"""

from __future__ import annotations

import hashlib
import logging
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["Decision", "Limit", "RateLimiter"]

logger = logging.getLogger(__name__)

MAX_RAW_KEY_BYTES: Final = 64
REFUSED_RETRY_AFTER: Final = 10.0  # Redis is away: asking again every second would not help
_MICROS: Final = 1_000_000

# KEYS[1] the sliding log.
# ARGV: max_hits, window (µs), cost, mode ("hit" | "check"), now (µs, "" = server time),
#       a unique token for this call's members.
# Returns {allowed (0|1), hits in the window after this call, µs until the hit would fit}.
# Numbers are formatted with %.0f before reaching redis.call: Lua's default number-to-text
# keeps 14 significant digits, which would round microsecond timestamps.
_SLIDING_LOG_LUA: Final = """
local key = KEYS[1]
local max_hits = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now
if ARGV[5] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[5])
end
local function num(x) return string.format('%.0f', x) end

redis.call('ZREMRANGEBYSCORE', key, '-inf', num(now - window))
local used = redis.call('ZCARD', key)
if used + cost <= max_hits then
  if ARGV[4] == 'hit' then
    for i = 1, cost do
      redis.call('ZADD', key, num(now), ARGV[6] .. ':' .. i)
    end
    redis.call('PEXPIRE', key, num(math.ceil(window / 1000) + 1))
    used = used + cost
  end
  return {1, used, 0}
end
-- Refused: not recorded. The hit fits once the (used + cost - max_hits) oldest members
-- have left the window; the last of them decides the wait.
local index = used + cost - max_hits - 1
local oldest = redis.call('ZRANGE', key, index, index, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
if wait < 1 then wait = 1 end
return {0, used, wait}
"""

# KEYS: one sliding log per limit.
# ARGV: mode ("hit" | "check"), now (µs, "" = server time), a unique token, then for each key
#       its max_hits, window (µs) and cost.
# Returns {allowed (0|1), µs until every hit would fit, then each key's hits in its window}.
# All or nothing: the hits are recorded on every key only when every key has room.
_SLIDING_LOGS_LUA: Final = """
local now
if ARGV[2] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[2])
end
local function num(x) return string.format('%.0f', x) end

local allowed, wait, used = 1, 0, {}
for i, key in ipairs(KEYS) do
  local max_hits = tonumber(ARGV[1 + 3 * i])
  local window = tonumber(ARGV[2 + 3 * i])
  local cost = tonumber(ARGV[3 + 3 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', num(now - window))
  used[i] = redis.call('ZCARD', key)
  if used[i] + cost > max_hits then
    allowed = 0
    local index = used[i] + cost - max_hits - 1
    local oldest = redis.call('ZRANGE', key, index, index, 'WITHSCORES')
    local key_wait = tonumber(oldest[2]) + window - now
    if key_wait < 1 then key_wait = 1 end
    if key_wait > wait then wait = key_wait end
  end
end
if allowed == 1 and ARGV[1] == 'hit' then
  for i, key in ipairs(KEYS) do
    local window = tonumber(ARGV[2 + 3 * i])
    local cost = tonumber(ARGV[3 + 3 * i])
    for j = 1, cost do
      redis.call('ZADD', key, num(now), ARGV[3] .. ':' .. j)
    end
    redis.call('PEXPIRE', key, num(math.ceil(window / 1000) + 1))
    used[i] = used[i] + cost
  end
end
local reply = {allowed, wait}
for i = 1, #KEYS do reply[2 + i] = used[i] end
return reply
"""


@dataclass(frozen=True)
class Limit:
    """A budget of ``max_hits`` per sliding ``window_seconds``, named for its Redis keys."""

    name: str
    max_hits: int
    window_seconds: float
    fail_open: bool = False

    def __post_init__(self) -> None:
        """Reject limits that could never allow anything or never forget anything."""
        if not self.name:
            raise ValueError("a limit needs a name; it is part of the Redis key")
        if self.max_hits < 1:
            raise ValueError("max_hits must be at least 1")
        if not math.isfinite(self.window_seconds) or self.window_seconds * 1000 < 1:
            raise ValueError("window_seconds must be finite and at least one millisecond")


@dataclass(frozen=True)
class Decision:
    """The verdict on one hit (or check); ``retry_after`` is 0 when allowed."""

    allowed: bool
    remaining: int
    retry_after: float
    unavailable: bool = False  # refused because Redis could not be asked, not for overuse


class RateLimiter:
    """Checks and records hits against limits in one Redis shared by every process."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "rl",
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Register the script once; ``clock`` (seconds) replaces the server time in tests."""
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._script = redis.register_script(_SLIDING_LOG_LUA)
        self._many_script = redis.register_script(_SLIDING_LOGS_LUA)

    async def hit(self, limit: Limit, key: str, *, cost: int = 1) -> Decision:
        """Atomically check and record ``cost`` hits; a refused hit records nothing."""
        if not 1 <= cost <= limit.max_hits:
            raise ValueError(f"cost must be between 1 and max_hits ({limit.max_hits})")
        return await self._run(limit, key, cost=cost, mode="hit")

    async def hit_all(self, hits: Sequence[tuple[Limit, str]]) -> Decision:
        """One hit on each (limit, key), atomically and in one round trip: all or none.

        For budgets that apply together (per IP and per citizen): a hit refused by one is
        recorded by none, and ``retry_after`` is when every one of them has room. The
        decision's ``remaining`` is the smallest left. On Redis trouble the hit is allowed
        only when every limit fails open.
        """
        if not hits:
            raise ValueError("hit_all needs at least one limit")
        now = "" if self._clock is None else str(round(self._clock() * _MICROS))
        args: list[str | int] = ["hit", now, uuid.uuid4().hex]
        for limit, _ in hits:
            args += [limit.max_hits, _window_micros(limit), 1]
        keys = [self.redis_key(limit, key) for limit, key in hits]
        try:
            reply = await self._many_script(keys=keys, args=args)
        except (RedisError, OSError) as exc:
            verdicts = [_redis_down(limit, 1, exc) for limit, _ in hits]
            refused = [d for d in verdicts if not d.allowed]
            return refused[0] if refused else min(verdicts, key=lambda d: d.remaining)
        allowed, wait_us, *used = (int(part) for part in reply)
        remaining = min(
            max(limit.max_hits - n, 0) for (limit, _), n in zip(hits, used, strict=True)
        )
        if allowed:
            return Decision(allowed=True, remaining=remaining, retry_after=0.0)
        return Decision(allowed=False, remaining=remaining, retry_after=wait_us / _MICROS)

    async def check(self, limit: Limit, key: str) -> Decision:
        """Whether one hit would be allowed now, without recording it."""
        return await self._run(limit, key, cost=1, mode="check")

    async def reset(self, limit: Limit, key: str) -> None:
        """Forget every hit of a key (e.g. failed attempts after a successful sign-in).

        Redis errors are logged, not raised: like hit and check, the limiter never turns a
        Redis outage into a failed request on its own.
        """
        try:
            await self._redis.delete(self.redis_key(limit, key))
        except (RedisError, OSError) as exc:
            logger.warning("rate limit %s: reset failed, Redis unavailable: %s", limit.name, exc)

    def redis_key(self, limit: Limit, key: str) -> str:
        """``{prefix}:{limit.name}:{key}``, with long keys replaced by their SHA-256."""
        raw = key.encode("utf-8")
        if len(raw) > MAX_RAW_KEY_BYTES:
            key = "h:" + hashlib.sha256(raw).hexdigest()
        return f"{self._prefix}:{limit.name}:{key}"

    async def _run(self, limit: Limit, key: str, *, cost: int, mode: str) -> Decision:
        """Call the script; on Redis trouble decide by the limit's fail_open."""
        now = "" if self._clock is None else str(round(self._clock() * _MICROS))
        args = (limit.max_hits, _window_micros(limit), cost, mode, now, uuid.uuid4().hex)
        try:
            reply = await self._script(keys=[self.redis_key(limit, key)], args=args)
        except (RedisError, OSError) as exc:
            return _redis_down(limit, cost, exc)
        return _decision(limit, reply)


def _window_micros(limit: Limit) -> int:
    return round(limit.window_seconds * _MICROS)


def _decision(limit: Limit, reply: Sequence[int]) -> Decision:
    """Turn the script's ``{allowed, used, wait_us}`` into a Decision."""
    allowed, used, wait_us = (int(part) for part in reply)
    remaining = max(limit.max_hits - used, 0)
    if allowed:
        return Decision(allowed=True, remaining=remaining, retry_after=0.0)
    return Decision(allowed=False, remaining=remaining, retry_after=wait_us / _MICROS)


def _redis_down(limit: Limit, cost: int, exc: BaseException) -> Decision:
    """Fail open (allow, full budget reported) or closed (refuse, retry in a second)."""
    verdict = "allowing" if limit.fail_open else "refusing"
    logger.warning("rate limit %s: Redis unavailable, %s: %s", limit.name, verdict, exc)
    if limit.fail_open:
        return Decision(allowed=True, remaining=max(limit.max_hits - cost, 0), retry_after=0.0)
    return Decision(allowed=False, remaining=0, retry_after=REFUSED_RETRY_AFTER, unavailable=True)
