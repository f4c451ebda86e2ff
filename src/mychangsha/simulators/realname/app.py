"""The real-name verification simulator (public-security style): name + ID number → verdict.

`POST /v1/verifications` answers match, mismatch or not_found against the service's own
records (`data.py`). It checks only the shape of an ID number (17 digits and a digit or X),
never its check character: rejecting malformed numbers before they leave is the graph's job,
and a well-shaped number the registry does not hold is simply "not_found". Test controls add
records (`PUT /__admin/records`); `POST /__admin/reset` restores the original population.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Final
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
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
from mychangsha.simulators.realname.data import RECORDS, CitizenRecord, RecordStatus
from mychangsha.simulators.realname.openapi import ID_NUMBER_PATTERN, openapi_document

NAME: Final = "realname"
SHANGHAI: Final = ZoneInfo("Asia/Shanghai")


def _clean_name(value: str) -> str:
    name = value.strip()
    if not name:
        raise ValueError("must not be blank")
    return name


class _Check(BaseModel):
    """A verification request; the trailing x of an ID number is read as X, as on the card."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(alias="idNumber", pattern=ID_NUMBER_PATTERN)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _clean_name(value)

    @field_validator("id_number")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class _NewRecord(_Check):
    status: RecordStatus = RecordStatus.ACTIVE

    @field_validator("status", mode="before")
    @classmethod
    def _status(cls, value: object) -> object:
        # Strict mode takes enums only as members; JSON can only send their values.
        return RecordStatus(value) if isinstance(value, str) else value


def _record_json(record: CitizenRecord) -> dict[str, str]:
    return {"name": record.name, "idNumber": record.id_number, "status": record.status.value}


@dataclass
class RealNameState:
    """The records by ID number, as currently served."""

    clock: SimulatorClock
    records: dict[str, CitizenRecord] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """The original population."""
        self.records = {record.id_number: record for record in RECORDS}

    def verdict(self, name: str, id_number: str) -> str:
        """match, mismatch or not_found, as the registry sees this pair."""
        record = self.records.get(id_number)
        if record is None or record.status is RecordStatus.DEREGISTERED:
            return "not_found"
        if record.status is RecordStatus.NAME_CHANGED or record.name != name:
            return "mismatch"
        return "match"


class RealNameApi:
    """Endpoints bound to one simulator's state, so two apps in a process never share it."""

    def __init__(self, state: RealNameState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        """The service's public API: counted and faultable."""
        return [Route("/v1/verifications", self.verify, methods=["POST"])]

    def admin_routes(self) -> list[BaseRoute]:
        """Test controls: see and add records."""
        return [
            Route("/__admin/records", self.list_records, methods=["GET"]),
            Route("/__admin/records", self.put_record, methods=["PUT"]),
        ]

    async def verify(self, request: Request) -> Response:
        """One check; the verdict comes with an id and time, as an audit trail would need."""
        body = await read_json_object(request)
        try:
            check = _Check.model_validate(body)
        except ValidationError as exc:
            raise ApiError(400, describe_validation_error(exc)) from exc
        checked_at = aware_now(self.state.clock).astimezone(SHANGHAI)
        return OrjsonResponse(
            {
                "verificationId": f"rnv-{secrets.token_hex(12)}",
                "result": self.state.verdict(check.name, check.id_number),
                "checkedAt": checked_at.isoformat(timespec="seconds"),
            }
        )

    async def list_records(self, request: Request) -> Response:
        """Every record, ordered by ID number."""
        items = [_record_json(self.state.records[key]) for key in sorted(self.state.records)]
        return OrjsonResponse({"items": items})

    async def put_record(self, request: Request) -> Response:
        """Add a record, or replace the one with this ID number, until the next reset."""
        body = await read_json_object(request)
        try:
            new = _NewRecord.model_validate(body)
        except ValidationError as exc:
            raise ApiError(400, describe_validation_error(exc)) from exc
        record = CitizenRecord(new.name, new.id_number, new.status)
        existed = record.id_number in self.state.records
        self.state.records[record.id_number] = record
        return OrjsonResponse(_record_json(record), status_code=200 if existed else 201)


def create_app(*, clock: SimulatorClock | None = None) -> Starlette:
    """A fresh real-name verification simulator; `clock` stamps `checkedAt`."""
    state = RealNameState(clock=clock or system_clock)
    api = RealNameApi(state)
    app = create_simulator_app(
        NAME,
        api.routes(),
        openapi_document(),
        on_reset=state.reset,
        admin_routes=api.admin_routes(),
    )
    app.state.realname = state
    return app
