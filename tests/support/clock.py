"""A clock tests set by hand, for simulators that take an injected clock."""

from __future__ import annotations

from datetime import datetime, timedelta


class MutableClock:
    """A clock the test sets by hand; the simulator (in another thread) reads it."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        """Move the clock on, e.g. `advance(minutes=5)`."""
        self.current += timedelta(**delta)
