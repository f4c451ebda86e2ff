"""Live crowd readings: a deterministic function of the attraction, the seed and the local time.

Deterministic so tests can pin a clock and know the answer; shaped like real footfall so the
dev stack looks alive: nobody inside closed hours, a rise through the morning, a plateau
around 10:00–16:00, more people at weekends, and each attraction with its own popularity.
The reading is computed for the start of the current minute, the platform's update cadence.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, TypedDict
from zoneinfo import ZoneInfo

from mychangsha.simulators.tourism.data import AttractionRecord, OpeningHoursRecord

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKEND_FACTOR: Final = 1.3
_PEAK_HOUR: Final = 13.0
_HALF_SPAN_HOURS: Final = 9.0
_MIN_OPEN_SHAPE: Final = 0.04

CrowdLevel = Literal["comfortable", "busy", "crowded"]


class CrowdRecord(TypedDict):
    """A reading exactly as `GET /v1/crowd` returns it."""

    attractionId: str
    level: CrowdLevel
    visitors: int
    capacity: int
    updatedAt: str


def level_for(visitors: int, capacity: int) -> CrowdLevel:
    """Below half full is comfortable, below 80 % busy, else crowded (integer maths, no edges)."""
    if capacity <= 0:
        return "comfortable" if visitors == 0 else "crowded"
    if visitors * 10 < capacity * 5:
        return "comfortable"
    if visitors * 10 < capacity * 8:
        return "busy"
    return "crowded"


def day_range(spec: str) -> set[int] | None:
    """Weekday numbers of "Mon-Sun", "Sat", "Mon,Wed-Fri"; None when the spec is not parseable."""
    days: set[int] = set()
    for part in spec.replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in _WEEKDAYS or (last and last not in _WEEKDAYS):
            return None
        start = _WEEKDAYS.index(first)
        end = _WEEKDAYS.index(last) if last else start
        days.update(d % 7 for d in range(start, start + (end - start) % 7 + 1))
    return days


def minutes_of(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 60 + int(minutes)


def is_open(hours: Sequence[OpeningHoursRecord], local: datetime) -> bool:
    """Whether any rule covers the local time; no rules means always open, odd day specs match."""
    if not hours:
        return True
    now = local.hour * 60 + local.minute
    for rule in hours:
        days = day_range(rule["days"])
        if days is not None and local.weekday() not in days:
            continue
        opens, closes = minutes_of(rule["open"]), minutes_of(rule["close"])
        inside = opens <= now < closes if opens < closes else now >= opens or now < closes
        if inside:
            return True
    return False


def day_shape(hour: float) -> float:
    """Share of the daily peak at an hour: a cosine bump, 1 at 13:00, 0.75 at 10:00 and 16:00."""
    offset = hour - _PEAK_HOUR
    if abs(offset) >= _HALF_SPAN_HOURS:
        return 0.0
    return 0.5 * (1 + math.cos(math.pi * offset / _HALF_SPAN_HOURS))


@dataclass(frozen=True, slots=True)
class CrowdProfile:
    """How popular an attraction is and when its crowd peaks, fixed by the seed and the id."""

    popularity: float
    shift_hours: float

    @classmethod
    def for_attraction(cls, seed: int, attraction_id: str) -> CrowdProfile:
        """The same profile in every process for the same seed (str seeds hash with SHA-512)."""
        rng = random.Random(f"{seed}:{attraction_id}")
        return cls(popularity=0.3 + 0.65 * rng.random(), shift_hours=rng.uniform(-1.0, 1.0))


def _jitter(seed: int, attraction_id: str, minute: datetime) -> float:
    """A minute-by-minute wobble of ±8 %, stable for a given minute."""
    key = f"{seed}:{attraction_id}:{minute.isoformat()}".encode()
    fraction = int.from_bytes(hashlib.blake2b(key, digest_size=4).digest(), "big") / 2**32
    return 0.92 + 0.16 * fraction


def visitors_at(record: AttractionRecord, profile: CrowdProfile, local: datetime, seed: int) -> int:
    """Visitors inside at a local (Asia/Shanghai) minute; zero when the attraction is closed."""
    if not is_open(record["openingHours"], local):
        return 0
    hour = local.hour + local.minute / 60 - profile.shift_hours
    shape = max(day_shape(hour), _MIN_OPEN_SHAPE)
    weekend = _WEEKEND_FACTOR if local.weekday() >= 5 else 1.0
    raw = record["capacity"] * profile.popularity * weekend * shape
    return max(0, min(record["capacity"], round(raw * _jitter(seed, record["id"], local))))


def current_minute(now: datetime) -> datetime:
    """The start of the local minute a reading belongs to."""
    return now.astimezone(SHANGHAI).replace(second=0, microsecond=0)


def crowd_reading(
    record: AttractionRecord,
    profile: CrowdProfile,
    now: datetime,
    *,
    seed: int,
    pinned: int | None = None,
) -> CrowdRecord:
    """The platform's reading of one attraction now; a pinned visitor count overrides the curve."""
    minute = current_minute(now)
    visitors = pinned if pinned is not None else visitors_at(record, profile, minute, seed)
    return {
        "attractionId": record["id"],
        "level": level_for(visitors, record["capacity"]),
        "visitors": visitors,
        "capacity": record["capacity"],
        "updatedAt": minute.isoformat(),
    }
