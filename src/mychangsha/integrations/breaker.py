"""A circuit breaker per upstream, so a dead system costs callers microseconds, not timeouts.

closed --(threshold consecutive failures)--> open --(cool-down elapsed, first caller)-->
half_open (exactly one probe in flight; everyone else is refused) --probe ok--> closed,
--probe fails--> open again for another cool-down.

Single-threaded by design (one asyncio loop per process): no locks are needed because no
method awaits. Callers hold a `Permit` for the duration of one request and report its end,
which lets late results of requests started in an older state be ignored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

BreakerState = Literal["closed", "half_open", "open"]


class BreakerOpen(Exception):
    """The breaker refused the call: open and cooling down, or its one probe is in flight."""


@dataclass(frozen=True, slots=True)
class Permit:
    """Leave to send one request; `probe` marks the single half-open trial."""

    probe: bool
    generation: int


class CircuitBreaker:
    """Counts consecutive failures of one upstream and stops calling it while it is down."""

    def __init__(
        self,
        *,
        threshold: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[BreakerState], None] | None = None,
    ) -> None:
        """`on_change` hears every transition (metrics, logs); the initial closed is not one."""
        if threshold < 1:
            raise ValueError("breaker threshold must be at least 1")
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._on_change = on_change
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at = 0.0
        # Bumped on every transition: results of requests admitted earlier are ignored.
        self._generation = 0

    @property
    def state(self) -> BreakerState:
        """Where the breaker stands now (an open breaker past its cool-down still says open)."""
        return self._state

    def acquire(self) -> Permit:
        """Admit one request or raise BreakerOpen; an admitted probe must be reported back."""
        if self._state == "closed":
            return Permit(probe=False, generation=self._generation)
        if self._state == "open" and self._clock() - self._opened_at >= self._cooldown:
            self._move("half_open")
            return Permit(probe=True, generation=self._generation)
        raise BreakerOpen

    def success(self, permit: Permit) -> None:
        """The upstream answered (any status below 500): a probe's success closes the breaker."""
        if permit.generation != self._generation:
            return
        if permit.probe:
            self._move("closed")
        self._failures = 0

    def failure(self, permit: Permit) -> None:
        """A connect error, timeout or 5xx: counts towards opening, or re-opens after a probe."""
        if permit.generation != self._generation:
            return
        if permit.probe:
            self._open()
            return
        self._failures += 1
        if self._failures >= self._threshold:
            self._open()

    def abandon(self, permit: Permit) -> None:
        """The request ended without a verdict (cancelled): let the next caller probe at once."""
        if permit.probe and permit.generation == self._generation:
            self._move("open")  # _opened_at is unchanged, so the cool-down is already over

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._move("open")

    def _move(self, state: BreakerState) -> None:
        self._generation += 1
        self._failures = 0
        changed = state != self._state
        self._state = state
        if changed and self._on_change is not None:
            self._on_change(state)
