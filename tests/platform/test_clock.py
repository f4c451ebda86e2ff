"""The graph's one clock, moved with time-machine across the edges of Changsha's days."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine

from mychangsha.cache.policy import CachePolicy, Scope
from mychangsha.platform import clock

# Date-sensitive: also run with every process's clock moved (tests/calendar_sweep.py).
pytestmark = pytest.mark.calendar

PRODUCT = Path(__file__).resolve().parents[2] / "src" / "mychangsha"
CLOCK = PRODUCT / "platform" / "clock.py"


@pytest.mark.parametrize(
    ("utc", "changsha_day"),
    [
        # 16:00 UTC is midnight in Changsha: the local day turns eight hours before UTC's.
        (datetime(2026, 12, 8, 15, 59, 30, tzinfo=UTC), date(2026, 12, 8)),
        (datetime(2026, 12, 8, 16, 0, 30, tzinfo=UTC), date(2026, 12, 9)),
        (datetime(2026, 12, 8, 23, 59, 30, tzinfo=UTC), date(2026, 12, 9)),
        (datetime(2026, 12, 9, 0, 0, 30, tzinfo=UTC), date(2026, 12, 9)),
        # New Year comes to Changsha at 16:00 UTC on 31 December.
        (datetime(2026, 12, 31, 15, 59, 30, tzinfo=UTC), date(2026, 12, 31)),
        (datetime(2026, 12, 31, 16, 0, 30, tzinfo=UTC), date(2027, 1, 1)),
        # Month ends, a leap day.
        (datetime(2028, 2, 28, 16, 0, 0, tzinfo=UTC), date(2028, 2, 29)),
        (datetime(2028, 2, 29, 16, 0, 0, tzinfo=UTC), date(2028, 3, 1)),
    ],
)
def test_today_is_changsha_s_day_whatever_utc_says(utc: datetime, changsha_day: date) -> None:
    with time_machine.travel(utc, tick=False):
        assert clock.today_in_changsha() == changsha_day
        assert clock.utc_now() == utc and clock.utc_now().tzinfo is UTC
        assert clock.changsha_day(clock.utc_now()) == changsha_day
        assert clock.epoch_seconds() == utc.timestamp()


def test_the_machine_s_time_zone_does_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    at = datetime(2026, 12, 8, 16, 0, 30, tzinfo=UTC)
    for zone in ("UTC", "America/Los_Angeles", "Asia/Shanghai", "Pacific/Kiritimati"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        with time_machine.travel(at, tick=False):
            assert clock.today_in_changsha() == date(2026, 12, 9), zone
    monkeypatch.delenv("TZ")
    time.tzset()


def test_booking_window_days_follow_the_local_day() -> None:
    with time_machine.travel(datetime(2026, 12, 31, 16, 0, 30, tzinfo=UTC), tick=False):
        days = clock.changsha_days_ahead(6)
    assert days[0] == date(2027, 1, 1) and days[-1] == date(2027, 1, 7) and len(days) == 7


def test_start_of_day_and_seconds_until_midnight() -> None:
    assert clock.start_of_changsha_day(date(2027, 1, 1)) == datetime(2026, 12, 31, 16, tzinfo=UTC)
    with time_machine.travel(datetime(2026, 12, 8, 15, 59, 30, tzinfo=UTC), tick=False):
        assert clock.seconds_until_changsha_midnight() == 30
    with time_machine.travel(datetime(2026, 12, 8, 16, 0, 0, tzinfo=UTC), tick=False):
        assert clock.seconds_until_changsha_midnight() == 86_400


def test_cache_control_never_reaches_past_midnight() -> None:
    catalogue = CachePolicy(300, Scope.PUBLIC, frozenset())
    with time_machine.travel(datetime(2026, 12, 8, 4, 0, tzinfo=UTC), tick=False):
        assert catalogue.cache_control() == "public, max-age=300"
    with time_machine.travel(datetime(2026, 12, 8, 15, 59, 30, tzinfo=UTC), tick=False):
        assert catalogue.cache_control() == "public, max-age=30"
    with time_machine.travel(datetime(2026, 12, 8, 15, 59, 59, 900_000, tzinfo=UTC), tick=False):
        assert catalogue.cache_control() == "public, max-age=1"


_FORBIDDEN_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
}


def _clock_reads(path: Path) -> list[str]:
    """Calls that read the system clock directly, as `file:line call`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", "")
        if (name, node.func.attr) in _FORBIDDEN_CALLS:
            found.append(f"{path.relative_to(PRODUCT)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_product_code_reads_the_time_only_through_the_clock() -> None:
    """One clock: nothing but platform/clock.py asks the system what time or day it is.

    The simulators stand in for other organisations' systems and keep clocks of their own.
    """
    readers = [
        hit
        for path in sorted(PRODUCT.rglob("*.py"))
        if path != CLOCK and "simulators" not in path.parts
        for hit in _clock_reads(path)
    ]
    assert readers == []
    assert _clock_reads(CLOCK), "the check must recognise the clock's own calls"


def test_changsha_s_zone_is_defined_once() -> None:
    definitions = [
        f"{path.relative_to(PRODUCT)}"
        for path in sorted(PRODUCT.rglob("*.py"))
        if "simulators" not in path.parts
        and ('ZoneInfo("Asia/Shanghai")' in (text := path.read_text()) or "hours=8" in text)
    ]
    assert definitions == ["platform/clock.py"]
