"""The verification service's JSON, validated with pydantic."""

from __future__ import annotations

import enum
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RealNameResult(enum.Enum):
    """The verdict on a name and ID number pair."""

    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_FOUND = "not_found"


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class VerificationRequestJson(_Wire):
    """The body of `POST /v1/verifications`."""

    name: str
    id_number: str = Field(alias="idNumber")

    def to_wire(self) -> dict[str, object]:
        """camelCase, as the service reads it."""
        return self.model_dump(by_alias=True)


class VerificationJson(_Wire):
    """The service's verdict, with the id and time an audit record can quote."""

    verification_id: str = Field(alias="verificationId")
    result: RealNameResult
    checked_at: datetime = Field(alias="checkedAt")
