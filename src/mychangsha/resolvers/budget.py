"""A screen's time budget: what fans out to several upstreams answers in time or reports late.

A citizen waits for the whole answer, so the slowest upstream sets its latency. Under a
budget, a part that is still waiting when the time is spent becomes an UPSTREAM_TIMEOUT for
that part alone (a null section, an entry with an error) and the rest is answered at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

from mychangsha.context import Context
from mychangsha.integrations.errors import UpstreamTimeout

T = TypeVar("T")

# Left of the budget for encoding and sending the answer, so it leaves within the budget.
SENDING_RESERVE_SECONDS = 0.02
log = logging.getLogger(__name__)


def _forget_late_result(task: asyncio.Future[Any]) -> None:
    """A part that answered after the screen left: its outcome no longer matters."""
    if not task.cancelled() and task.exception() is not None:
        log.debug("late part failed: %r", task.exception())


@dataclass(frozen=True)
class Budget:
    """A deadline shared by every part of one answer."""

    deadline: float

    @classmethod
    def for_answer(cls, context: Context) -> Budget:
        """The configured answer budget (ANSWER_BUDGET_MS), counted from the request's start.

        The citizen's wait began when the request arrived, not when this field began to
        resolve (after the token, the citizen and the database were read). A websocket's
        context lives as long as the socket, so there the operation starts now.
        """
        budget = context.services.settings.answer_budget_ms / 1000
        connection = context.connection
        per_request = connection is None or connection.scope["type"] == "http"
        started = context.started if per_request else time.monotonic()
        return cls(started + budget - SENDING_RESERVE_SECONDS)

    async def run(self, part: str, work: Awaitable[T]) -> T:
        """The part's result, or UpstreamTimeout(part) once the budget is spent.

        The work is shielded and left to finish: it may feed DataLoader futures other
        fields of the same request share, and cancelling those would fail fields that are
        not late.
        """
        remaining = max(self.deadline - time.monotonic(), 0.0)
        task = asyncio.ensure_future(work)
        try:
            return await asyncio.wait_for(asyncio.shield(task), timeout=remaining)
        except TimeoutError:
            task.add_done_callback(_forget_late_result)
            raise UpstreamTimeout(part, f"{part} did not answer in time") from None
