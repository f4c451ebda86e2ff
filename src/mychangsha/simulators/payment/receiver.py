"""A stand-in merchant callback: records what the gateway posts to `notify_url`.

Tests of the simulator and of the payment client need something at `notify_url` that is not
the graph: this app keeps every request it receives (headers and raw body, exactly as sent,
so signatures can be verified afterwards) and can refuse the first N with a 500, WeChat's
documented failure answer, to provoke retries. It verifies nothing itself.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Final

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

__all__ = ["NOTIFY_PATH", "NotifyReceiver", "Received"]

NOTIFY_PATH: Final = "/notify"


@dataclass(frozen=True, slots=True)
class Received:
    """One request as it arrived, and the status it was answered with."""

    headers: dict[str, str]
    body: bytes
    answered: int

    def event(self) -> dict[str, object]:
        """The notification's JSON."""
        parsed: dict[str, object] = orjson.loads(self.body)
        return parsed


@dataclass
class NotifyReceiver:
    """The app (`.app`) and what it received (`.received`, oldest first)."""

    fail_first: int = 0
    received: list[Received] = field(default_factory=list)
    app: Starlette = field(init=False)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route(NOTIFY_PATH, self._receive, methods=["POST"])])

    def reset(self, *, fail_first: int = 0) -> None:
        """Forget everything received; refuse the next `fail_first` requests."""
        self.received.clear()
        self.fail_first = fail_first

    def accepted(self) -> list[Received]:
        """The requests answered 2xx."""
        return [item for item in self.received if item.answered < 300]

    async def wait_for(self, count: int, *, seconds: float = 5.0) -> list[Received]:
        """Poll until `count` requests have arrived (any answer); TimeoutError otherwise."""
        deadline = time.monotonic() + seconds
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.received)} of {count} notifications arrived")
            await asyncio.sleep(0.01)
        return list(self.received)

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        failing = self.fail_first > 0
        if failing:
            self.fail_first -= 1
        answered = 500 if failing else 204
        self.received.append(Received(dict(request.headers), body, answered))
        if failing:
            return Response(
                orjson.dumps({"code": "FAIL", "message": "失败"}),
                status_code=500,
                media_type="application/json",
            )
        return Response(status_code=204)
