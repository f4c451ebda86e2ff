"""Clinic time: sessions, publication, slot ids, the cancel cut-off and the calling queue.

Everything here is a pure function of the clock, so slots need no storage: a slot exists when
its doctor works that half-day and its day is published. Days are Asia/Shanghai days; the
next seven are published, each becoming visible at 07:00 seven days ahead (at 06:59 the
seventh day is absent, at 07:00 it appears), and today's sessions stay listed all day.

Slot ids are `{roleId}-{yyyymmdd}-{am|pm}`, e.g. `role-cardiology-1-20250515-am`: derivable
by anyone who knows the doctor, and parseable back without a look-up.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
HORIZON_DAYS: Final = 7
RELEASE_TIME: Final = time(7, 0)
CANCEL_CUTOFF: Final = time(18, 0)
CALL_INTERVAL: Final = timedelta(minutes=6)
_SLOT_ID: Final = re.compile(r"(?P<role>role-[a-z0-9-]+)-(?P<day>\d{8})-(?P<session>am|pm)")


@dataclass(frozen=True, slots=True)
class Session:
    """A half-day clinic: morning 08:00-12:00 or afternoon 14:00-17:30, local time."""

    code: str
    label: str
    start: time
    end: time


SESSIONS: Final[Mapping[str, Session]] = MappingProxyType(
    {
        "am": Session("am", "上午门诊", time(8, 0), time(12, 0)),
        "pm": Session("pm", "下午门诊", time(14, 0), time(17, 30)),
    }
)


@dataclass(frozen=True, slots=True)
class SlotKey:
    """What a slot id says: whose clinic, which day, which half-day."""

    role_id: str
    day: date
    session: Session

    @property
    def id(self) -> str:
        """The slot id."""
        return f"{self.role_id}-{self.day:%Y%m%d}-{self.session.code}"

    @property
    def start(self) -> datetime:
        """When the session opens (aware, Asia/Shanghai)."""
        return datetime.combine(self.day, self.session.start, SHANGHAI)

    @property
    def end(self) -> datetime:
        """When the session closes (aware, Asia/Shanghai)."""
        return datetime.combine(self.day, self.session.end, SHANGHAI)

    @property
    def cancel_deadline(self) -> datetime:
        """18:00 the day before: after it hospitals refuse cancellations."""
        return datetime.combine(self.day - timedelta(days=1), CANCEL_CUTOFF, SHANGHAI)


def parse_slot_id(slot_id: str) -> SlotKey | None:
    """The key a slot id encodes, or None when it is not one of ours."""
    match = _SLOT_ID.fullmatch(slot_id)
    if match is None:
        return None
    try:
        day = datetime.strptime(match["day"], "%Y%m%d").date()
    except ValueError:
        return None
    return SlotKey(match["role"], day, SESSIONS[match["session"]])


def local(now: datetime) -> datetime:
    """The instant on Changsha's wall clock."""
    return now.astimezone(SHANGHAI)


def published_days(now: datetime) -> list[date]:
    """Today and the following days already released (six before 07:00, seven from it)."""
    here = local(now)
    last = HORIZON_DAYS if here.time() >= RELEASE_TIME else HORIZON_DAYS - 1
    return [here.date() + timedelta(days=offset) for offset in range(last + 1)]


def instant(moment: datetime) -> str:
    """A FHIR instant in Changsha's offset, to the second: `2025-05-15T08:00:00+08:00`."""
    return local(moment).replace(microsecond=0).isoformat()


@dataclass(frozen=True, slots=True)
class QueuePosition:
    """An appointment's place in its session's calling queue."""

    people_ahead: int
    called_number: int
    status: str  # waiting | called | done | not-today


def called_number(now: datetime, key: SlotKey, capacity: int, advanced: int) -> int:
    """The number being called: one every six minutes from the session's start, plus manual
    advances, never beyond the session's last place; 0 before anyone is called."""
    if local(now).date() != key.day:
        return 0
    elapsed = now - key.start
    by_clock = 0 if elapsed < timedelta(0) else 1 + int(elapsed / CALL_INTERVAL)
    return min(by_clock + advanced, max(capacity, 0))


def queue_position(
    now: datetime,
    key: SlotKey,
    number: int,
    active_numbers: Iterable[int],
    *,
    capacity: int,
    advanced: int,
) -> QueuePosition:
    """Where `number` stands: people ahead are booked numbers between the called one and it."""
    today = local(now).date()
    if key.day > today:
        ahead = sum(1 for other in active_numbers if other < number)
        return QueuePosition(ahead, 0, "not-today")
    if key.day < today or now >= key.end:
        return QueuePosition(0, max(capacity, number), "done")
    called = called_number(now, key, max(capacity, number), advanced)
    if called == number:
        return QueuePosition(0, called, "called")
    if called > number:
        return QueuePosition(0, called, "done")
    ahead = sum(1 for other in active_numbers if called < other < number)
    return QueuePosition(ahead, called, "waiting")
