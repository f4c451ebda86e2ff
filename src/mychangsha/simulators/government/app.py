"""The government-service platform simulator (互联网+政务服务, 一件事一次办).

A real HTTP server with the platform's contract (`openapi.py`, `docs/government-platform.md`):
a catalogue of 300+ services of Changsha's departments and 一件事 bundles, applications
submitted as multipart with their materials, a status timeline that moves by itself on the
injected clock, signed webhooks for every change, and e-certificates per citizen. Test controls
under `/__admin` (`admin.py`) steer progression and webhooks; `POST /__admin/reset` restores
the seed state.

The lifespan runs a ticker that takes due status steps even when nobody calls, so webhooks
are pushed proactively, and closes the webhook client on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Final

from starlette.applications import Starlette

from mychangsha.simulators.base import SimulatorClock, create_simulator_app, system_clock
from mychangsha.simulators.government.admin import GovernmentAdmin
from mychangsha.simulators.government.errors import GovError, gov_error_handler
from mychangsha.simulators.government.notices import NoticesApi
from mychangsha.simulators.government.openapi import openapi_document
from mychangsha.simulators.government.routes import GovernmentApi
from mychangsha.simulators.government.state import GovernmentState
from mychangsha.simulators.government.webhooks import DEV_WEBHOOK_SECRET, Webhooks

__all__ = ["DEV_WEBHOOK_SECRET", "TICK_SECONDS", "create_app"]

NAME: Final = "government"
_LOG: Final = logging.getLogger(__name__)
# How often the ticker looks for due steps (real seconds): well under any sensible step.
TICK_SECONDS: Final = 0.05


async def _tick(state: GovernmentState) -> None:
    """Take due steps forever; one failing step must not stop the platform's clock."""
    while True:
        await asyncio.sleep(TICK_SECONDS)
        try:
            state.progress()
        except Exception:
            _LOG.exception("a status step failed; the ticker keeps going")


def create_app(
    *,
    clock: SimulatorClock | None = None,
    seed: int = 5,
    webhook_secret: str = DEV_WEBHOOK_SECRET,
) -> Starlette:
    """A fresh government-platform simulator.

    `clock` drives status progression and every timestamp (tests move it to advance
    applications); `seed` varies the catalogue's time limits, online flags and revision dates
    and the certificates' numbers; `webhook_secret` is the HMAC key of webhook signatures.
    """
    clock = clock or system_clock
    state = GovernmentState(clock=clock, seed=seed, webhooks=Webhooks(clock, webhook_secret))
    api = GovernmentApi(state)
    app = create_simulator_app(
        NAME,
        [*api.routes(), *NoticesApi(state).routes()],
        openapi_document(),
        on_reset=state.reset,
        admin_routes=GovernmentAdmin(state).routes(),
        fault_seed=seed,
    )
    app.add_exception_handler(GovError, gov_error_handler)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        ticker = asyncio.create_task(_tick(state), name="government:ticker")
        try:
            yield
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            await state.webhooks.aclose()

    app.router.lifespan_context = lifespan
    app.state.government = state
    return app
