"""The last value seen per name, kept in one Redis hash and compared atomically.

A poller that reports changes may run on several replicas at once (a lease that expired
mid-poll, a clock that drifted), so "has this value changed?" must be answered by Redis in
one step: a Lua script stores each new value only if it differs and returns what it replaced.
Two replicas offering the same change therefore see it reported to exactly one of them.

Each value is stored with the time it was observed (`value|ms`), and an observation older
than the stored one is ignored: a slow poll finishing after a faster, later one must not
move the value back and report a change that did not happen.

The hash expires unless touched: when nobody needs the values any more, they go, and the
next observation of a name is a first sighting (recorded, not reported) instead of a
comparison against a value from long ago.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from redis.asyncio import Redis

# KEYS[1]: the hash. ARGV[1]: its time to live (ms). ARGV[2]: when the values were observed
# (ms). ARGV[3..]: name, value, name, value … Returns name, previous value … of each change.
_RECORD = """
local at = tonumber(ARGV[2])
local changed = {}
for i = 3, #ARGV, 2 do
  local name, value = ARGV[i], ARGV[i + 1]
  local stored = redis.call('HGET', KEYS[1], name)
  local before, before_at = nil, nil
  if stored then
    before, before_at = string.match(stored, '^(.*)|(%d+)$')
  end
  if not before then
    redis.call('HSET', KEYS[1], name, value .. '|' .. ARGV[2])
  elseif at >= tonumber(before_at) then
    redis.call('HSET', KEYS[1], name, value .. '|' .. ARGV[2])
    if before ~= value then
      changed[#changed + 1] = name
      changed[#changed + 1] = before
    end
  end
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return changed
"""


@dataclass(frozen=True, slots=True)
class Change:
    """A name whose value moved: reported to one caller only."""

    name: str
    previous: str
    current: str


class LastSeen:
    """The last value of each name, shared by every replica through one Redis hash."""

    def __init__(self, redis: Redis, key: str, *, ttl_seconds: float) -> None:
        self._redis = redis
        self._key = key
        self._ttl_ms = max(int(ttl_seconds * 1000), 1)
        self._record = redis.register_script(_RECORD)

    async def now_ms(self) -> int:
        """Redis's clock: one clock for every replica, so their observations order alike."""
        seconds, micros = await self._redis.time()
        return int(seconds) * 1000 + int(micros) // 1000

    async def record(self, values: Mapping[str, str], *, observed_ms: int) -> list[Change]:
        """Store what was observed; the values that differ from the last one seen.

        A name seen for the first time is stored but not reported: there is nothing it
        changed from. An observation older than the stored one changes nothing.
        """
        args: list[str | int] = [self._ttl_ms, observed_ms]
        for name, value in values.items():
            args += [name, value]
        reply = await self._record(keys=[self._key], args=args)
        flat = [item.decode() if isinstance(item, bytes) else str(item) for item in reply]
        return [
            Change(name=name, previous=previous, current=values[name])
            for name, previous in zip(flat[::2], flat[1::2], strict=True)
        ]

    async def touch(self) -> None:
        """Keep the values for another time to live, e.g. while the source cannot be read."""
        await self._redis.pexpire(self._key, self._ttl_ms)
