"""The hospital simulator: one FHIR R4 server per real Changsha hospital, in one process.

`/fhir/{code}` is each hospital's FHIR base (see `docs/fhir-profile.md` for the contract),
`/directory` lists them. Around the shared simulator shell (`simulators.base`: counters by
route template, faults, reset) this adds counters per hospital, because the graph's tests
assert "at most one upstream request per hospital involved". Faults apply per hospital with
the shell's `pathPrefix`: `{"down": true, "pathPrefix": "/fhir/xiangya/"}` (mind the
trailing slash: `xiangya` is a prefix of `xiangya2`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from mychangsha.simulators.base import SimulatorClock, create_simulator_app, system_clock
from mychangsha.simulators.hospital.admin import HospitalAdmin
from mychangsha.simulators.hospital.catalogue_api import PREFIX, CatalogueApi, hospital_of
from mychangsha.simulators.hospital.clinical_api import ClinicalApi
from mychangsha.simulators.hospital.fhir import FhirError, fhir_error_handler
from mychangsha.simulators.hospital.openapi import openapi_document
from mychangsha.simulators.hospital.state import HospitalSimulator

NAME: Final = "hospital"
_CATCH_ALL: Final = f"{PREFIX}/{{rest:path}}"
_ALL_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


class HospitalCounterMiddleware:
    """Counts API requests per hospital by `METHOD Type/...` (before faults apply, like the
    shell's counters), so a test can read how often one hospital was asked."""

    def __init__(self, app: ASGIApp, *, sim: HospitalSimulator, routes: Sequence[BaseRoute]):
        self.app = app
        self.sim = sim
        self.keyed = [
            (route, route.path.removeprefix(f"{PREFIX}/"))
            for route in routes
            if isinstance(route, Route)
            and route.path.startswith(f"{PREFIX}/")
            and route.path != _CATCH_ALL
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Count a matched hospital route, then pass the request on untouched."""
        if scope["type"] == "http":
            for route, suffix in self.keyed:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    code = child["path_params"]["hospital"]
                    if code in self.sim.hospitals:
                        self.sim.count(code, f"{scope['method']} {suffix}")
                    break
        await self.app(scope, receive, send)


def _unsupported(sim: HospitalSimulator, routes: Sequence[BaseRoute]) -> Route:
    """Anything else under a hospital's base: FHIR's 404/405 as an OperationOutcome."""

    async def unsupported(request: Request) -> Response:
        hospital_of(sim, request)
        interaction = f"{request.method} {request.url.path}"
        if any(route.matches(request.scope)[0] is Match.PARTIAL for route in routes):
            raise FhirError(405, "not-supported", f"{interaction} is not supported")
        raise FhirError(404, "not-supported", f"{interaction}: no such resource or operation")

    return Route(_CATCH_ALL, unsupported, methods=_ALL_METHODS)


def create_app(*, clock: SimulatorClock | None = None, seed: int = 11) -> Starlette:
    """A fresh hospital simulator; `clock` pins the time, `seed` varies doctors and capacities."""
    sim = HospitalSimulator(clock=clock or system_clock, seed=seed)
    api: list[BaseRoute] = [*CatalogueApi(sim).routes(), *ClinicalApi(sim).routes()]
    routes = [*api, _unsupported(sim, api)]
    app = create_simulator_app(
        NAME,
        routes,
        openapi_document(),
        on_reset=sim.reset,
        admin_routes=HospitalAdmin(sim).routes(),
        fault_seed=seed,
    )
    app.add_exception_handler(FhirError, fhir_error_handler)
    app.add_middleware(HospitalCounterMiddleware, sim=sim, routes=routes)
    app.state.hospital = sim
    return app
