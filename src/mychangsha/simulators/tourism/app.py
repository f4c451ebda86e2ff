"""The tourism platform simulator (智慧文旅): attraction catalogue and live crowd levels.

A real HTTP server with the platform's contract (see `openapi.py`) over real Changsha data
(`data.py`) and a deterministic crowd curve (`crowd.py`). Its test controls under `/__admin`
pin crowd readings and change the catalogue, so sync and cache behaviour can be provoked;
`POST /__admin/reset` undoes all of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.base import (
    ApiError,
    OrjsonResponse,
    SimulatorClock,
    aware_now,
    create_simulator_app,
    describe_validation_error,
    read_json_object,
    system_clock,
)
from mychangsha.simulators.tourism.crowd import (
    SHANGHAI,
    CrowdProfile,
    CrowdRecord,
    crowd_reading,
)
from mychangsha.simulators.tourism.data import AttractionRecord, original_catalogue
from mychangsha.simulators.tourism.events import EventFeed
from mychangsha.simulators.tourism.openapi import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    openapi_document,
)
from mychangsha.simulators.tourism.reservations import ReservationApi

NAME: Final = "tourism"
_DIGITS: Final = re.compile(r"[0-9]{1,9}")
_RECORD: Final = TypeAdapter(AttractionRecord)
_PLATFORM_FIELDS: Final = frozenset({"id", "updatedAt"})


class _CrowdPin(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    visitors: int = Field(ge=0)


@dataclass
class TourismState:
    """The catalogue as currently served, pinned crowd readings, and what reset restores."""

    clock: SimulatorClock
    seed: int
    catalogue: dict[str, AttractionRecord] = field(default_factory=dict)
    pins: dict[str, int] = field(default_factory=dict)
    _profiles: dict[str, CrowdProfile] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """The original catalogue, no pins."""
        self.catalogue = {record["id"]: record for record in original_catalogue()}
        self.pins.clear()

    def now(self) -> datetime:
        """The injected clock's time (timezone-aware)."""
        return aware_now(self.clock)

    def attraction(self, attraction_id: str) -> AttractionRecord:
        """One record, or a 404 in the error shape."""
        record = self.catalogue.get(attraction_id)
        if record is None:
            raise ApiError(404, f"no attraction with id {attraction_id!r}")
        return record

    def sorted_records(self) -> list[AttractionRecord]:
        """The catalogue ordered by id: the platform's stable paging order."""
        return [self.catalogue[key] for key in sorted(self.catalogue)]

    def reading(self, record: AttractionRecord, now: datetime) -> CrowdRecord:
        """The live (or pinned) crowd reading of one attraction."""
        profile = self._profiles.get(record["id"])
        if profile is None:
            profile = CrowdProfile.for_attraction(self.seed, record["id"])
            self._profiles[record["id"]] = profile
        return crowd_reading(
            record, profile, now, seed=self.seed, pinned=self.pins.get(record["id"])
        )

    def next_updated_at(self, previous: str) -> str:
        """Now in +08:00, strictly after the previous stamp so every change is visible to sync."""
        now = self.now().astimezone(SHANGHAI).replace(microsecond=0)
        before = datetime.fromisoformat(previous)
        if now <= before:
            now = (before + timedelta(seconds=1)).astimezone(SHANGHAI)
        return now.isoformat()


# --- parameters -------------------------------------------------------------------------------


def _int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw) or not low <= int(raw) <= high:
        raise ApiError(400, f"{name} must be an integer from {low} to {high}, got {raw!r}")
    return int(raw)


def _ids_param(request: Request) -> set[str] | None:
    raw = request.query_params.get("ids")
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


# --- the API and its admin controls -----------------------------------------------------------


class TourismApi:
    """Endpoints bound to one simulator's state, so two apps in a process never share it."""

    def __init__(self, state: TourismState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """The platform's public API."""
        return [
            Route("/v1/attractions", self.list_attractions, methods=["GET"]),
            Route("/v1/attractions/{attraction_id}", self.get_attraction, methods=["GET"]),
            Route("/v1/attractions/{attraction_id}/crowd", self.get_crowd, methods=["GET"]),
            Route("/v1/crowd", self.list_crowd, methods=["GET"]),
        ]

    def admin_routes(self) -> list[BaseRoute]:
        """Test controls: pin crowds, change the catalogue."""
        return [
            Route("/__admin/crowd/{attraction_id}", self.pin_crowd, methods=["PUT"]),
            Route("/__admin/crowd/{attraction_id}", self.unpin_crowd, methods=["DELETE"]),
            Route("/__admin/attractions/{attraction_id}", self.patch_attraction, methods=["PUT"]),
            Route(
                "/__admin/attractions/{attraction_id}", self.delete_attraction, methods=["DELETE"]
            ),
        ]

    async def list_attractions(self, request: Request) -> Response:
        """One page of the catalogue with a relative `next` link, null on the last page."""
        page = _int_param(request, "page", 1, 1, 1_000_000)
        size = _int_param(request, "pageSize", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
        records = self.state.sorted_records()
        start = (page - 1) * size
        more = start + size < len(records)
        body = {
            "items": records[start : start + size],
            "page": page,
            "pageSize": size,
            "total": len(records),
            "next": f"/v1/attractions?page={page + 1}&pageSize={size}" if more else None,
        }
        return OrjsonResponse(body)

    async def get_attraction(self, request: Request) -> Response:
        """One attraction by id."""
        return OrjsonResponse(self.state.attraction(request.path_params["attraction_id"]))

    async def get_crowd(self, request: Request) -> Response:
        """The crowd reading of one attraction."""
        record = self.state.attraction(request.path_params["attraction_id"])
        return OrjsonResponse(self.state.reading(record, self.state.now()))

    async def list_crowd(self, request: Request) -> Response:
        """Readings of every (or the requested) attraction, taken at one instant."""
        wanted = _ids_param(request)
        now = self.state.now()
        items = [
            self.state.reading(record, now)
            for record in self.state.sorted_records()
            if wanted is None or record["id"] in wanted
        ]
        return OrjsonResponse({"items": items})

    async def pin_crowd(self, request: Request) -> Response:
        """Fix an attraction's visitor count until unpinned or reset."""
        record = self.state.attraction(request.path_params["attraction_id"])
        body = await read_json_object(request)
        try:
            pin = _CrowdPin.model_validate(body)
        except ValidationError as exc:
            raise ApiError(400, describe_validation_error(exc)) from exc
        self.state.pins[record["id"]] = pin.visitors
        return OrjsonResponse(self.state.reading(record, self.state.now()))

    async def unpin_crowd(self, request: Request) -> Response:
        """Back to the simulated curve."""
        record = self.state.attraction(request.path_params["attraction_id"])
        self.state.pins.pop(record["id"], None)
        return OrjsonResponse(self.state.reading(record, self.state.now()))

    async def patch_attraction(self, request: Request) -> Response:
        """Merge the given fields into an attraction (or add a complete new one)."""
        attraction_id = request.path_params["attraction_id"]
        patch = await read_json_object(request)
        if forbidden := sorted(_PLATFORM_FIELDS & patch.keys()):
            raise ApiError(400, f"{', '.join(forbidden)} cannot be patched")
        current = self.state.catalogue.get(attraction_id)
        base: dict[str, Any] = dict(current) if current is not None else {"id": attraction_id}
        previous = current["updatedAt"] if current is not None else "1970-01-01T00:00:00+00:00"
        merged = {**base, **patch, "updatedAt": self.state.next_updated_at(previous)}
        try:
            record = _RECORD.validate_python(merged)
        except ValidationError as exc:
            raise ApiError(400, describe_validation_error(exc)) from exc
        self.state.catalogue[attraction_id] = record
        return OrjsonResponse(record, status_code=200 if current is not None else 201)

    async def delete_attraction(self, request: Request) -> Response:
        """Remove an attraction (and its pin) until the next reset."""
        record = self.state.attraction(request.path_params["attraction_id"])
        del self.state.catalogue[record["id"]]
        self.state.pins.pop(record["id"], None)
        return Response(status_code=204)


def create_app(*, clock: SimulatorClock | None = None, seed: int = 7) -> Starlette:
    """A fresh tourism simulator; `clock` pins the time, `seed` varies the crowd curves."""
    state = TourismState(clock=clock or system_clock, seed=seed)
    api = TourismApi(state)
    reservations = ReservationApi(state)
    events = EventFeed(state.clock)

    def reset() -> None:
        """The catalogue and pins, then reservations, quota overrides and settings, then events."""
        state.reset()
        reservations.reset()
        events.reset()

    app = create_simulator_app(
        NAME,
        [*api.routes(), *reservations.routes(), *events.routes()],
        openapi_document(),
        on_reset=reset,
        admin_routes=[*api.admin_routes(), *reservations.admin_routes(), *events.admin_routes()],
        fault_seed=seed,
    )
    app.state.tourism = state
    return app
