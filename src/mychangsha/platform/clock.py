"""The graph's one clock: what time it is, and which calendar day it is in Changsha.

Citizens live on Changsha's calendar (UTC+8, whose midnight is 16:00 UTC), while everything
stored or compared is timezone-aware UTC. Product code asks this module instead of reading
the system clock itself, so there is one definition of "today" to get right and one place
a test or a moved system clock (libfaketime in the calendar sweep) acts on.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

# China has had no daylight saving since 1991: a fixed offset is exact and needs no tzdata.
CHANGSHA: Final = timezone(timedelta(hours=8), "Asia/Shanghai")


def utc_now() -> datetime:
    """The current instant, timezone-aware UTC: what the graph stores and compares."""
    return datetime.now(UTC)


def changsha_now() -> datetime:
    """The current instant on Changsha's wall clock: for days, opening hours and cut-offs."""
    return datetime.now(CHANGSHA)


def today_in_changsha() -> date:
    """Today's calendar day in Changsha: booking windows, ages and reminders turn on it."""
    return changsha_now().date()


def changsha_day(at: datetime) -> date:
    """The Changsha calendar day an aware instant falls on."""
    return at.astimezone(CHANGSHA).date()


def epoch_seconds() -> float:
    """Seconds since the epoch, for signed payloads and JWT claims that count in seconds."""
    return time.time()


def start_of_changsha_day(day: date) -> datetime:
    """The instant a Changsha calendar day begins (00:00 local, 16:00 UTC the day before)."""
    return datetime(day.year, day.month, day.day, tzinfo=CHANGSHA)


def seconds_until_changsha_midnight() -> float:
    """How long today lasts in Changsha: no day-dependent answer may be kept past it."""
    tomorrow = start_of_changsha_day(today_in_changsha() + timedelta(days=1))
    return (tomorrow - utc_now()).total_seconds()


def changsha_days_ahead(days_ahead: int) -> list[date]:
    """Today in Changsha and the `days_ahead` days after it: a booking window's days."""
    today = today_in_changsha()
    return [today + timedelta(days=n) for n in range(days_ahead + 1)]
