"""Test controls under `/__admin` (never counted or faulted): progression, webhooks, catalogue.

- `GET|PUT /__admin/progression`: step interval, which services ask for a supplement, which
  are rejected;
- `POST /__admin/applications/{number}/advance`: move one application now;
- `GET|PUT /__admin/webhook`: default callback URL, `dropNext`, retry schedule, timeout;
- `GET /__admin/webhooks`: every delivery; `POST /__admin/webhooks/{eventId}/redeliver`
  (`?tamper=1` for a forged one);
- `PUT /__admin/services/{code}`: revise a service, so catalogue sync can be tested.

`POST /__admin/reset` (from `simulators.base`) undoes all of it.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mychangsha.simulators.base import ApiError, OrjsonResponse, describe_validation_error
from mychangsha.simulators.government.applications import Status
from mychangsha.simulators.government.catalogue import SHANGHAI
from mychangsha.simulators.government.catalogue_data import LIFE_EVENTS
from mychangsha.simulators.government.state import GovernmentState, Progression
from mychangsha.simulators.government.webhooks import WebhookPatch

__all__ = ["GovernmentAdmin"]

_Model = TypeVar("_Model", bound=BaseModel)


class _Advance(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    to: Status | None = None
    note: str | None = Field(default=None, max_length=200)


class _ServicePatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str | None = Field(default=None, min_length=1, max_length=100)
    life_events: tuple[str, ...] | None = Field(default=None, alias="lifeEvents")
    time_limit_days: int | None = Field(default=None, alias="timeLimitDays", ge=0, le=365)
    fee_fen: int | None = Field(default=None, alias="feeFen", ge=0)
    fully_online: bool | None = Field(default=None, alias="fullyOnline")


async def _parse(request: Request, model: type[_Model]) -> _Model:
    try:
        return model.model_validate_json((await request.body()) or b"{}")
    except ValidationError as exc:
        raise ApiError(400, describe_validation_error(exc)) from exc


class GovernmentAdmin:
    """Admin endpoints bound to one simulator's state."""

    def __init__(self, state: GovernmentState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """The test controls."""
        return [
            Route("/__admin/progression", self.get_progression, methods=["GET"]),
            Route("/__admin/progression", self.put_progression, methods=["PUT"]),
            Route("/__admin/applications/{number}/advance", self.advance, methods=["POST"]),
            Route("/__admin/webhook", self.get_webhook, methods=["GET"]),
            Route("/__admin/webhook", self.put_webhook, methods=["PUT"]),
            Route("/__admin/webhooks", self.list_deliveries, methods=["GET"]),
            Route("/__admin/webhooks/{event_id}/redeliver", self.redeliver, methods=["POST"]),
            Route("/__admin/services/{code}", self.patch_service, methods=["PUT"]),
        ]

    async def get_progression(self, request: Request) -> Response:
        """The progression settings in force."""
        return OrjsonResponse(self.state.progression.to_json())

    async def put_progression(self, request: Request) -> Response:
        """Replace the progression settings (missing keys take their defaults)."""
        self.state.progression = await _parse(request, Progression)
        return OrjsonResponse(self.state.progression.to_json())

    async def advance(self, request: Request) -> Response:
        """Walk one application to `to` through the legal transitions (or one step); 409 if not.

        Each intermediate status is recorded and announced as if it had happened on its own.
        """
        application = self.state.application(request.path_params["number"])
        wanted = await _parse(request, _Advance)
        self.state.advance(application, wanted.to, wanted.note)
        return OrjsonResponse(application.to_json())

    async def get_webhook(self, request: Request) -> Response:
        """The webhook settings in force."""
        return OrjsonResponse(self.state.webhooks.config_json())

    async def put_webhook(self, request: Request) -> Response:
        """Change the keys given; the others keep their value."""
        self.state.webhooks.configure(await _parse(request, WebhookPatch))
        return OrjsonResponse(self.state.webhooks.config_json())

    async def list_deliveries(self, request: Request) -> Response:
        """Every delivery, oldest first; `?applicationNumber=` / `?eventId=` narrow it."""
        params = request.query_params
        items = [
            delivery.to_json()
            for delivery in self.state.webhooks.deliveries
            if params.get("applicationNumber", delivery.event.application_number)
            == delivery.event.application_number
            and params.get("eventId", delivery.event.id) == delivery.event.id
        ]
        return OrjsonResponse({"items": items})

    async def redeliver(self, request: Request) -> Response:
        """Send an event again with the same `eventId`; answers after the first attempt."""
        event = self.state.webhooks.events.get(request.path_params["event_id"])
        if event is None:
            raise ApiError(404, "no such event")
        tamper = request.query_params.get("tamper", "") in {"1", "true"}
        delivery = self.state.webhooks.redeliver(event, tamper=tamper)
        await delivery.first_attempt_done.wait()
        return OrjsonResponse(delivery.to_json())

    async def patch_service(self, request: Request) -> Response:
        """Revise a service: the fields given change and `updatedAt` moves forward."""
        service = self.state.catalogue.service(request.path_params["code"])
        patch = await _parse(request, _ServicePatch)
        unknown = [e for e in patch.life_events or () if e not in LIFE_EVENTS]
        if unknown:
            raise ApiError(400, f"unknown life events: {', '.join(unknown)}")
        changes: dict[str, Any] = {
            name: getattr(patch, name)
            for name in patch.model_fields_set
            if getattr(patch, name) is not None
        }
        previous = datetime.fromisoformat(service.updated_at)
        now = self.state.now().astimezone(SHANGHAI).replace(microsecond=0)
        revised = max(now, previous + timedelta(seconds=1))
        if "time_limit_days" in changes:
            legal = max(service.legal_time_limit_days, changes["time_limit_days"])
            changes["legal_time_limit_days"] = legal
        changed = dataclasses.replace(service, **changes, updated_at=revised.isoformat())
        self.state.catalogue.replace_service(changed)
        return OrjsonResponse(changed.to_json())
