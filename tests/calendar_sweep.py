"""The calendar sweep: the date-sensitive tests, with every process's clock moved.

`make test-calendar` runs the tests marked `calendar` once per point of the calendar below;
`make test` runs the short sweep (one point, the riskiest). Each run is a fresh pytest
process whose clock, and that of everything it starts (the graph, the simulators, the
embedded MongoDB and Redis), is moved by libfaketime: `LD_PRELOAD` carries into every child,
and the offset is read from a file all of them share, so they agree on the time to the
second. Monotonic clocks (timeouts, asyncio) stay real.

The stack starts a few minutes before the point; once it is up, the session fixture
`calendar_clock` (tests/conftest.py) moves the file's offset so the tests begin at the
point exactly: a test of 23:59:30 runs across the midnight it is about.

    python -m tests.calendar_sweep             # every point
    python -m tests.calendar_sweep --short     # the point `make test` runs
    python -m tests.calendar_sweep --point new-year -- -k tickets   # one point, some tests
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import libfaketime

CHANGSHA = timezone(timedelta(hours=8))
# Seconds before the point the stack starts at: more than it takes to come up, so the
# move to the point, once it is up, is forward.
LEAD_SECONDS = 300
# Environment the session fixture reads: the point, and the file holding the offset.
POINT_ENV = "MYCHANGSHA_CALENDAR_AT"
OFFSET_FILE_ENV = "FAKETIME_TIMESTAMP_FILE"
# How often each process re-reads the offset file (libfaketime caches it in between).
REREAD_SECONDS = 1


def _next_weekday_at(now: datetime, weekday: int, hour: int, minute: int) -> datetime:
    """The first moment after tomorrow that is this weekday at this local time."""
    local = now.astimezone(CHANGSHA)
    day = local.date() + timedelta(days=1)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHANGSHA)


def _next_at(now: datetime, zone: timezone, hour: int, minute: int, second: int) -> datetime:
    """The first moment from tomorrow on at this time of day in a zone."""
    day = now.astimezone(zone).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)


def _new_year(now: datetime) -> datetime:
    """The coming 31 December, 30 seconds before Changsha's new year."""
    year = now.astimezone(CHANGSHA).year
    if now.astimezone(CHANGSHA).date() >= date(year, 12, 31):
        year += 1
    return datetime(year, 12, 31, 23, 59, 30, tzinfo=CHANGSHA)


@dataclass(frozen=True)
class Point:
    """A moment of the calendar the date-sensitive tests must pass at, on a machine in a zone."""

    name: str
    why: str
    at: Callable[[datetime], datetime]
    machine_zone: str = "UTC"
    """The TZ every process runs with: nothing may depend on the machine's own zone."""


# Weekdays at different hours, so booking cut-offs (18:00 the day before), opening days and
# morning and evening slots are met too.
_WEEKDAYS = (
    ("monday", 0, 7, 0, "museums closed; 07:00 slot release"),
    ("tuesday", 1, 12, 0, "the day after a closing day"),
    ("wednesday", 2, 18, 30, "after the 18:00 cancellation cut-off"),
    ("thursday", 3, 21, 0, "evening: today's slots are over"),
    ("friday", 4, 9, 0, "the window reaches a Monday"),
    ("saturday", 5, 15, 0, "weekend"),
    ("sunday", 6, 20, 0, "tomorrow is a closing day"),
)

# Machines in other zones than the servers' usual UTC: Changsha's own, one far behind it, and
# one past the date line (UTC+14), so a day computed from the machine's zone shows.
_MACHINE_ZONES = ("UTC", "America/Los_Angeles", "Asia/Shanghai", "Pacific/Kiritimati")

POINTS: tuple[Point, ...] = (
    *(
        Point(
            name,
            why,
            lambda now, w=w, h=h, m=m: _next_weekday_at(now, w, h, m),
            _MACHINE_ZONES[w % len(_MACHINE_ZONES)],
        )
        for name, w, h, m, why in _WEEKDAYS
    ),
    Point(
        "changsha-midnight",
        "23:59:30 in Changsha (15:59:30 UTC): the day turns during the run",
        lambda now: _next_at(now, CHANGSHA, 23, 59, 30),
        "America/Los_Angeles",
    ),
    Point(
        "changsha-after-midnight",
        "00:00:30 in Changsha: a new day, while UTC still has yesterday's date",
        lambda now: _next_at(now, CHANGSHA, 0, 0, 30),
        "Pacific/Kiritimati",
    ),
    Point(
        "utc-midnight",
        "23:59:30 UTC (07:59:30 in Changsha): UTC's date turns, Changsha's does not",
        lambda now: _next_at(now, UTC, 23, 59, 30),
    ),
    Point(
        "utc-after-midnight",
        "00:00:30 UTC (08:00:30 in Changsha)",
        lambda now: _next_at(now, UTC, 0, 0, 30),
    ),
    Point(
        "new-year",
        "31 December 23:59:30 in Changsha: month, year and booking windows roll over",
        _new_year,
    ),
)
SHORT = ("changsha-midnight",)


def library() -> str:
    """The libfaketime shared object the PyPI wheel `libfaketime` ships, built for this machine."""
    path = Path(libfaketime.__file__).parent / "vendor" / "libfaketime" / "src" / "libfaketime.so.1"
    if not path.exists():
        raise SystemExit(f"libfaketime is not built at {path}: reinstall the dev extras")
    return str(path)


def write_offset(path: str | os.PathLike[str], seconds: float) -> None:
    """Set the offset every faked process reads (atomically: a half-written file is garbage)."""
    target = Path(path)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(f"{seconds:+.3f}\n")
    temporary.replace(target)


def run_point(point: Point, pytest_args: Sequence[str]) -> int:
    """Run the calendar tests at one point; pytest's exit code."""
    real_now = datetime.now(UTC)
    at = point.at(real_now)
    with tempfile.TemporaryDirectory(prefix="mychangsha-calendar-") as folder:
        offset_file = Path(folder) / "offset"
        start = at - timedelta(seconds=LEAD_SECONDS)
        write_offset(offset_file, (start - real_now).total_seconds())
        env = {
            **os.environ,
            "LD_PRELOAD": library(),
            OFFSET_FILE_ENV: str(offset_file),
            "FAKETIME_CACHE_DURATION": str(REREAD_SECONDS),
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
            POINT_ENV: at.isoformat(),
            "TZ": point.machine_zone,
        }
        local = at.astimezone(CHANGSHA)
        print(
            f"\n=== calendar point {point.name}: {local:%A %Y-%m-%d %H:%M:%S} in Changsha "
            f"({at.astimezone(UTC):%H:%M:%S} UTC) on a machine in {point.machine_zone} — "
            f"{point.why}",
            flush=True,
        )
        argv = [sys.executable, "-m", "pytest", "-m", "calendar", "-p", "no:cacheprovider"]
        started = time.monotonic()
        code = subprocess.call([*argv, *pytest_args], env=env)
        print(f"=== {point.name}: exit {code} in {time.monotonic() - started:.0f} s", flush=True)
        return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen points one after another; fail if any failed, naming them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="only the point make test runs")
    parser.add_argument("--point", action="append", choices=[p.name for p in POINTS])
    parser.add_argument("--list", action="store_true", help="print the points and stop")
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --)")
    args = parser.parse_args(argv)
    names = args.point or (SHORT if args.short else [p.name for p in POINTS])
    chosen = [p for p in POINTS if p.name in names]
    if args.list:
        now = datetime.now(UTC)
        for point in chosen:
            local = point.at(now).astimezone(CHANGSHA)
            print(
                f"{point.name:24} {local:%a %Y-%m-%d %H:%M:%S} +08:00  "
                f"TZ={point.machine_zone:20} {point.why}"
            )
        return 0
    failed = [p.name for p in chosen if run_point(p, args.pytest_args) != 0]
    if failed:
        print(f"calendar sweep failed at: {', '.join(failed)}", file=sys.stderr)
        return 1
    print(f"calendar sweep passed at {len(chosen)} point(s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
