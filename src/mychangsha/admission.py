"""How many GraphQL operations one process runs at once; the rest wait their turn in order.

A stampede (thousands of citizens pressing "book" at 07:00) would otherwise start every
operation at once: each holds its parsed document, context, loaders and upstream and database
requests in memory, and all of them finish late together. Admitted a bounded number at a
time, in arrival order, the worker's memory stays flat and the first to arrive are the
first answered. Answer budgets still count from the request's arrival, so time spent waiting
here is time a slow upstream no longer gets. Cached and hot-lane answers are not queued.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from prometheus_client import Gauge

WAITING: Final = Gauge(
    "mychangsha_operations_waiting",
    "Operations waiting for their turn to run (MAX_CONCURRENT_OPERATIONS are running).",
    multiprocess_mode="livesum",
)


class Admission:
    """A first-come, first-served limit on operations running at once in this process."""

    def __init__(self, limit: int) -> None:
        self._slots = asyncio.Semaphore(limit)

    @classmethod
    def unlimited(cls) -> Admission:
        """No limit (views built without settings, such as tests of the transport alone)."""
        return cls(sys.maxsize)

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a free place (in order of arrival), run, give the place back."""
        if self._slots.locked():
            with WAITING.track_inprogress():
                await self._slots.acquire()
        else:
            await self._slots.acquire()
        try:
            yield
        finally:
            self._slots.release()
