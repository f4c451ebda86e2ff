"""The SMS gateway's JSON, validated with pydantic."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Wire(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class SendMessageJson(_Wire):
    """The body of `POST /v1/messages`."""

    phone: str
    sign_name: str = Field(alias="signName")
    template: str
    params: dict[str, str]

    def to_wire(self) -> dict[str, object]:
        """camelCase, as the gateway reads it."""
        return self.model_dump(by_alias=True)


class MessageAcceptedJson(_Wire):
    """The gateway's 202: the message id to quote in delivery reports and support tickets."""

    message_id: str = Field(alias="messageId", min_length=1)
    status: str
